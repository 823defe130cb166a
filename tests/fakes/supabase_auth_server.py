"""A local Supabase Auth (GoTrue) server speaking the endpoints the ``/auth/*`` routes call.

    server = SupabaseAuthServer(jwt_secret=TEST_JWT_SECRET)
    os.environ["SUPABASE_URL"] = server.url
    ...
    server.requests[-1].path, .headers["apikey"], .body     # what the API really sent

Implements ``POST /auth/v1/admin/users``, ``POST /auth/v1/token?grant_type=password|refresh_token``,
``POST /auth/v1/recover``, ``POST /auth/v1/verify`` (type ``recovery``, e-mail + code),
``PUT /auth/v1/user`` and ``POST /auth/v1/logout?scope=local|global|others`` with GoTrue's status
codes and error bodies (``{code, error_code, msg}``). Access tokens are HS256 JWTs signed with the
given secret, with ``iss`` = ``{url}/auth/v1``, ``aud`` = ``authenticated``, ``app_metadata.role``
and a ``session_id``, so the API accepts them like Supabase's. Every request needs the
``apikey`` header to equal the service key (as Supabase's gateway does); the admin endpoint also
needs that key as the bearer. Refresh tokens rotate; logout and password resets revoke sessions.
``fail_next(status, body)`` makes the next request answer an error (rate limits, outages).
"""
from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt

from tests.fakes.scripted_http import IncomingRequest, LocalHttpServer, Reply

SERVICE_KEY = "test-service-role-key"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: Any


@dataclass
class FakeUser:
    id: str
    email: str
    password: str
    app_metadata: dict[str, Any]
    user_metadata: dict[str, Any] = field(default_factory=dict)
    email_confirmed: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "aud": "authenticated", "role": "authenticated", "email": self.email,
                "email_confirmed_at": "2026-01-01T00:00:00Z" if self.email_confirmed else None,
                "app_metadata": self.app_metadata, "user_metadata": self.user_metadata,
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}


class SupabaseAuthServer(LocalHttpServer):
    thread_name = "supabase-auth-fake"

    def __init__(self, *, jwt_secret: str, service_key: str = SERVICE_KEY, expires_in: int = 3600):
        self.jwt_secret = jwt_secret
        self.service_key = service_key
        self.expires_in = expires_in
        self.users: dict[str, FakeUser] = {}
        self.sessions: dict[str, dict[str, Any]] = {}  # session id → {user_id, revoked}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}  # token → {session_id, used}
        self.recovery_codes: dict[str, str] = {}  # e-mail → code
        self.outbox: list[dict[str, Any]] = []  # recovery e-mails "sent"
        self.requests: list[RecordedRequest] = []
        self._forced: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        super().__init__()
        self.issuer = f"{self.url}/auth/v1"

    def respond(self, request: IncomingRequest) -> Reply:
        as_text = request.raw.decode(errors="replace") if request.raw else None  # kept when it is not JSON
        recorded = RecordedRequest(request.method, request.path, request.query, request.headers,
                                   request.json(otherwise=as_text))
        with self._lock:
            self.requests.append(recorded)
            status, payload = self._dispatch(recorded)
        return Reply(status, raw=b"") if payload is None else Reply(status, body=payload)

    # -- helpers for tests -----------------------------------------------------------------------

    def add_user(self, email: str, password: str, *, role: str | None = "student", confirmed: bool = True) -> FakeUser:
        """A user that already exists in Supabase (not created through the API)."""
        user = FakeUser(str(uuid.uuid4()), email, password, {"provider": "email", **({"role": role} if role else {})},
                        email_confirmed=confirmed)
        self.users[user.id] = user
        return user

    def user_by_email(self, email: str) -> FakeUser | None:
        return next((u for u in self.users.values() if u.email == email), None)

    def fail_next(self, status: int, payload: dict[str, Any]) -> None:
        self._forced.append((status, payload))

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == f"/auth/v1{path}"]

    # -- GoTrue behaviour ------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
        return status, {"code": status, "error_code": code, "msg": message}

    def _session(self, user: FakeUser) -> dict[str, Any]:
        session_id = str(uuid.uuid4())
        self.sessions[session_id] = {"user_id": user.id, "revoked": False}
        refresh_token = secrets.token_urlsafe(16)
        self.refresh_tokens[refresh_token] = {"session_id": session_id, "used": False}
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user.id, "aud": "authenticated", "exp": now + self.expires_in,
                  "iat": now, "email": user.email, "role": "authenticated", "aal": "aal1",
                  "app_metadata": user.app_metadata, "user_metadata": user.user_metadata, "session_id": session_id}
        return {"access_token": jwt.encode(claims, self.jwt_secret, algorithm="HS256"), "token_type": "bearer",
                "expires_in": self.expires_in, "expires_at": now + self.expires_in, "refresh_token": refresh_token,
                "user": user.to_json()}

    def _bearer_session(self, request: RecordedRequest) -> tuple[FakeUser, str] | tuple[int, dict[str, Any]]:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        try:
            claims = jwt.decode(token, self.jwt_secret, algorithms=["HS256"], audience="authenticated",
                                issuer=self.issuer)
        except jwt.PyJWTError:
            return self._error(401, "bad_jwt", "invalid JWT: unable to parse or verify signature")
        session = self.sessions.get(claims.get("session_id", ""))
        if session is None or session["revoked"]:
            return self._error(403, "session_not_found", "Session from session_id claim in JWT does not exist")
        return self.users[claims["sub"]], claims["session_id"]

    def _dispatch(self, request: RecordedRequest) -> tuple[int, dict[str, Any] | None]:
        if self._forced:
            return self._forced.pop(0)
        if request.headers.get("apikey") != self.service_key:
            return 401, {"message": "Invalid API key"}
        body = request.body if isinstance(request.body, dict) else {}
        route = (request.method, request.path.removeprefix("/auth/v1"))
        if route == ("POST", "/admin/users"):
            if request.headers.get("authorization") != f"Bearer {self.service_key}":
                return self._error(403, "not_admin", "User not allowed")
            if self.user_by_email(body.get("email", "")):
                return self._error(422, "email_exists", "A user with this email address has already been registered")
            if len(body.get("password") or "") < 6:
                return self._error(422, "weak_password", "Password should be at least 6 characters.")
            user = FakeUser(str(uuid.uuid4()), body["email"], body["password"],
                            {"provider": "email", "providers": ["email"], **(body.get("app_metadata") or {})},
                            body.get("user_metadata") or {}, email_confirmed=bool(body.get("email_confirm")))
            self.users[user.id] = user
            return 200, user.to_json()
        if route == ("POST", "/token"):
            grant = request.query.get("grant_type")
            if grant == "password":
                user = self.user_by_email(body.get("email", ""))
                if user is None or user.password != body.get("password"):
                    return self._error(400, "invalid_credentials", "Invalid login credentials")
                if not user.email_confirmed:
                    return self._error(400, "email_not_confirmed", "Email not confirmed")
                return 200, self._session(user)
            if grant == "refresh_token":
                entry = self.refresh_tokens.get(body.get("refresh_token", ""))
                if entry is None or self.sessions[entry["session_id"]]["revoked"]:
                    return self._error(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
                if entry["used"]:
                    return self._error(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used")
                entry["used"] = True
                session = self.sessions[entry["session_id"]]
                return 200, self._session(self.users[session["user_id"]])
            return self._error(400, "unsupported_grant_type", "unsupported_grant_type")
        if route == ("POST", "/recover"):
            user = self.user_by_email(body.get("email", ""))
            if user is not None:
                code = f"{secrets.randbelow(900000) + 100000}"
                self.recovery_codes[user.email] = code
                self.outbox.append({"email": user.email, "code": code, "redirect_to": request.query.get("redirect_to")})
            return 200, {}
        if route == ("POST", "/verify"):
            email, code = body.get("email", ""), body.get("token", "")
            if body.get("type") != "recovery" or self.recovery_codes.get(email) != code:
                return self._error(403, "otp_expired", "Token has expired or is invalid")
            del self.recovery_codes[email]
            return 200, self._session(self.user_by_email(email))
        if route == ("PUT", "/user"):
            found = self._bearer_session(request)
            if not isinstance(found[0], FakeUser):
                return found  # type: ignore[return-value]
            user = found[0]
            password = body.get("password") or ""
            if password == user.password:
                return self._error(422, "same_password", "New password should be different from the old password.")
            if len(password) < 6:
                return self._error(422, "weak_password", "Password should be at least 6 characters.")
            user.password = password
            return 200, user.to_json()
        if route == ("POST", "/logout"):
            found = self._bearer_session(request)
            if not isinstance(found[0], FakeUser):
                return found  # type: ignore[return-value]
            user, session_id = found
            scope = request.query.get("scope", "global")
            for sid, session in self.sessions.items():
                mine = session["user_id"] == user.id
                if (scope == "local" and sid == session_id) or (scope == "global" and mine) or (
                        scope == "others" and mine and sid != session_id):
                    session["revoked"] = True
            return 204, None
        return 404, {"code": 404, "error_code": "not_found", "msg": "not found"}
