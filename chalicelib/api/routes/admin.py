"""``/admin/*`` (api.md §4.14): error-catalogue curation, the status page and the killswitches. Admin only."""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import ADMIN_ONLY, RequestContext, Routes
from chalicelib.api.schemas.admin import (
    AdminStatusOut, ErrorTagItemOut, ErrorTagListQuery, ErrorTagPageOut, ErrorTagStatusIn, KillswitchIn,
    KillswitchOut,
)
from chalicelib.messaging.queue_depths import SqsQueueDepthReader
from chalicelib.services import admin_status, error_catalog
from chalicelib.settings import get_settings

routes = Routes("admin")


@routes.get("/admin/error-tags", auth=ADMIN_ONLY, query=ErrorTagListQuery, response=ErrorTagPageOut)
def list_error_tags(ctx: RequestContext) -> ErrorTagPageOut:
    """The error catalogue by code, filtered, with keyset pagination and facets."""
    query: ErrorTagListQuery = ctx.query
    filters = error_catalog.CatalogFilters(
        status=query.status.value if query.status else None, source=query.source.value if query.source else None,
        domain_code=query.domain_code, q=query.q)
    page = error_catalog.list_tags(dependencies.database(), filters, cursor=query.cursor, limit=query.limit)
    return ErrorTagPageOut.model_validate(page)


@routes.patch("/admin/error-tags/{code}/status", auth=ADMIN_ONLY, body=ErrorTagStatusIn,
              response=ErrorTagItemOut)
def change_error_tag_status(ctx: RequestContext, code: str) -> ErrorTagItemOut:
    """Promote, deprecate (optionally naming the replacement) or revert an error tag."""
    body: ErrorTagStatusIn = ctx.body
    item = error_catalog.change_status(dependencies.database(), code, body.status,
                                       deprecated_by=body.deprecated_by)
    return ErrorTagItemOut.model_validate(item)


@routes.get("/admin/status", auth=ADMIN_ONLY, response=AdminStatusOut)
def system_status(ctx: RequestContext) -> AdminStatusOut:
    """Queue depths, pipeline counts of the last hour, AI cost today and this month, killswitches."""
    status = admin_status.read_status(dependencies.database(), SqsQueueDepthReader(), get_settings())
    return AdminStatusOut.model_validate(status)


@routes.patch("/admin/status/killswitches/{key}", auth=ADMIN_ONLY, body=KillswitchIn, response=KillswitchOut)
def set_killswitch(ctx: RequestContext, key: str) -> KillswitchOut:
    """Enable or pause one AI pipeline (SSM parameter; workers see it within a minute)."""
    return KillswitchOut.model_validate(admin_status.set_killswitch(key, ctx.body.enabled))
