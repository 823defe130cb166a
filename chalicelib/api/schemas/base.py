"""Base classes for the wire models: camelCase on the wire, snake_case in Python.

- :class:`RequestModel`: bodies. Unknown properties are refused (also nested) and nothing is
  coerced: a JSON number field must be a number (api.md §1.7). A create model never carries fields
  a caller must not set (mass assignment, OWASP API3).
- :class:`QueryModel`: query strings, whose values arrive as text and are converted (``?limit=5``).
- :class:`ResponseModel`: what a route returns. Fields declared with :func:`omit_if_none` are left
  out when unset instead of sent as ``null`` (DECISIONS.md §1).
"""
from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


@functools.lru_cache(maxsize=1024)
def camel(name: str) -> str:
    """snake_case column name → camelCase JSON field (``bkt_p_l0`` → ``bktPL0``, ``trend_7d`` → ``trend7d``).

    Unlike pydantic's ``to_camel``, a part that starts with a digit keeps its case (data-model.md's
    JSON name of ``trend_7d`` is ``trend7d``).
    """
    if "_" not in name:
        return name
    first, *rest = name.split("_")
    return first + "".join(part if part[:1].isdigit() else part[:1].upper() + part[1:] for part in rest if part)


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

