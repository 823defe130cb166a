"""``/auth/*`` (api.md §4.2): credentials through Supabase Auth, and the current identity.

The five credential routes are public; with ``SUPABASE_URL`` unset they answer 503 (DECISIONS.md §2).
"""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import ANY_ROLE, PUBLIC, RequestContext, Routes
from chalicelib.api.schemas.auth import (
    ConfirmForgotPasswordIn, ForgotPasswordIn, LoginIn, MeOut, MessageOut, RefreshIn, RegisterIn, SessionOut,
)
from chalicelib.domain.identity import Role
from chalicelib.services import credential_service
from chalicelib.settings import get_settings

routes = Routes("auth")


@routes.post("/auth/register", auth=PUBLIC, body=RegisterIn, response=SessionOut)
def register(ctx: RequestContext) -> SessionOut:
    """Create a student, teacher or parent account and return its session."""
    body: RegisterIn = ctx.body
    auth = dependencies.supabase_auth()
    session = credential_service.register(dependencies.database(), auth, email=body.email,
                                          password=body.password, role=Role(body.role))
    return SessionOut.model_validate(session)


@routes.post("/auth/login", auth=PUBLIC, body=LoginIn, response=SessionOut)
def login(ctx: RequestContext) -> SessionOut:
    """Sign in with e-mail and password."""
    auth = dependencies.supabase_auth()
    return SessionOut.model_validate(credential_service.login(
        dependencies.database(), auth, email=ctx.body.email, password=ctx.body.password))


@routes.post("/auth/refresh", auth=PUBLIC, body=RefreshIn, response=SessionOut)
def refresh(ctx: RequestContext) -> SessionOut:
    """A new session for a refresh token (the old refresh token is spent)."""
    auth = dependencies.supabase_auth()
    return SessionOut.model_validate(credential_service.refresh(
        dependencies.database(), auth, refresh_token=ctx.body.refresh_token))


@routes.post("/auth/forgot-password", auth=PUBLIC, body=ForgotPasswordIn, response=MessageOut)
def forgot_password(ctx: RequestContext) -> MessageOut:
    """E-mail a password-reset code (same answer for every address)."""
    auth = dependencies.supabase_auth()
    app_url = get_settings().public_app_url
    redirect_to = f"{app_url.rstrip('/')}/auth/reset" if app_url else None
    return MessageOut.model_validate(credential_service.forgot_password(auth, email=ctx.body.email,
                                                                        redirect_to=redirect_to))


@routes.post("/auth/confirm-forgot-password", auth=PUBLIC, body=ConfirmForgotPasswordIn, response=MessageOut)
def confirm_forgot_password(ctx: RequestContext) -> MessageOut:
    """Set a new password with the e-mailed code; other sessions are signed out."""
    body: ConfirmForgotPasswordIn = ctx.body
    auth = dependencies.supabase_auth()
    return MessageOut.model_validate(credential_service.confirm_forgot_password(
        auth, email=body.email, code=body.code, new_password=body.new_password))


@routes.get("/auth/me", auth=ANY_ROLE, response=MeOut)
def me(ctx: RequestContext) -> MeOut:
    """The caller's user id, e-mail, display name, role and profile id."""
    principal = ctx.user
    return MeOut(id=principal.user_id, email=principal.email, name=principal.display_name,
                 role=principal.role.value, profile_id=principal.profile_id)


@routes.post("/auth/logout", auth=ANY_ROLE, response=MessageOut)
def logout(ctx: RequestContext) -> MessageOut:
    """Revoke the caller's session."""
    from chalicelib.api.security import bearer_token  # loaded by authentication already; PyJWT stays lazy

    auth = dependencies.supabase_auth()
    token = bearer_token(ctx.headers) or ""
    return MessageOut.model_validate(credential_service.logout(auth, access_token=token))
