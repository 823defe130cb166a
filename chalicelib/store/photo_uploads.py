"""SQL behind OCR photo uploads: whose attempt a photo may be attached to."""
from __future__ import annotations

from chalicelib.store.database import Database


def is_own_attempt(db: Database, attempt_id: str, student_id: str) -> bool:
    """Whether ``attempt_id`` exists and belongs to ``student_id``."""
    return bool(db.fetch_value("SELECT EXISTS (SELECT 1 FROM attempts WHERE id = :id AND student_id = :student_id)",
                               {"id": attempt_id, "student_id": student_id}))
