"""``/auth/*``: the current identity (``GET /auth/me``)."""
from __future__ import annotations

from chalicelib.api.routing import ANY_ROLE, RequestContext, Routes
from chalicelib.api.schemas.auth import MeOut

routes = Routes("auth")


@routes.get("/auth/me", auth=ANY_ROLE, response=MeOut)
def me(ctx: RequestContext) -> MeOut:
    """The caller's user id, e-mail, display name, role and profile id."""
    principal = ctx.user
    return MeOut(id=principal.user_id, email=principal.email, name=principal.display_name,
                 role=principal.role.value, profile_id=principal.profile_id)
