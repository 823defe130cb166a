"""The wire format of every HTTP answer (api.md §1.3–1.4, §1.9; DECISIONS.md §1, §3).

Success: ``{statusCode, data, timestamp, path, traceId}``; error: ``{statusCode, timestamp, path,
traceId, code, message[, details]}`` with ``statusCode`` equal to the HTTP status. JSON keys are
camelCase, timestamps ISO-8601 UTC with milliseconds and a ``Z``.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from chalice import Response
from pydantic import BaseModel

from chalicelib import errors
from chalicelib.api.schemas.fields import iso_timestamp

JSON_HEADERS = {"Content-Type": "application/json"}

# Error class → (HTTP status, envelope code). The codes are the ones the web client knows.
_ERROR_STATUS: dict[type[errors.InnovaError], tuple[int, str]] = {
    errors.InvalidInput: (400, "Bad Request"),
    errors.Unauthenticated: (401, "Unauthorized"),
    errors.PermissionDenied: (403, "Forbidden"),
    errors.NotFound: (404, "Not Found"),
    errors.Conflict: (409, "Conflict"),
    errors.Unavailable: (503, "Service Unavailable"),
}


def now_iso() -> str:
    return iso_timestamp(dt.datetime.now(dt.timezone.utc))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def success(data: Any, *, status: int, path: str, trace_id: str | None,
            headers: dict[str, str] | None = None) -> Response:
    body = {"statusCode": status, "data": data, "timestamp": now_iso(), "path": path, "traceId": trace_id}
    return Response(body=to_json(body), status_code=status, headers={**JSON_HEADERS, **(headers or {})})


def failure(status: int, code: str, message: str | list[str], *, path_with_query: str,
            trace_id: str | None, details: list[dict] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "statusCode": status,
        "timestamp": now_iso(),
        "path": path_with_query,
        "traceId": trace_id,
        "code": code,
        "message": message,
    }
    if details:
        body["details"] = details
    return Response(body=to_json(body), status_code=status, headers={**JSON_HEADERS, **(headers or {})})


def from_error(error: errors.InnovaError, *, path_with_query: str, trace_id: str | None) -> Response:
    """The error envelope for a service error (subclasses map like their parent)."""
    for cls in type(error).__mro__:
        if cls in _ERROR_STATUS:
            status, code = _ERROR_STATUS[cls]
            break
    else:  # pragma: no cover - every InnovaError subclass derives from a mapped class
        status, code = 500, "INTERNAL_ERROR"
    if isinstance(error, errors.Unauthenticated) and error.message == "Unauthorized":
        code = "HTTP_ERROR"  # the bearer guard's historical code (api.md §1.4)
    return failure(status, code, error.message, path_with_query=path_with_query, trace_id=trace_id,
                   details=error.details)
