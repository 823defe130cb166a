"""Account lookups of the credential routes (``/auth/register``, the session response)."""
from __future__ import annotations

from chalicelib.store.database import Database


def linked_account_exists(db: Database, email: str) -> bool:
    """Whether a local user with this (lower-case) e-mail is already linked to a Supabase identity.

    Exact match on the unique e-mail index: Supabase stores e-mails lower-cased, and linked rows
    take the token's e-mail as is.
    """
    return bool(db.fetch_value(
        "SELECT EXISTS (SELECT 1 FROM users WHERE email = :email AND supabase_uid IS NOT NULL)",
        {"email": email}))


def token_version(db: Database, user_id: str) -> int:
    return int(db.fetch_value("SELECT token_version FROM users WHERE id = :id", {"id": user_id}) or 0)
