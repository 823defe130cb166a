"""``/items/*`` (api.md §4.6): the exercise bank. Reads for every role; writes for teachers and admins."""
from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api.routing import ANY_ROLE, TEACHER_OR_ADMIN, RequestContext, Routes
from chalicelib.api.schemas.items import (
    GenerateOut, IrtOut, ItemCreate, ItemGenerateIn, ItemListQuery, ItemViewOut,
)
from chalicelib.api.schemas.rows import ExerciseRow
from chalicelib.services import item_bank

routes = Routes("items")


@routes.post("/items", auth=TEACHER_OR_ADMIN, body=ItemCreate, response=ExerciseRow)
def create_item(ctx: RequestContext) -> ExerciseRow:
    """Add a teacher-authored exercise to a topic; returns the raw exercise row."""
    body: ItemCreate = ctx.body
    row = item_bank.create_item(dependencies.database(), ctx.user, topic_id=body.skill_id,
                                prompt=body.content.prompt, expected_answer=body.content.expected_answer,
                                irt_a=body.irt_a, irt_b=body.irt_b)
    return ExerciseRow.model_validate(row)


@routes.get("/items", auth=ANY_ROLE, query=ItemListQuery, response=list[ItemViewOut])
def list_items(ctx: RequestContext) -> list[dict]:
    """ACTIVE items of a topic (``skillKey`` or ``topic``), oldest first."""
    query: ItemListQuery = ctx.query
    views = item_bank.list_items(dependencies.database(), topic_reference=query.skill_key or query.topic,
                                 limit=query.limit)
    return [ItemViewOut.model_validate(view).model_dump(mode="json", by_alias=True) for view in views]


@routes.post("/items/generate", auth=TEACHER_OR_ADMIN, body=ItemGenerateIn, response=GenerateOut, status=202)
def generate_items(ctx: RequestContext) -> GenerateOut:
    """Ask the AI engine for new exercises (asynchronous: 202, nothing is written yet)."""
    body: ItemGenerateIn = ctx.body
    result = item_bank.request_generation(
        dependencies.database(), dependencies.publisher(), subdomain_code=body.subdomain_code,
        grade_level=body.grade_level, target_error_codes=body.target_error_codes, count=body.count,
        trace_id=ctx.trace_id)
    return GenerateOut.model_validate(result)


@routes.get("/items/{id}", auth=ANY_ROLE, response=ItemViewOut)
def get_item(ctx: RequestContext, id: str) -> ItemViewOut:  # noqa: A002 - the path parameter's name
    """One item (any status)."""
    return ItemViewOut.model_validate(item_bank.get_item(dependencies.database(), id))


@routes.get("/items/{id}/irt", auth=ANY_ROLE, response=IrtOut)
def get_item_irt(ctx: RequestContext, id: str) -> IrtOut:  # noqa: A002
    """The item's IRT 2PL parameters."""
    return IrtOut.model_validate(item_bank.get_irt(dependencies.database(), id))
