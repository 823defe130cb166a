"""Demo tokens printed by the local runner log in as the seeded demo accounts."""
from __future__ import annotations

from chalicelib.local.demo_tokens import demo_tokens
from chalicelib.store.demo_seed import seed_demo_data
from tests.conftest import TEST_JWT_SECRET


def test_each_demo_token_resolves_to_its_seeded_profile(gateway, db, tokens):
    ids = seed_demo_data(db)
    for role, token in demo_tokens(TEST_JWT_SECRET).items():
        me = gateway.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).json["data"]
        assert me["role"] == role
        account = next(a for a in ids["accounts"] if a["role"] == role)
        assert me["id"] == account["user_id"] and me["profileId"] == account["profile_id"]
    assert db.fetch_value("SELECT count(*) FROM users") == len(ids["accounts"])
