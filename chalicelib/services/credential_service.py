"""The ``/auth/*`` credential use cases on Supabase Auth (api.md §4.2, DECISIONS.md §2).

- **register** creates only student, teacher or parent accounts, with the role in
  ``app_metadata`` (the only claim roles are read from), and never touches an existing account:
  an e-mail already linked here or known to Supabase is a 409. The e-mail is marked confirmed
  (the original never verified e-mails either) so that the answer can carry a session.
- **login/refresh** return Supabase's tokens in the session shape of api.md §4.2; the caller's
  local user and profile rows are created on the way, exactly as a first authenticated request
  would, so ``user.id``/``user.profileId`` are real.
- **forgot/confirm** use Supabase's recovery e-mail and its 6-digit code; a confirmed reset signs
  every other session of the user out (the original bumped ``token_version``).
- **logout** revokes the caller's session (its refresh tokens; an access token stays valid until
  it expires — JWTs are stateless).
Unknown e-mail and wrong password are one answer (401), and forgot-password answers the same for
any e-mail, so accounts cannot be enumerated. Supabase being down or misconfigured is a 503.
"""
from __future__ import annotations

import logging
from typing import Any

from chalicelib import errors
from chalicelib.domain.identity import Role, TokenIdentity
from chalicelib.services import identity_service
from chalicelib.store import auth_accounts
from chalicelib.store.database import Database
from chalicelib.supabase_auth import AuthSession, SupabaseAuthClient, SupabaseAuthError, SupabaseAuthUnreachable

log = logging.getLogger(__name__)

REGISTRABLE_ROLES = (Role.STUDENT, Role.TEACHER, Role.PARENT)
RESET_SENT_MESSAGE = "A password reset link has been sent to your email. Check your inbox and spam folder."
_ALREADY_REGISTERED = {"email_exists", "user_already_exists", "phone_exists"}
# GoTrue answers an unknown (or logged-out) refresh token with refresh_token_not_found.
_REVOKED = {"refresh_token_already_used", "session_not_found", "session_expired"}


def _unavailable(exc: Exception, what: str) -> errors.Unavailable:
    """Supabase could not do it: down, rate limited or refusing our key (logged for operators)."""
    if isinstance(exc, SupabaseAuthError) and exc.status == 429:
        return errors.Unavailable("Too many requests to the sign-in service, retry in a minute")
    log.error("supabase auth failed", extra={"operation": what, "status": getattr(exc, "status", None),
                                             "error_code": getattr(exc, "code", None)})
    return errors.Unavailable("The sign-in service is unavailable, retry shortly")


def _is_client_error(exc: SupabaseAuthError) -> bool:
    return 400 <= exc.status < 500 and exc.status not in (401, 403, 429)


def _display_name(user_metadata: dict[str, Any], email: str) -> str | None:
    for key in ("full_name", "name", "display_name"):
        value = user_metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return email.split("@", 1)[0] or None


def session_response(db: Database, session: AuthSession) -> dict[str, Any]:
    """The session shape of api.md §4.2, after linking the Supabase user to its local rows."""
    user = session.user
    role = Role.from_claim(user.app_metadata.get("role"))
    principal = identity_service.link_principal(db, TokenIdentity(
        subject=user.id, email=user.email, role=role, display_name=_display_name(user.user_metadata, user.email)))
    return {
        "access_token": session.access_token,
        "refresh_token": session.refresh_token,
        "token_type": "Bearer",
        "expires_in_seconds": session.expires_in,
        "user": {"id": principal.user_id, "email": user.email, "role": role.value,
                 "profile_id": principal.profile_id, "supabase_uid": user.id,
                 "token_version": auth_accounts.token_version(db, principal.user_id)},
    }


def register(db: Database, auth: SupabaseAuthClient, *, email: str, password: str, role: Role) -> dict[str, Any]:
    """Create a student, teacher or parent account and sign it in."""
    if role not in REGISTRABLE_ROLES:
        raise errors.InvalidInput([f"role {role.value} cannot be registered"])
    email = email.strip().lower()
    if auth_accounts.linked_account_exists(db, email):
        raise errors.Conflict("An account with this email already exists")
    try:
        auth.create_user(email, password, app_metadata={"role": role.value})
    except SupabaseAuthError as exc:
        if exc.code in _ALREADY_REGISTERED or "already" in exc.message.lower():
            raise errors.Conflict("An account with this email already exists") from None
        if _is_client_error(exc):
            raise errors.InvalidInput([exc.message]) from None
        raise _unavailable(exc, "create_user") from None
    except SupabaseAuthUnreachable as exc:
        raise _unavailable(exc, "create_user") from None
    try:
        session = auth.sign_in_with_password(email, password)
    except (SupabaseAuthError, SupabaseAuthUnreachable) as exc:
        raise _unavailable(exc, "sign_in_after_register") from None
    return session_response(db, session)


def login(db: Database, auth: SupabaseAuthClient, *, email: str, password: str) -> dict[str, Any]:
    try:
        session = auth.sign_in_with_password(email.strip().lower(), password)
    except SupabaseAuthError as exc:
        if exc.code == "email_not_confirmed":
            raise errors.Unauthenticated("Email not confirmed") from None
        if exc.status in (400, 422):  # a 401/403 means Supabase refused our key: a 503
            raise errors.Unauthenticated("Invalid email or password") from None
        raise _unavailable(exc, "sign_in") from None
    except SupabaseAuthUnreachable as exc:
        raise _unavailable(exc, "sign_in") from None
    return session_response(db, session)


def refresh(db: Database, auth: SupabaseAuthClient, *, refresh_token: str) -> dict[str, Any]:
    try:
        session = auth.refresh_session(refresh_token)
    except SupabaseAuthError as exc:
        if exc.code in _REVOKED:
            raise errors.Unauthenticated("Session has been revoked") from None
        if exc.status in (400, 404, 422):
            raise errors.Unauthenticated("Invalid refresh token") from None
        raise _unavailable(exc, "refresh") from None
    except SupabaseAuthUnreachable as exc:
        raise _unavailable(exc, "refresh") from None
    return session_response(db, session)


def forgot_password(auth: SupabaseAuthClient, *, email: str, redirect_to: str | None) -> dict[str, str]:
    """Have Supabase e-mail a recovery code; the same answer whether or not the e-mail has an account."""
    try:
        auth.send_recovery(email.strip().lower(), redirect_to=redirect_to)
    except SupabaseAuthError as exc:
        if exc.status == 429:
            raise errors.Unavailable("A reset e-mail was sent recently, retry in a minute") from None
        if exc.status == 404 or exc.code == "user_not_found":
            return {"message": RESET_SENT_MESSAGE}
        if _is_client_error(exc):
            raise errors.InvalidInput([exc.message]) from None
        raise _unavailable(exc, "recover") from None
    except SupabaseAuthUnreachable as exc:
        raise _unavailable(exc, "recover") from None
    return {"message": RESET_SENT_MESSAGE}


def confirm_forgot_password(auth: SupabaseAuthClient, *, email: str, code: str, new_password: str) -> dict[str, str]:
    """Check the e-mailed code, set the new password, sign the user's sessions out."""
    try:
        session = auth.verify_recovery(email.strip().lower(), code.strip())
    except SupabaseAuthError as exc:
        if _is_client_error(exc) or exc.status == 403:  # GoTrue: 403 otp_expired
            raise errors.Unauthenticated("Invalid or expired password reset code") from None
        raise _unavailable(exc, "verify_recovery") from None
    except SupabaseAuthUnreachable as exc:
        raise _unavailable(exc, "verify_recovery") from None
    try:
        auth.update_password(session.access_token, new_password)
    except SupabaseAuthError as exc:
        if _is_client_error(exc):
            raise errors.InvalidInput([exc.message]) from None
        raise _unavailable(exc, "update_password") from None
    except SupabaseAuthUnreachable as exc:
        raise _unavailable(exc, "update_password") from None
    try:
        auth.sign_out(session.access_token, scope="global")
    except (SupabaseAuthError, SupabaseAuthUnreachable) as exc:
        # The password is changed; stale sessions then end when their refresh tokens expire.
        log.warning("sessions not revoked after password reset", extra={"error": str(exc)})
    return {"message": "Password updated successfully"}


def logout(auth: SupabaseAuthClient, *, access_token: str) -> dict[str, str]:
    """Revoke the session the caller's token belongs to (other devices stay signed in)."""
    try:
        auth.sign_out(access_token, scope="local")
    except SupabaseAuthError as exc:
        if exc.status in (401, 403, 404):
            log.info("session already gone at logout", extra={"status": exc.status, "error_code": exc.code})
        else:
            raise _unavailable(exc, "logout") from None
    except SupabaseAuthUnreachable as exc:
        raise _unavailable(exc, "logout") from None
    return {"message": "Session revoked successfully"}
