"""Wire models of ``/skills/*`` (api.md §4.5): topics ("skills"), the taxonomy, the error-tag typeahead.

A skill is answered as the Topic row, :class:`chalicelib.api.schemas.rows.TopicRow`.
"""
from __future__ import annotations

from pydantic import Field, field_validator

from chalicelib.api.schemas.base import QueryModel, RequestModel, ResponseModel

# Topic codes are unique per unit and are qualified as "<unit code>/<topic code>", so no "/" in them.
TOPIC_CODE = r"^[^\s/]+$"


class SkillCreate(RequestModel):
    key: str = Field(min_length=1, max_length=64, pattern=TOPIC_CODE, description="the topic code")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    unit_id: str | None = Field(None, min_length=1, max_length=200,
                                description="unit of the new topic (default: the first unit of the curriculum)")


class SkillUpdate(RequestModel):
    """Every field optional; ``description: null`` clears it, ``key``/``name`` cannot be null."""

    key: str | None = Field(None, min_length=1, max_length=64, pattern=TOPIC_CODE)
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)

    @field_validator("key", "name")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("must be a string, not null")
        return value


class PrerequisitesOut(ResponseModel):
    skill_id: str
    prerequisites: list[str] = Field(description="codes of the prerequisite topics")


class SubdomainOut(ResponseModel):
    id: str
    code: str
    name: str


class DomainOut(ResponseModel):
    id: str
    code: str
    name: str
    subdomains: list[SubdomainOut]


class ErrorTagSearchQuery(QueryModel):
    q: str | None = Field(None, max_length=200)
    domain_code: str | None = Field(None, max_length=64)
    limit: int = Field(20, description="clamped to 1…50")

    @field_validator("limit")
    @classmethod
    def _clamp(cls, value: int) -> int:
        return min(max(value, 1), 50)


class ErrorTagSearchOut(ResponseModel):
    code: str
    name: str
    subdomain_code: str | None
    domain_code: str | None
