"""What the item recommenders read: a student's mastery records and the candidate exercises."""
from __future__ import annotations

from typing import Any

from chalicelib.store.database import Database


def topic_exists(db: Database, topic_id: str) -> bool:
    return bool(db.fetch_value("SELECT EXISTS (SELECT 1 FROM topics WHERE id = :id)", {"id": topic_id}))


def mastery_with_prerequisites(db: Database, student_id: str, topic_id: str | None) -> list[dict[str, Any]]:
    """The student's mastery records (only ``topic_id`` when given) with the topic's code and
    prerequisite topic ids, weakest topic first."""
    return db.fetch_all(
        """SELECT m.topic_id, m.p_known, t.code AS topic_code,
                  COALESCE(array_agg(tp.prerequisite_topic_id ORDER BY tp.prerequisite_topic_id)
                           FILTER (WHERE tp.prerequisite_topic_id IS NOT NULL), '{}') AS prerequisite_topic_ids
           FROM student_topic_mastery m
           JOIN topics t ON t.id = m.topic_id
           LEFT JOIN topic_prerequisites tp ON tp.topic_id = m.topic_id
           WHERE m.student_id = :student_id AND (CAST(:topic_id AS text) IS NULL OR m.topic_id = :topic_id)
           GROUP BY m.topic_id, m.p_known, t.code
           ORDER BY m.p_known, m.topic_id""",
        {"student_id": student_id, "topic_id": topic_id},
    )


def active_exercises_of_topics(db: Database, topic_ids: list[str]) -> list[dict[str, Any]]:
    """``id, topic_id, irt_a, irt_b`` of the ACTIVE exercises of the topics, oldest first."""
    return db.fetch_all(
        """SELECT e.id, e.topic_id, e.irt_a, e.irt_b FROM exercises e
           WHERE e.topic_id = ANY(CAST(:topic_ids AS text[])) AND e.status = 'ACTIVE'
           ORDER BY e.created_at, e.id""",
        {"topic_ids": topic_ids},
    )


def practice_candidates(db: Database, student_id: str, domain_id: str | None, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` ACTIVE exercises (of topics in ``domain_id`` when given), oldest first, each
    with its prompt (when a non-empty string), topic code and name and the student's ``p_known``
    on its topic (None without a record)."""
    return db.fetch_all(
        """SELECT e.id, e.topic_id, e.irt_a, e.irt_b,
                  CASE WHEN jsonb_typeof(e.content -> 'prompt') = 'string' AND e.content ->> 'prompt' <> ''
                       THEN e.content ->> 'prompt' END AS prompt,
                  t.code AS topic_code, t.name AS topic_name, m.p_known
           FROM exercises e
           JOIN topics t ON t.id = e.topic_id
           LEFT JOIN student_topic_mastery m ON m.topic_id = e.topic_id AND m.student_id = :student_id
           WHERE e.status = 'ACTIVE' AND (CAST(:domain_id AS text) IS NULL OR t.domain_id = :domain_id)
           ORDER BY e.created_at, e.id
           LIMIT :limit""",
        {"student_id": student_id, "domain_id": domain_id, "limit": limit},
    )
