"""``/parent``: a parent's linked children and a child's overview (api.md §4.13). Parents only."""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import PARENT_ONLY, RequestContext, Routes
from chalicelib.api.schemas.parent import ChildOut, ChildOverviewOut
from chalicelib.services import parent_service

routes = Routes("parent")


@routes.get("/parent/children", auth=PARENT_ONLY, response=list[ChildOut])
def list_children(ctx: RequestContext) -> list[ChildOut]:
    """Children linked to the caller with consent recorded."""
    return [ChildOut.model_validate(r) for r in parent_service.list_children(dependencies.database(), ctx.user)]


@routes.get("/parent/children/{student_id}", auth=PARENT_ONLY, response=ChildOverviewOut)
def child_overview(ctx: RequestContext, student_id: str) -> ChildOverviewOut:
    """Unit bands, recent guides and open alerts of a linked child (others: 404)."""
    overview = parent_service.child_overview(dependencies.database(), ctx.user, student_id)
    return ChildOverviewOut.model_validate(overview, from_attributes=True)
