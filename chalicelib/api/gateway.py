"""The API function's entry point: API Gateway proxy events → Chalice routes.

API Gateway forwards ``ANY /`` and ``ANY /{proxy+}`` to one Lambda (infra.md §4), so the event's
``resourcePath`` is ``/{proxy+}`` rather than a Chalice route. :class:`InnovaChalice` matches the
real path against the route table (literal segments before parameters, method-aware), fills in
``resourcePath``/``pathParameters`` and lets Chalice dispatch. Around every request it also:
- sets the trace id (``x-trace-id`` in, or a new UUID) for logs and envelopes, and echoes it;
- answers unknown paths and methods with the 404 envelope ``Cannot <METHOD> <url>``;
- applies the ``CORS_ORIGINS`` allow-list, preflights included (DECISIONS.md §2).
Events that already name a Chalice route (``chalice.test.Client``) pass through unchanged.
"""
from __future__ import annotations

import logging
import re
import time
from typing import Any
from urllib.parse import unquote, urlencode

from chalice import Chalice, Response

from chalicelib.api import envelope
from chalicelib.logs import trace_scope
from chalicelib.settings import get_settings

log = logging.getLogger(__name__)

PROXY_RESOURCES = ("/{proxy+}",)
# Keys Chalice's Request reads unconditionally; test and hand-made events may lack them.
_EVENT_DEFAULTS = {"multiValueQueryStringParameters": None, "queryStringParameters": None,
                   "headers": {}, "stageVariables": None, "body": None, "isBase64Encoded": False}
_ALLOWED_HEADERS = "Authorization,Content-Type,x-trace-id"
_ALLOWED_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS"


class RouteTable:
    """Chalice's route table compiled for matching concrete paths."""

    def __init__(self, routes: dict[str, dict[str, Any]]):
        compiled = []
        for pattern, methods in routes.items():
            segments = pattern.strip("/").split("/") if pattern != "/" else []
            regex = "^/" + "/".join(
                f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") else re.escape(s) for s in segments
            ) + "$"
            # Literal segments win over parameters, position by position (/skills/taxonomy before
            # /skills/{id}), like API Gateway.
            rank = tuple(1 if s.startswith("{") else 0 for s in segments)
            compiled.append((rank, pattern, re.compile(regex), set(methods)))
        compiled.sort(key=lambda item: (item[0], item[1]))
        self._compiled = compiled

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """``(route pattern, path parameters)`` for ``method path``, or None."""
        if path != "/" and path.endswith("/"):
            path = path.rstrip("/")
        for _, pattern, regex, methods in self._compiled:
            found = regex.match(path)
            if found and method in methods:
                return pattern, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def knows_path(self, path: str) -> bool:
        path = path.rstrip("/") or "/"
        return any(regex.match(path) for _, _, regex, _ in self._compiled)


def _headers(event: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in (event.get("headers") or {}).items() if v is not None}


def _url_with_query(event: dict[str, Any]) -> str:
    path = event.get("path") or "/"
    multi = event.get("multiValueQueryStringParameters") or {}
    single = event.get("queryStringParameters") or {}
    pairs = [(k, v) for k, values in multi.items() for v in values] if multi else list(single.items())
    return f"{path}?{urlencode(pairs)}" if pairs else path


class InnovaChalice(Chalice):
    """Chalice with proxy routing, trace ids, CORS and 404 envelopes (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._route_table: RouteTable | None = None
        self.log.setLevel(logging.INFO)

    @property
    def route_table(self) -> RouteTable:
        if self._route_table is None:
            self._route_table = RouteTable(self.routes)
        return self._route_table

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        headers = _headers(event)
        method = (event.get("httpMethod") or event.get("requestContext", {}).get("httpMethod") or "GET").upper()
        with trace_scope(headers.get("x-trace-id") or None) as trace_id:
            origin = headers.get("origin")
            allowed_origin = origin if origin and origin in get_settings().cors_origin_list else None
            if method == "OPTIONS":
                response = self._preflight(event, allowed_origin, origin, trace_id)
            else:
                routed = self._route(event, method)
                if routed is None:
                    response = envelope.failure(
                        404, "Not Found", f"Cannot {method} {_url_with_query(event)}",
                        path_with_query=_url_with_query(event), trace_id=trace_id,
                    ).to_dict(self.api.binary_types)
                else:
                    response = super().__call__(routed, context)
            out_headers = response.setdefault("headers", {})
            out_headers["x-trace-id"] = trace_id
            if allowed_origin:
                out_headers.update({
                    "Access-Control-Allow-Origin": allowed_origin,
                    "Access-Control-Allow-Credentials": "true",
                    "Access-Control-Expose-Headers": "x-trace-id",
                    "Vary": "Origin",
                })
            log.info("request", extra={"method": method, "path": event.get("path"),
                                       "status": response.get("statusCode"),
                                       "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
            return response

    def _route(self, event: dict[str, Any], method: str) -> dict[str, Any] | None:
        context = event.get("requestContext") or {}
        resource = context.get("resourcePath") or event.get("resource")
        if resource in self.routes and resource not in PROXY_RESOURCES:
            if method not in self.routes[resource]:
                return None
            return event
        found = self.route_table.match(method, event.get("path") or "/")
        if found is None:
            return None
        pattern, params = found
        return {
            **_EVENT_DEFAULTS,
            **event,
            "resource": pattern,
            "pathParameters": params or None,
            "requestContext": {**context, "resourcePath": pattern, "httpMethod": method},
        }

    def _preflight(self, event: dict[str, Any], allowed_origin: str | None, origin: str | None,
                   trace_id: str) -> dict[str, Any]:
        path = event.get("path") or "/"
        if not self.route_table.knows_path(path):
            return envelope.failure(404, "Not Found", f"Cannot OPTIONS {_url_with_query(event)}",
                                    path_with_query=_url_with_query(event),
                                    trace_id=trace_id).to_dict(self.api.binary_types)
        if origin and not allowed_origin:
            return envelope.failure(403, "Forbidden", "Origin not allowed", path_with_query=path,
                                    trace_id=trace_id).to_dict(self.api.binary_types)
        headers = {"Access-Control-Allow-Methods": _ALLOWED_METHODS,
                   "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
                   "Access-Control-Max-Age": "600"}
        return Response(body="", status_code=204, headers=headers).to_dict(self.api.binary_types)
