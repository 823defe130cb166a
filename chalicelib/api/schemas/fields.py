"""Field types shared by the wire models: timestamps in and out (api.md §1.7, §1.9)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema


def iso_timestamp(value: dt.datetime) -> str:
    """``2026-06-01T12:00:00.000Z``; naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _parse_iso(value: Any) -> Any:
    """An ISO-8601 date (``2026-06-01``, midnight UTC) or date-time; naive values are UTC."""
    if not isinstance(value, str):
        return value  # the datetime validator reports the wrong type
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be an ISO-8601 date or date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


IsoDateTime = Annotated[
    dt.datetime,
    BeforeValidator(_parse_iso),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A request field documented as "ISO date": a date or a date-time string."""

Timestamp = Annotated[dt.datetime, PlainSerializer(iso_timestamp, return_type=str, when_used="json")]
"""A timestamp on the wire: ISO-8601 UTC with milliseconds and ``Z``."""

EntityId = Annotated[str, Field(min_length=1, max_length=200)]
"""An opaque id in a body or query (never validated as a UUID, api.md §1.1)."""
