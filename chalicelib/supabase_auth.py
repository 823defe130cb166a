"""Supabase Auth (GoTrue) REST client for the ``/auth/*`` credential routes (DECISIONS.md §2).

Every request goes to ``{SUPABASE_URL}/auth/v1`` with the ``apikey`` header set to the service-role
key; ``Authorization`` carries that key too, except for the calls made *as the user* (``PUT /user``,
``POST /logout``), which carry the user's access token. The endpoints used:

| method | GoTrue endpoint | why |
|---|---|---|
| :meth:`create_user` | ``POST /admin/users`` | the only way to set ``app_metadata.role``; a duplicate e-mail is refused (422 ``email_exists``) rather than faked as ``/signup`` does |
| :meth:`sign_in_with_password` | ``POST /token?grant_type=password`` | login, and the session returned by register |
| :meth:`refresh_session` | ``POST /token?grant_type=refresh_token`` | rotates the refresh token |
| :meth:`send_recovery` | ``POST /recover`` | Supabase e-mails the 6-digit recovery code / link |
| :meth:`verify_recovery` | ``POST /verify`` (``type=recovery``, e-mail + code) | proves the code, yields a session |
| :meth:`update_password` | ``PUT /user`` | sets the new password with that session |
| :meth:`sign_out` | ``POST /logout?scope=…`` | revokes the session's refresh tokens |

Plain ``urllib`` (no HTTP client dependency: a handful of JSON calls per login). Errors: an HTTP
error answer raises :class:`SupabaseAuthError` with GoTrue's status, ``error_code`` and message
(both the current ``{code, error_code, msg}`` and the older ``{error, error_description}`` shapes
are read); no answer at all raises :class:`SupabaseAuthUnreachable`.
"""
from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0  # well inside API Gateway's 29 s, even for register's two calls


class SupabaseAuthError(Exception):
    """GoTrue answered with an error status."""

    def __init__(self, status: int, code: str | None, message: str):
        super().__init__(f"{status} {code or ''} {message}".strip())
        self.status = status
        self.code = code
        self.message = message


class SupabaseAuthUnreachable(Exception):
    """No answer from GoTrue (connection refused, DNS, timeout)."""


@dataclass(frozen=True)
class AuthUser:
    id: str
    email: str
    app_metadata: dict[str, Any] = field(default_factory=dict)
    user_metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AuthUser":
        return cls(id=str(data["id"]), email=str(data.get("email") or ""),
                   app_metadata=data.get("app_metadata") if isinstance(data.get("app_metadata"), dict) else {},
                   user_metadata=data.get("user_metadata") if isinstance(data.get("user_metadata"), dict) else {})


@dataclass(frozen=True)
class AuthSession:
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: AuthUser

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AuthSession":
        try:
            return cls(access_token=str(data["access_token"]), refresh_token=str(data["refresh_token"]),
                       token_type=str(data.get("token_type") or "bearer"),
                       expires_in=int(data.get("expires_in") or 3600), user=AuthUser.from_json(data["user"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SupabaseAuthError(502, "bad_response", f"unexpected session answer: {exc}") from None


class SupabaseAuthClient:
    """GoTrue's REST API on one Supabase project."""

    def __init__(self, supabase_url: str, service_key: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        self.base_url = f"{supabase_url.rstrip('/')}/auth/v1"
        self._service_key = service_key
        self.timeout = timeout

    # -- endpoints ------------------------------------------------------------------------------

    def create_user(self, email: str, password: str, *, app_metadata: dict[str, Any],
                    email_confirm: bool = True) -> AuthUser:
        """Create a user as the service role (``app_metadata`` is writable only this way)."""
        data = self._call("POST", "/admin/users", {"email": email, "password": password,
                                                   "email_confirm": email_confirm, "app_metadata": app_metadata})
        return AuthUser.from_json(data)

    def sign_in_with_password(self, email: str, password: str) -> AuthSession:
        return AuthSession.from_json(self._call("POST", "/token", {"email": email, "password": password},
                                                query={"grant_type": "password"}))

    def refresh_session(self, refresh_token: str) -> AuthSession:
        return AuthSession.from_json(self._call("POST", "/token", {"refresh_token": refresh_token},
                                                query={"grant_type": "refresh_token"}))

    def send_recovery(self, email: str, *, redirect_to: str | None = None) -> None:
        """Ask Supabase to e-mail a recovery code (it answers alike for unknown e-mails)."""
        self._call("POST", "/recover", {"email": email}, query={"redirect_to": redirect_to} if redirect_to else None)

    def verify_recovery(self, email: str, code: str) -> AuthSession:
        """Exchange the e-mailed recovery code for a session."""
        return AuthSession.from_json(self._call("POST", "/verify", {"type": "recovery", "email": email,
                                                                   "token": code}))

    def update_password(self, access_token: str, password: str) -> None:
        self._call("PUT", "/user", {"password": password}, bearer=access_token)

    def sign_out(self, access_token: str, *, scope: str = "local") -> None:
        """Revoke the session of ``access_token`` (``local``), all the user's (``global``) or the others."""
        self._call("POST", "/logout", None, query={"scope": scope}, bearer=access_token)

    # -- transport ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None, *,
              query: dict[str, str] | None = None, bearer: str | None = None) -> dict[str, Any]:
        url = self.base_url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        headers = {"apikey": self._service_key, "Authorization": f"Bearer {bearer or self._service_key}",
                   "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - https URL from settings
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise _error_from(exc.code, exc.read()) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            log.warning("supabase auth unreachable", extra={"path": path, "error": str(exc)})
            raise SupabaseAuthUnreachable(str(exc)) from None
        if not raw.strip():
            return {}
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise SupabaseAuthError(502, "bad_response", "Supabase Auth answered with something that is not JSON") from None
        return parsed if isinstance(parsed, dict) else {}


def _error_from(status: int, raw: bytes) -> SupabaseAuthError:
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = body.get("error_code") or body.get("error")
    message = body.get("msg") or body.get("error_description") or body.get("message") or f"HTTP {status}"
    return SupabaseAuthError(status, str(code) if code else None, str(message))
