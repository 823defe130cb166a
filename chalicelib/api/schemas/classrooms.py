"""Wire models of ``/classrooms`` (api.md §4.7). Responses are Course rows (``rows.CourseRow``)."""
from __future__ import annotations

from pydantic import Field

from chalicelib.api.schemas.base import RequestModel, ResponseModel, omit_if_none
from chalicelib.api.schemas.fields import IsoDateTime, Timestamp


class CourseCreate(RequestModel):
    """Every field optional: a blank name is derived from grade, letter and subject."""

    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)  # accepted, not stored (api.md)
    grade_level: int | None = Field(default=None, ge=1, le=12)
    letter: str | None = Field(default=None, max_length=10)  # blank = no letter
    subject_code: str | None = Field(default=None, min_length=1, max_length=50)


class InviteCreate(RequestModel):
    """Optional limits of a join code (data-model.md ``classroom_invites``); no body = unlimited."""

    expires_at: IsoDateTime | None = None
    max_uses: int | None = Field(default=None, ge=1, le=10_000)


class InviteOut(ResponseModel):
    code: str
    url: str
    expires_at: Timestamp | None = omit_if_none()
    max_uses: int | None = omit_if_none()


class JoinIn(RequestModel):
    code: str = Field(min_length=1, max_length=100)
