"""Queries on the curriculum catalogue: topics ("skills"), their prerequisites, units, and the
error-taxonomy vocabulary (domains and subdomains)."""
from __future__ import annotations

from typing import Any

from chalicelib.store.database import Database

TOPIC_COLUMNS = ("id, unit_id, subdomain_id, domain_id, code, name, description, bkt_p_l0, bkt_p_transit,"
                 " bkt_p_slip, bkt_p_guess, bkt_calibrated_at")


def list_topics(db: Database) -> list[dict[str, Any]]:
    """Every topic, ordered by unit (then code, so the order is stable)."""
    return db.fetch_all(f"SELECT {TOPIC_COLUMNS} FROM topics ORDER BY unit_id, code, id")


def get_topic(db: Database, topic_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    return db.fetch_one(f"SELECT {TOPIC_COLUMNS} FROM topics WHERE id = :id{lock}", {"id": topic_id})


def find_topic_candidates(db: Database, reference: str) -> list[dict[str, Any]]:
    """Topics a reference may name, each with how it matched (``id``, ``qualified`` or ``bare``).

    A qualified code is ``<unit code>/<topic code>`` (DECISIONS.md §7). One statement whatever
    the form; the caller decides which match wins.
    """
    return db.fetch_all(
        f"""
        SELECT {', '.join('t.' + c.strip() for c in TOPIC_COLUMNS.split(','))},
               u.code AS unit_code,
               CASE WHEN t.id = :ref THEN 'id'
                    WHEN u.code || '/' || t.code = :ref THEN 'qualified'
                    ELSE 'bare' END AS matched_by
        FROM topics t JOIN units u ON u.id = t.unit_id
        WHERE t.id = :ref OR t.code = :ref
           OR (strpos(:ref, '/') > 0 AND u.code = split_part(:ref, '/', 1)
               AND t.code = substr(:ref, strpos(:ref, '/') + 1))
        ORDER BY u.code, t.code, t.id
        """,
        {"ref": reference},
    )


def first_unit_id(db: Database) -> str | None:
    """The unit new topics go to when the client names none: the earliest of the curriculum order."""
    return db.fetch_value("SELECT id FROM units ORDER BY grade_level, sequence, code, id LIMIT 1")


def unit_exists(db: Database, unit_id: str) -> bool:
    return bool(db.fetch_value("SELECT EXISTS (SELECT 1 FROM units WHERE id = :id)", {"id": unit_id}))


def insert_topic(db: Database, *, unit_id: str, code: str, name: str, description: str | None) -> dict[str, Any]:
    """A new topic with the default BKT parameters (column defaults)."""
    row = db.fetch_one(
        f"INSERT INTO topics (unit_id, code, name, description) VALUES (:unit_id, :code, :name, :description)"
        f" RETURNING {TOPIC_COLUMNS}",
        {"unit_id": unit_id, "code": code, "name": name, "description": description},
    )
    assert row is not None
    return row


def update_topic(db: Database, topic_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Set the given columns (``code``, ``name``, ``description``); None when the topic is unknown."""
    allowed = {"code", "name", "description"}
    assignments = ", ".join(f"{column} = :{column}" for column in changes if column in allowed)
    if not assignments:
        return get_topic(db, topic_id)
    return db.fetch_one(f"UPDATE topics SET {assignments} WHERE id = :id RETURNING {TOPIC_COLUMNS}",
                        {**{k: v for k, v in changes.items() if k in allowed}, "id": topic_id})


def delete_topic(db: Database, topic_id: str) -> bool:
    """Delete a topic; False when it did not exist. Raises IntegrityViolation when still referenced."""
    return db.execute("DELETE FROM topics WHERE id = :id", {"id": topic_id}) > 0


def topic_with_prerequisite_codes(db: Database, topic_id: str) -> dict[str, Any] | None:
    """``{id, prerequisite_codes}`` of a topic (codes ordered), or None when the topic is unknown."""
    return db.fetch_one(
        """
        SELECT t.id,
               COALESCE((SELECT array_agg(p.code ORDER BY p.code, p.id)
                         FROM topic_prerequisites tp JOIN topics p ON p.id = tp.prerequisite_topic_id
                         WHERE tp.topic_id = t.id), '{}') AS prerequisite_codes
        FROM topics t WHERE t.id = :id
        """,
        {"id": topic_id},
    )


def taxonomy(db: Database) -> list[dict[str, Any]]:
    """Every domain by code with its subdomains by code (one statement)."""
    return db.fetch_all(
        """
        SELECT d.id, d.code, d.name,
               COALESCE((SELECT json_agg(json_build_object('id', s.id, 'code', s.code, 'name', s.name)
                                         ORDER BY s.code, s.id)
                         FROM subdomains s WHERE s.domain_id = d.id), '[]'::json) AS subdomains
        FROM domains d ORDER BY d.code, d.id
        """
    )
