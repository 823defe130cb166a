"""``/auth/*`` credential routes against a local Supabase Auth server (api.md §4.2, DECISIONS.md §2).

The fake records every request, so the tests check what the API really sends (service key headers,
bodies, the user's bearer for logout), and its tokens are HS256 JWTs the API accepts end to end.
"""
from __future__ import annotations

import json

import pytest

from chalicelib import dependencies
from tests.conftest import TEST_JWT_SECRET
from tests.fakes.supabase_auth_server import SERVICE_KEY, SupabaseAuthServer

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def supabase(tokens, database_url, monkeypatch):
    server = SupabaseAuthServer(jwt_secret=TEST_JWT_SECRET)
    monkeypatch.setenv("SUPABASE_URL", server.url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)
    monkeypatch.setenv("PUBLIC_APP_URL", "https://app.example.test/")
    dependencies.reset()
    yield server
    server.stop()


def _post(api, path, body, headers=JSON):
    return api.post(path, headers=headers, body=json.dumps(body))


def _bearer(token):
    return {"Authorization": f"Bearer {token}", **JSON}


def _register(api, email="ana@example.test", password="secreto-123", role="student"):
    return _post(api, "/auth/register", {"email": email, "password": password, "role": role})


@pytest.mark.parametrize("role, table", [("student", "students"), ("teacher", "teachers"), ("parent", "parents")])
def test_register_creates_the_account_with_its_role_and_returns_a_working_session(api, db, supabase, role, table):
    response = _register(api, email="Ana@Example.TEST", role=role)
    assert response.status_code == 201, response.json_body
    session = response.json_body["data"]
    created = supabase.requests_to("/admin/users")[0]
    assert created.method == "POST"
    assert created.headers["apikey"] == SERVICE_KEY and created.headers["authorization"] == f"Bearer {SERVICE_KEY}"
    assert created.body == {"email": "ana@example.test", "password": "secreto-123", "email_confirm": True,
                            "app_metadata": {"role": role}}
    sign_in = supabase.requests_to("/token")[0]
    assert sign_in.query == {"grant_type": "password"} and sign_in.headers["apikey"] == SERVICE_KEY
    assert sign_in.body == {"email": "ana@example.test", "password": "secreto-123"}

    supabase_uid = supabase.user_by_email("ana@example.test").id
    user = db.fetch_one("SELECT id, email, auth_role FROM users WHERE supabase_uid = :s", {"s": supabase_uid})
    profile_id = db.fetch_value(f"SELECT id FROM {table} WHERE user_id = :u", {"u": user["id"]})  # noqa: S608
    assert session["tokenType"] == "Bearer" and session["expiresInSeconds"] == 3600
    assert session["refreshToken"]
    assert session["user"] == {"id": user["id"], "email": "ana@example.test", "role": role, "profileId": profile_id,
                               "supabaseUid": supabase_uid, "tokenVersion": 0}
    me = api.get("/auth/me", headers=_bearer(session["accessToken"]))
    assert me.status_code == 200, me.json_body
    assert me.json_body["data"]["id"] == user["id"] and me.json_body["data"]["role"] == role
    assert db.fetch_value("SELECT count(*) FROM users") == 1


def test_register_refuses_admin_without_calling_supabase(api, supabase):
    response = _register(api, role="admin")
    assert response.status_code == 400 and response.json_body["details"][0]["field"] == "role"
    assert supabase.requests == []


def test_register_never_touches_an_existing_account(api, db, supabase):
    existing = supabase.add_user("ana@example.test", "original-pass", role="teacher")
    response = _register(api, password="other-pass-1")
    assert response.status_code == 409 and response.json_body["code"] == "Conflict"
    assert (existing.password, existing.app_metadata["role"]) == ("original-pass", "teacher")
    assert supabase.requests_to("/token") == [] and db.fetch_value("SELECT count(*) FROM users") == 0


def test_register_refuses_an_email_linked_here_before_asking_supabase(api, db, supabase):
    db.execute("INSERT INTO users (supabase_uid, email, updated_at) VALUES ('sub-old', 'ana@example.test', now())")
    response = _register(api, email="Ana@Example.TEST")
    assert response.status_code == 409
    assert supabase.requests == []


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-email", "password": "secreto-123", "role": "student"}, "email"),
    ({"email": "ana@example.test", "password": "short", "role": "student"}, "password"),
    ({"email": "ana@example.test", "password": "secreto-123"}, "role"),
    ({"email": "ana@example.test", "password": "secreto-123", "role": "student", "name": "Ana"}, "name"),
    ({"email": "ana@example.test", "password": 12345678, "role": "student"}, "password"),
])
def test_register_validation(api, supabase, body, field):
    response = _post(api, "/auth/register", body)
    assert response.status_code == 400
    assert field in [d["field"] for d in response.json_body["details"]]
    assert supabase.requests == []


def test_login_returns_a_session_and_links_the_user(api, db, supabase):
    supabase.add_user("luis@example.test", "clave-segura", role="teacher")
    response = _post(api, "/auth/login", {"email": "LUIS@example.test", "password": "clave-segura"})
    assert response.status_code == 201, response.json_body
    data = response.json_body["data"]
    assert data["user"]["role"] == "teacher"
    assert data["user"]["profileId"] == db.fetch_value("SELECT id FROM teachers")
    assert supabase.requests_to("/token")[0].body == {"email": "luis@example.test", "password": "clave-segura"}
    assert api.get("/auth/me", headers=_bearer(data["accessToken"])).json_body["data"]["role"] == "teacher"


@pytest.mark.parametrize("email, password, message", [
    ("luis@example.test", "wrong-password", "Invalid email or password"),
    ("nobody@example.test", "clave-segura", "Invalid email or password"),  # no enumeration
    ("pending@example.test", "clave-segura", "Email not confirmed"),
])
def test_login_failures_are_401(api, supabase, email, password, message):
    supabase.add_user("luis@example.test", "clave-segura")
    supabase.add_user("pending@example.test", "clave-segura", confirmed=False)
    response = _post(api, "/auth/login", {"email": email, "password": password})
    assert response.status_code == 401 and response.json_body["message"] == message


def test_refresh_rotates_and_a_spent_token_is_refused(api, supabase):
    supabase.add_user("luis@example.test", "clave-segura", role="parent")
    first = _post(api, "/auth/login", {"email": "luis@example.test", "password": "clave-segura"}).json_body["data"]
    refreshed = _post(api, "/auth/refresh", {"refreshToken": first["refreshToken"]})
    assert refreshed.status_code == 201, refreshed.json_body
    data = refreshed.json_body["data"]
    assert data["refreshToken"] != first["refreshToken"] and data["user"]["role"] == "parent"
    assert supabase.requests_to("/token")[-1].query == {"grant_type": "refresh_token"}
    assert supabase.requests_to("/token")[-1].body == {"refresh_token": first["refreshToken"]}
    spent = _post(api, "/auth/refresh", {"refreshToken": first["refreshToken"]})
    assert spent.status_code == 401 and spent.json_body["message"] == "Session has been revoked"
    garbage = _post(api, "/auth/refresh", {"refreshToken": "not-a-token"})
    assert garbage.status_code == 401 and garbage.json_body["message"] == "Invalid refresh token"
    assert _post(api, "/auth/refresh", {}).status_code == 400


def test_password_reset_with_the_emailed_code(api, supabase):
    supabase.add_user("ana@example.test", "old-password")
    other_device = _post(api, "/auth/login", {"email": "ana@example.test", "password": "old-password"}).json_body
    sent = _post(api, "/auth/forgot-password", {"email": "Ana@example.test"})
    assert sent.status_code == 201
    assert sent.json_body["data"]["message"].startswith("A password reset link has been sent")
    assert supabase.outbox[0]["email"] == "ana@example.test"
    assert supabase.outbox[0]["redirect_to"] == "https://app.example.test/auth/reset"
    code = supabase.outbox[0]["code"]

    wrong = _post(api, "/auth/confirm-forgot-password",
                  {"email": "ana@example.test", "code": "000000", "newPassword": "new-password"})
    assert wrong.status_code == 401 and wrong.json_body["message"] == "Invalid or expired password reset code"
    done = _post(api, "/auth/confirm-forgot-password",
                 {"email": "ana@example.test", "code": code, "newPassword": "new-password"})
    assert done.status_code == 201, done.json_body
    assert done.json_body["data"] == {"message": "Password updated successfully"}
    verify = supabase.requests_to("/verify")[-1]
    assert verify.body == {"type": "recovery", "email": "ana@example.test", "token": code}
    update = supabase.requests_to("/user")[0]
    assert update.method == "PUT" and update.body == {"password": "new-password"}
    assert update.headers["authorization"] != f"Bearer {SERVICE_KEY}"  # as the user, not the service role
    assert update.headers["apikey"] == SERVICE_KEY
    assert supabase.requests_to("/logout")[0].query == {"scope": "global"}

    assert _post(api, "/auth/login", {"email": "ana@example.test", "password": "old-password"}).status_code == 401
    assert _post(api, "/auth/login", {"email": "ana@example.test", "password": "new-password"}).status_code == 201
    stale = _post(api, "/auth/refresh", {"refreshToken": other_device["data"]["refreshToken"]})
    assert stale.status_code == 401  # the reset signed the other device out
    reused = _post(api, "/auth/confirm-forgot-password",
                   {"email": "ana@example.test", "code": code, "newPassword": "third-password"})
    assert reused.status_code == 401


def test_forgot_password_answers_alike_for_unknown_emails(api, supabase):
    response = _post(api, "/auth/forgot-password", {"email": "nobody@example.test"})
    assert response.status_code == 201 and supabase.outbox == []
    assert response.json_body["data"]["message"].startswith("A password reset link has been sent")


def test_same_password_on_reset_is_400(api, supabase):
    supabase.add_user("ana@example.test", "old-password")
    _post(api, "/auth/forgot-password", {"email": "ana@example.test"})
    response = _post(api, "/auth/confirm-forgot-password",
                     {"email": "ana@example.test", "code": supabase.outbox[0]["code"], "newPassword": "old-password"})
    assert response.status_code == 400 and "different" in response.json_body["message"][0]


@pytest.mark.parametrize("role", ["student", "teacher", "parent", "admin"])
def test_logout_revokes_only_this_session(api, supabase, role):
    supabase.add_user("ana@example.test", "clave-segura", role=role)
    login = {"email": "ana@example.test", "password": "clave-segura"}
    here = _post(api, "/auth/login", login).json_body["data"]
    elsewhere = _post(api, "/auth/login", login).json_body["data"]
    response = api.post("/auth/logout", headers=_bearer(here["accessToken"]))
    assert response.status_code == 201, response.json_body
    assert response.json_body["data"] == {"message": "Session revoked successfully"}
    sent = supabase.requests_to("/logout")[0]
    assert sent.headers["authorization"] == f"Bearer {here['accessToken']}" and sent.headers["apikey"] == SERVICE_KEY
    assert sent.query == {"scope": "local"}
    assert _post(api, "/auth/refresh", {"refreshToken": here["refreshToken"]}).status_code == 401
    assert _post(api, "/auth/refresh", {"refreshToken": elsewhere["refreshToken"]}).status_code == 201
    again = api.post("/auth/logout", headers=_bearer(here["accessToken"]))  # idempotent
    assert again.status_code == 201


def test_logout_needs_a_token(api, supabase):
    assert api.post("/auth/logout", headers=JSON).status_code == 401
    assert supabase.requests == []


CREDENTIAL_CALLS = [
    ("/auth/register", {"email": "a@b.cl", "password": "12345678", "role": "student"}),
    ("/auth/login", {"email": "a@b.cl", "password": "12345678"}),
    ("/auth/refresh", {"refreshToken": "r"}),
    ("/auth/forgot-password", {"email": "a@b.cl"}),
    ("/auth/confirm-forgot-password", {"email": "a@b.cl", "code": "123456", "newPassword": "12345678"}),
]


@pytest.mark.parametrize("path, body", CREDENTIAL_CALLS)
def test_without_supabase_url_credential_routes_answer_503(api, path, body):
    response = _post(api, path, body)
    assert response.status_code == 503
    assert response.json_body["code"] == "Service Unavailable" and "SUPABASE_URL" in response.json_body["message"]


def test_without_supabase_url_logout_answers_503(api, tokens):
    response = api.post("/auth/logout", headers=tokens.headers(role="teacher"))
    assert response.status_code == 503 and "SUPABASE_URL" in response.json_body["message"]


@pytest.mark.parametrize("status, payload, message", [
    (500, {"code": 500, "error_code": "unexpected_failure", "msg": "boom"}, "unavailable"),
    (429, {"code": 429, "error_code": "over_request_rate_limit", "msg": "slow down"}, "Too many requests"),
    (401, {"message": "Invalid API key"}, "unavailable"),
])
def test_supabase_failures_are_503(api, supabase, status, payload, message):
    supabase.fail_next(status, payload)
    response = _post(api, "/auth/login", {"email": "a@b.cl", "password": "12345678"})
    assert response.status_code == 503 and message in response.json_body["message"]


def test_unreachable_supabase_is_503(api, supabase):
    supabase.stop()
    response = _register(api)
    assert response.status_code == 503
