"""Bearer tokens (HS256 and the JWKS path), user linking and GET /auth/me (api.md §1.2, DECISIONS §2)."""
from __future__ import annotations

import time

import jwt
import pytest

from chalicelib import dependencies
from tests.concurrency import run_together
from tests.conftest import TEST_JWT_SECRET
from tests.fakes.jwks_server import JwksServer


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_me_links_a_new_student_and_creates_one_profile(gateway, db, tokens):
    response = gateway.get("/auth/me", headers=tokens.headers(role="student", sub="sub-1", name="Ana Pérez"))
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["role"] == "student" and data["name"] == "Ana Pérez"
    user = db.fetch_one("SELECT id, email, auth_role FROM users WHERE supabase_uid = 'sub-1'")
    assert data["id"] == user["id"] and user["auth_role"] == "student"
    student = db.fetch_one("SELECT id, display_name FROM students WHERE user_id = :u", {"u": user["id"]})
    assert data["profileId"] == student["id"] and student["display_name"] == "Ana Pérez"
    gateway.get("/auth/me", headers=tokens.headers(role="student", sub="sub-1", name="Ana Pérez"))
    assert db.fetch_value("SELECT count(*) FROM users") == 1
    assert db.fetch_value("SELECT count(*) FROM students") == 1


@pytest.mark.parametrize("role, table", [("teacher", "teachers"), ("parent", "parents")])
def test_me_creates_the_profile_of_the_token_role(gateway, db, tokens, role, table):
    data = gateway.get("/auth/me", headers=tokens.headers(role=role, sub=f"sub-{role}")).json["data"]
    assert data["role"] == role
    assert data["profileId"] == db.fetch_value(f"SELECT id FROM {table}")  # noqa: S608 - fixed names


def test_admin_has_no_profile_row(gateway, db, tokens):
    data = gateway.get("/auth/me", headers=tokens.headers(role="admin", sub="sub-admin")).json["data"]
    assert data["role"] == "admin" and data["profileId"] is None
    assert db.fetch_value("SELECT count(*) FROM students") == 0


def test_role_comes_only_from_app_metadata(gateway, database_url, tokens):
    token = tokens.make(role=None, user_metadata={"role": "admin"})
    assert gateway.get("/auth/me", headers=_bearer(token)).json["data"]["role"] == "student"


def test_placeholder_name_is_replaced_once_a_name_is_known(gateway, db, tokens):
    token = tokens.make(role="student", sub="sub-p", email="x@y.z", user_metadata={})
    # e-mail local part is the fallback display name; an empty e-mail leaves the placeholder
    gateway.get("/auth/me", headers=_bearer(tokens.make(role="student", sub="sub-q", email="")))
    assert db.fetch_value("SELECT display_name FROM students") == "Nuevo Alumno"
    gateway.get("/auth/me", headers=_bearer(tokens.make(role="student", sub="sub-q", email="", name="Luis")))
    assert db.fetch_value("SELECT display_name FROM students") == "Luis"
    assert gateway.get("/auth/me", headers=_bearer(token)).json["data"]["name"] == "x"


def test_existing_unlinked_user_with_same_email_is_claimed(gateway, db, tokens):
    db.execute("INSERT INTO users (email, updated_at) VALUES ('pre@x.cl', now())")
    data = gateway.get("/auth/me", headers=tokens.headers(role="teacher", sub="sub-pre", email="pre@x.cl")).json
    assert data["statusCode"] == 200
    assert db.fetch_value("SELECT supabase_uid FROM users WHERE email = 'pre@x.cl'") == "sub-pre"


def test_email_of_another_identity_is_409(gateway, db, tokens):
    gateway.get("/auth/me", headers=tokens.headers(sub="first", email="same@x.cl"))
    response = gateway.get("/auth/me", headers=tokens.headers(sub="second", email="same@x.cl"))
    assert response.status == 409


def test_concurrent_first_requests_create_exactly_one_user(app_module, database_url, db, tokens):
    from tests.conftest import ProxyClient

    client = ProxyClient(app_module.app)
    headers = tokens.headers(role="teacher", sub="racer", email="racer@x.cl")

    def first_request(_: int) -> int:
        try:
            return client.get("/auth/me", headers=headers).status
        finally:
            dependencies.release_thread()

    statuses = run_together(8, first_request)
    assert statuses == [200] * 8
    assert db.fetch_value("SELECT count(*) FROM users WHERE supabase_uid = 'racer'") == 1
    assert db.fetch_value("SELECT count(*) FROM teachers") == 1


@pytest.mark.parametrize("make_token", [
    pytest.param(lambda t: None, id="missing"),
    pytest.param(lambda t: "not-a-jwt", id="malformed"),
    pytest.param(lambda t: t.make(expires_in=-10), id="expired"),
    pytest.param(lambda t: t.make(audience="anon"), id="wrong-audience"),
    pytest.param(lambda t: jwt.encode({"sub": "x", "aud": "authenticated", "exp": int(time.time()) + 60},
                                      "another-secret-of-sufficient-length-123", algorithm="HS256"),
                 id="bad-signature"),
    pytest.param(lambda t: jwt.encode({"sub": "x", "aud": "authenticated", "exp": int(time.time()) + 60},
                                      None, algorithm="none"), id="alg-none"),
    pytest.param(lambda t: t.make(exp=None), id="no-exp"),
])
def test_invalid_tokens_are_401(gateway, database_url, tokens, make_token):
    token = make_token(tokens)
    headers = _bearer(token) if token else {}
    response = gateway.get("/auth/me", headers=headers)
    assert response.status == 401
    assert response.json["code"] == "HTTP_ERROR" and response.json["message"] == "Unauthorized"


def test_wrong_scheme_is_401(gateway, database_url, tokens):
    token = tokens.make()
    assert gateway.get("/auth/me", headers={"Authorization": f"Basic {token}"}).status == 401
    assert gateway.get("/auth/me", headers={"Authorization": f"bearer {token}"}).status == 200


def test_hs256_refused_when_no_secret_is_configured(gateway, database_url, monkeypatch):
    from tests.conftest import TokenFactory

    monkeypatch.delenv("SUPABASE_JWT_SECRET", raising=False)
    dependencies.reset()
    token = TokenFactory(TEST_JWT_SECRET).make()
    assert gateway.get("/auth/me", headers=_bearer(token)).status == 401


@pytest.fixture
def jwks(monkeypatch, database_url):
    server = JwksServer()
    monkeypatch.setenv("SUPABASE_URL", server.url)
    monkeypatch.delenv("SUPABASE_JWT_SECRET", raising=False)
    dependencies.reset()
    yield server
    server.stop()


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_jwks_signed_tokens_are_accepted(gateway, jwks, alg):
    response = gateway.get("/auth/me", headers=_bearer(jwks.token(alg=alg, role="teacher")))
    assert response.status == 200, response.body
    assert response.json["data"]["role"] == "teacher"


def test_jwks_keys_are_cached_across_requests(gateway, jwks):
    for _ in range(3):
        assert gateway.get("/auth/me", headers=_bearer(jwks.token())).status == 200
    assert jwks.requests == 1


@pytest.mark.parametrize("tamper", ["wrong-issuer", "unknown-kid", "expired"])
def test_jwks_path_rejects_bad_tokens(gateway, jwks, tamper):
    token = {
        "wrong-issuer": lambda: jwks.token(issuer="https://evil.example/auth/v1"),
        "unknown-kid": lambda: jwks.token(kid="nope"),
        "expired": lambda: jwks.token(expires_in=-5),
    }[tamper]()
    assert gateway.get("/auth/me", headers=_bearer(token)).status == 401
