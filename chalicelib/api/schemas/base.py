"""Base classes for the wire models: camelCase on the wire, snake_case in Python.

- :class:`RequestModel`: bodies. Unknown properties are refused (also nested) and nothing is
  coerced: a JSON number field must be a number (api.md §1.7). A create model never carries fields
  a caller must not set (mass assignment, OWASP API3).
- :class:`QueryModel`: query strings, whose values arrive as text and are converted (``?limit=5``).
- :class:`ResponseModel`: what a route returns. Fields declared with :func:`omit_if_none` are left
  out when unset instead of sent as ``null`` (DECISIONS.md §1).
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.envelope import camel


class RequestModel(BaseModel):
    model_config = ConfigDict(alias_generator=camel, populate_by_name=True, extra="forbid",
                              strict=True, str_strip_whitespace=False, frozen=True)


class QueryModel(BaseModel):
    model_config = ConfigDict(alias_generator=camel, populate_by_name=True, extra="ignore",
                              frozen=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=camel, populate_by_name=True, from_attributes=True)


def omit_if_none(default: Any = None, **kwargs: Any) -> Any:
    """A response field that is omitted from the JSON when it is None."""
    return Field(default, exclude_if=lambda value: value is None, **kwargs)


Id = str
"""Ids are opaque strings (seeded rows use ``seed-course-001``); never validated as UUIDs."""

NonEmptyId = Field(min_length=1, max_length=200)
