"""The topics catalogue ("skills", api.md §4.5): reads for everyone, writes for teachers and admins.

Topic codes are unique per unit; a duplicate is a 409. Deleting a topic that exercises, mastery
rows, prerequisites… still reference is a 409 too (the foreign keys restrict), not a silent cascade.
"""
from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.store import topics
from chalicelib.store.database import Database, IntegrityViolation


def _not_found(topic_id: str) -> errors.NotFound:
    return errors.NotFound(f"Skill {topic_id} not found")


def list_topics(db: Database) -> list[dict[str, Any]]:
    return topics.list_topics(db)


def get_topic(db: Database, topic_id: str) -> dict[str, Any]:
    row = topics.get_topic(db, topic_id)
    if row is None:
        raise _not_found(topic_id)
    return row


def create_topic(db: Database, *, code: str, name: str, description: str | None,
                 unit_id: str | None = None) -> dict[str, Any]:
    """A topic with the default BKT parameters, in ``unit_id`` or the first unit of the curriculum."""
    with db.transaction():
        if unit_id is None:
            unit_id = topics.first_unit_id(db)
            if unit_id is None:
                raise errors.NotFound("No unit found — run seed first to create curriculum")
        elif not topics.unit_exists(db, unit_id):
            raise errors.NotFound(f"Unit {unit_id} not found")
        try:
            return topics.insert_topic(db, unit_id=unit_id, code=code, name=name, description=description)
        except IntegrityViolation as exc:
            if exc.is_unique:
                raise errors.Conflict(f"A skill with key {code} already exists in this unit") from None
            raise


def update_topic(db: Database, topic_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change ``code``/``name``/``description``; 404 unknown topic, 409 duplicate code in its unit."""
    with db.transaction():
        try:
            row = topics.update_topic(db, topic_id, changes)
        except IntegrityViolation as exc:
            if exc.is_unique:
                raise errors.Conflict(f"A skill with key {changes.get('code')} already exists in this unit") from None
            raise
    if row is None:
        raise _not_found(topic_id)
    return row


def delete_topic(db: Database, topic_id: str) -> None:
    """Delete an unused topic; 404 when unknown, 409 while anything still refers to it."""
    try:
        with db.transaction():
            deleted = topics.delete_topic(db, topic_id)
    except IntegrityViolation as exc:
        if exc.is_foreign_key:
            raise errors.Conflict(f"Skill {topic_id} is still used (exercises, mastery, prerequisites…)") from None
        raise
    if not deleted:
        raise _not_found(topic_id)


def prerequisites(db: Database, topic_id: str) -> dict[str, Any]:
    """``{skill_id, prerequisites: [codes]}`` — the list api.md intended (DECISIONS.md §3, flag 7)."""
    row = topics.topic_with_prerequisite_codes(db, topic_id)
    if row is None:
        raise _not_found(topic_id)
    return {"skill_id": row["id"], "prerequisites": list(row["prerequisite_codes"])}


def taxonomy(db: Database) -> list[dict[str, Any]]:
    return topics.taxonomy(db)
