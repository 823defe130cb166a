"""HS256 demo tokens for the seeded demo accounts (local runs only; DECISIONS.md §2).

They carry exactly the claims a Supabase access token has (``sub``, ``email``, ``aud``,
``app_metadata.role``), signed with ``SUPABASE_JWT_SECRET``, so the API verifies them like any
other token. The subjects match the ``users.supabase_uid`` values of the demo seed.
"""
from __future__ import annotations

import time

def _first_account_per_role() -> dict[str, dict[str, str]]:
    from chalicelib.store.demo_seed import ACCOUNTS

    accounts: dict[str, dict[str, str]] = {}
    for account in ACCOUNTS:
        accounts.setdefault(account.role, {"sub": account.subject, "email": account.email,
                                           "name": account.name})
    return accounts


def mint_token(secret: str, *, role: str, sub: str, email: str, name: str | None = None,
               ttl_seconds: int = 12 * 3600) -> str:
    import jwt

    now = int(time.time())
    claims = {
        "sub": sub, "email": email, "aud": "authenticated", "role": "authenticated",
        "iat": now, "exp": now + ttl_seconds,
        "app_metadata": {"role": role}, "user_metadata": {"full_name": name} if name else {},
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def demo_tokens(secret: str, ttl_seconds: int = 12 * 3600) -> dict[str, str]:
    """One token per role, for the seeded demo accounts."""
    return {role: mint_token(secret, role=role, ttl_seconds=ttl_seconds, **account)
            for role, account in _first_account_per_role().items()}
