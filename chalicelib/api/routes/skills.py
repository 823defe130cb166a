"""``/skills/*`` (api.md §4.5): the topics catalogue, the taxonomy and the error-tag typeahead.

Reads are open to every role; creating and changing topics needs teacher or admin, deleting admin
(DECISIONS.md §2). The literal paths (``taxonomy``, ``error-tags``) are matched before ``{id}``.
"""
from __future__ import annotations

from chalice import Response

from chalicelib import dependencies
from chalicelib.api.routing import ADMIN_ONLY, ANY_ROLE, TEACHER_OR_ADMIN, RequestContext, Routes
from chalicelib.api.schemas.skills import (
    DomainOut, ErrorTagSearchOut, ErrorTagSearchQuery, PrerequisitesOut, SkillCreate, SkillUpdate,
)
from chalicelib.api.schemas.rows import TopicRow
from chalicelib.services import error_catalog, skill_catalog

routes = Routes("skills")


@routes.post("/skills", auth=TEACHER_OR_ADMIN, body=SkillCreate, response=TopicRow)
def create_skill(ctx: RequestContext) -> TopicRow:
    """Create a topic (``key`` is its code) with the default BKT parameters."""
    body: SkillCreate = ctx.body
    row = skill_catalog.create_topic(dependencies.database(), code=body.key, name=body.name,
                                     description=body.description, unit_id=body.unit_id)
    return TopicRow.model_validate(row)


@routes.get("/skills", auth=ANY_ROLE, response=list[TopicRow])
def list_skills(ctx: RequestContext) -> list[dict]:
    """Every topic, ordered by unit."""
    return [TopicRow.model_validate(row).model_dump(mode="json", by_alias=True)
            for row in skill_catalog.list_topics(dependencies.database())]


@routes.get("/skills/taxonomy", auth=ANY_ROLE, response=list[DomainOut])
def taxonomy(ctx: RequestContext) -> list[dict]:
    """The error-taxonomy domains with their subdomains, by code."""
    return [DomainOut.model_validate(row).model_dump(mode="json", by_alias=True)
            for row in skill_catalog.taxonomy(dependencies.database())]


@routes.get("/skills/error-tags", auth=ANY_ROLE, query=ErrorTagSearchQuery, response=list[ErrorTagSearchOut])
def search_error_tags(ctx: RequestContext) -> list[dict]:
    """ACTIVE error tags matching ``q`` (code, name or description), for manual overrides."""
    query: ErrorTagSearchQuery = ctx.query
    rows = error_catalog.search_active_tags(dependencies.database(), q=query.q, domain_code=query.domain_code,
                                            limit=query.limit)
    return [ErrorTagSearchOut.model_validate(row).model_dump(mode="json", by_alias=True) for row in rows]


@routes.get("/skills/{id}", auth=ANY_ROLE, response=TopicRow)
def get_skill(ctx: RequestContext, id: str) -> TopicRow:  # noqa: A002 - the path parameter's name
    """One topic."""
    return TopicRow.model_validate(skill_catalog.get_topic(dependencies.database(), id))


@routes.patch("/skills/{id}", auth=TEACHER_OR_ADMIN, body=SkillUpdate, response=TopicRow)
def update_skill(ctx: RequestContext, id: str) -> TopicRow:  # noqa: A002
    """Change a topic's code (``key``), name or description."""
    body: SkillUpdate = ctx.body
    changes = {("code" if field == "key" else field): getattr(body, field) for field in body.model_fields_set}
    return TopicRow.model_validate(skill_catalog.update_topic(dependencies.database(), id, changes))


@routes.delete("/skills/{id}", auth=ADMIN_ONLY, status=204)
def delete_skill(ctx: RequestContext, id: str) -> Response:  # noqa: A002
    """Delete an unused topic: 204 with an empty body."""
    skill_catalog.delete_topic(dependencies.database(), id)
    return Response(body="", status_code=204)


@routes.get("/skills/{id}/prerequisites", auth=ANY_ROLE, response=PrerequisitesOut)
def skill_prerequisites(ctx: RequestContext, id: str) -> PrerequisitesOut:  # noqa: A002
    """The codes of the topics that come before this one."""
    return PrerequisitesOut.model_validate(skill_catalog.prerequisites(dependencies.database(), id))
