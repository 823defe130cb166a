"""Document values ⇄ JSON: for the PostgreSQL JSONB adapter and for the S3 archive copies.

JSONB has no date type, so the PostgreSQL adapter stores a date as MongoDB Extended JSON
(``{"$date": "2026-01-31T12:00:00.123Z"}``) and turns it back into a ``datetime`` on read: a
document then reads back identical from either adapter. Archive copies in S3 carry plain ISO-8601
strings ending in ``Z`` (workers.md §2.3).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.documents.store import utc_millis

_DATE = "$date"


def iso_z(value: datetime) -> str:
    """``2026-01-31T12:00:00.123Z``: UTC, milliseconds, ``Z`` suffix."""
    return utc_millis(value).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse_iso_z(text: str) -> datetime:
    return utc_millis(datetime.fromisoformat(text.replace("Z", "+00:00")))


def check_field_names(fields: dict[str, Any]) -> None:
    """Refuse names the two adapters would treat differently (dotted paths, ``$`` operators)."""
    for name in fields:
        if not isinstance(name, str) or not name or "." in name or name.startswith("$"):
            raise ValueError(f"invalid document field name: {name!r}")


def to_storable(value: Any) -> Any:
    """A JSON-compatible copy of ``value`` with every datetime wrapped as ``{"$date": …}``."""
    if isinstance(value, datetime):
        return {_DATE: iso_z(value)}
    if isinstance(value, dict):
        return {key: to_storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_storable(item) for item in value]
    return value


def from_storable(value: Any) -> Any:
    """The inverse of :func:`to_storable`."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get(_DATE), str):
            try:
                return _parse_iso_z(value[_DATE])
            except ValueError:  # a client payload that merely looks like a date wrapper
                return dict(value)
        return {key: from_storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_storable(item) for item in value]
    return value


def dumps_storable(value: Any) -> str:
    return json.dumps(to_storable(value), separators=(",", ":"), ensure_ascii=False)


def archive_json(document: dict[str, Any]) -> bytes:
    """The S3 archive body of a document: ``_id`` as hex text, dates as ISO-8601 ``Z`` strings."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return iso_z(value)
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return value

    body = plain(document)
    body["_id"] = str(document.get("_id", ""))
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
