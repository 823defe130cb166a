"""Queries on users and their role profiles (teachers, students, parents)."""
from __future__ import annotations

from typing import Any

from chalicelib.store.database import Database

_PROFILE_SQL = """
SELECT u.id AS user_id, t.id AS teacher_id, p.id AS parent_id, s.id AS student_id,
       s.display_name AS student_name
FROM users u
LEFT JOIN teachers t ON t.user_id = u.id
LEFT JOIN parents p ON p.user_id = u.id
LEFT JOIN students s ON s.user_id = u.id
WHERE u.supabase_uid = :subject
"""


def find_linked_profiles(db: Database, subject: str) -> dict[str, Any] | None:
    """The user row of a Supabase subject with its profile ids (None when never seen)."""
    return db.fetch_one(_PROFILE_SQL, {"subject": subject})


def insert_user(db: Database, *, subject: str, email: str, role: str) -> None:
    """Create the user of ``subject`` unless it (or its e-mail) exists; race-safe."""
    db.execute(
        "INSERT INTO users (supabase_uid, email, auth_role, updated_at) VALUES (:s, :e, :r, now())"
        " ON CONFLICT DO NOTHING",
        {"s": subject, "e": email, "r": role},
    )


def claim_user_by_email(db: Database, *, subject: str, email: str) -> str | None:
    """Link an unlinked user row with this e-mail (created by register/seed) to ``subject``."""
    return db.fetch_value(
        "UPDATE users SET supabase_uid = :s, updated_at = now()"
        " WHERE email = :e AND supabase_uid IS NULL RETURNING id",
        {"s": subject, "e": email},
    )


def ensure_teacher(db: Database, user_id: str) -> None:
    db.execute("INSERT INTO teachers (user_id) VALUES (:u) ON CONFLICT (user_id) DO NOTHING", {"u": user_id})


def ensure_parent(db: Database, user_id: str) -> None:
    db.execute("INSERT INTO parents (user_id) VALUES (:u) ON CONFLICT (user_id) DO NOTHING", {"u": user_id})


def ensure_student(db: Database, user_id: str, display_name: str, placeholder: str) -> None:
    """Create the student profile; replace the placeholder name once a real one is known."""
    db.execute(
        "INSERT INTO students (user_id, display_name) VALUES (:u, :n)"
        " ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name"
        " WHERE students.display_name = :placeholder AND EXCLUDED.display_name <> :placeholder",
        {"u": user_id, "n": display_name, "placeholder": placeholder},
    )
