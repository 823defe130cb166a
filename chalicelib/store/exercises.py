"""Queries on the exercise bank (``exercises``, "items" in the legacy API)."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.store.database import Database

EXERCISE_COLUMNS = ("id, topic_id, source, created_by_teacher_id, content, language, irt_a, irt_b,"
                    " irt_calibrated_at, status, created_at")
_ITEM_SELECT = f"""
SELECT {', '.join('e.' + c.strip() for c in EXERCISE_COLUMNS.split(','))},
       t.code AS topic_code, t.name AS topic_name
FROM exercises e JOIN topics t ON t.id = e.topic_id
"""


def insert_exercise(db: Database, *, topic_id: str, content: dict[str, Any], irt_a: float, irt_b: float,
                    source: str, created_by_teacher_id: str | None) -> dict[str, Any]:
    """A new ACTIVE exercise; returns the raw row."""
    row = db.fetch_one(
        f"INSERT INTO exercises (topic_id, source, created_by_teacher_id, content, irt_a, irt_b, status)"
        f" VALUES (:topic_id, :source, :teacher, CAST(:content AS jsonb), :irt_a, :irt_b, 'ACTIVE')"
        f" RETURNING {EXERCISE_COLUMNS}",
        {"topic_id": topic_id, "source": source, "teacher": created_by_teacher_id, "content": json.dumps(content),
         "irt_a": irt_a, "irt_b": irt_b},
    )
    assert row is not None
    return row


def get_item(db: Database, exercise_id: str) -> dict[str, Any] | None:
    """An exercise (any status) with its topic's code and name."""
    return db.fetch_one(f"{_ITEM_SELECT} WHERE e.id = :id", {"id": exercise_id})


def list_active_items(db: Database, *, topic_id: str | None, limit: int) -> list[dict[str, Any]]:
    """ACTIVE exercises (of one topic, or all), oldest first."""
    return db.fetch_all(
        f"{_ITEM_SELECT} WHERE e.status = 'ACTIVE' AND (CAST(:topic_id AS text) IS NULL OR e.topic_id = :topic_id)"
        " ORDER BY e.created_at, e.id LIMIT :limit",
        {"topic_id": topic_id, "limit": limit},
    )


def get_irt(db: Database, exercise_id: str) -> dict[str, Any] | None:
    return db.fetch_one("SELECT irt_a, irt_b FROM exercises WHERE id = :id", {"id": exercise_id})
