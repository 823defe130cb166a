"""Declaring routes: one decorator per route states who may call it, what it accepts and returns.

    routes = Routes("attempts")

    @routes.post("/attempts", body=AttemptCreate, response=AttemptOut, status=201, auth=ANY_ROLE)
    def create_attempt(ctx: RequestContext):
        return attempt_service.submit_attempt(dependencies.database(), ctx.principal, ctx.body)

The wrapper authenticates (401), checks the role (403), parses the body and query with pydantic
(400 with field details), calls the view, and wraps its result in the success envelope; service
errors become error envelopes. Each handler carries its :class:`RouteSpec` (``handler.route_spec``);
:func:`route_specs` reads them back from an app's route table for the OpenAPI document and the
authorization-matrix test.
"""
from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib import errors
from chalicelib.api import envelope
from chalicelib.domain.identity import Principal, Role
from chalicelib.logs import current_trace_id
from chalicelib.store.database import DatabaseUnavailableError, IntegrityViolation

log = logging.getLogger(__name__)

PUBLIC: tuple[Role, ...] = ()
ANY_ROLE: tuple[Role, ...] = tuple(Role)
STUDENT_ONLY = (Role.STUDENT,)
TEACHER_ONLY = (Role.TEACHER,)
PARENT_ONLY = (Role.PARENT,)
ADMIN_ONLY = (Role.ADMIN,)
TEACHER_OR_ADMIN = (Role.TEACHER, Role.ADMIN)
STUDENT_TEACHER_OR_ADMIN = (Role.STUDENT, Role.TEACHER, Role.ADMIN)  # everyone but parents

_JSON_TYPES = ("application/json", "text/json")


@dataclass(frozen=True)
class RouteSpec:
    """What a route declares (read by the OpenAPI generator and the authorization matrix)."""

    method: str
    path: str
    view_name: str
    area: str
    auth: tuple[Role, ...]
    status: int
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    raw_body: bool = False  # the view reads the bytes itself (multipart uploads)

    @property
    def is_public(self) -> bool:
        return not self.auth


def route_specs(app: Any) -> list[RouteSpec]:
    """The declarations of every route registered on a Chalice ``app``."""
    specs = []
    for methods in app.routes.values():
        for entry in methods.values():
            spec = getattr(entry.view_function, "route_spec", None)
            if spec is not None:
                specs.append(spec)
    return sorted(specs, key=lambda s: (s.path, s.method))


@dataclass
class RequestContext:
    """Everything a view needs about the current request."""

    request: Any  # chalice.app.Request
    trace_id: str
    principal: Principal | None = None
    body: Any = None
    query: Any = None
    path_params: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> Principal:
        """The principal of an authenticated route (never None there)."""
        assert self.principal is not None, "route declared PUBLIC but reads the principal"
        return self.principal

    @property
    def headers(self) -> Any:
        return self.request.headers


def request_path(request: Any) -> str:
    """The path the client asked for (the envelope's ``path``)."""
    original = request.to_original_event() if hasattr(request, "to_original_event") else {}
    return original.get("path") or request.context.get("path") or "/"


def request_path_with_query(request: Any) -> str:
    query = request.query_params or {}
    multi = getattr(query, "_dict", None)
    pairs = [(k, v) for k, values in multi.items() for v in values] if multi else list(query.items())
    path = request_path(request)
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _field_name(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if part not in ("body", "query")) or "body"


def validation_failure(exc: ValidationError) -> errors.InvalidInput:
    """pydantic errors → one message per failed rule, plus ``details`` with field names."""
    messages, details = [], []
    for err in exc.errors(include_url=False):
        name = _field_name(err["loc"])
        if err["type"] == "extra_forbidden":
            message = f"property {name} should not exist"
        elif err["type"] == "json_invalid":
            message = "body must be valid JSON"
        else:
            message = f"{name}: {err['msg']}"
        messages.append(message)
        details.append({"field": name, "message": err["msg"], "type": err["type"]})
    return errors.InvalidInput(messages, details=details)


def parse_body(request: Any, model: type[BaseModel]) -> BaseModel:
    raw = request.raw_body or b""
    content_type = (request.headers.get("content-type") or "application/json").lower()
    if raw.strip() and not any(t in content_type for t in _JSON_TYPES):
        raise errors.InvalidInput(["body must be JSON (Content-Type: application/json)"],
                                  details=[{"field": "body", "message": "unsupported content type",
                                            "type": "content_type"}])
    try:
        return model.model_validate_json(raw if raw.strip() else b"{}", strict=True)
    except ValidationError as exc:
        raise validation_failure(exc) from None


def parse_query(request: Any, model: type[BaseModel]) -> BaseModel:
    params = request.query_params or {}
    multi = getattr(params, "_dict", None)
    data = {k: (v if len(v) > 1 else v[0]) for k, v in multi.items()} if multi else dict(params)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_failure(exc) from None


def error_response(error: Exception, request: Any) -> Response:
    """The error envelope for anything a view raised; a 500 is logged as a bug."""
    path = request_path_with_query(request)
    trace_id = current_trace_id()
    if isinstance(error, errors.InnovaError):
        return envelope.from_error(error, path_with_query=path, trace_id=trace_id)
    if isinstance(error, IntegrityViolation):
        # A constraint the service did not pre-check: a duplicate is a conflict, a dangling
        # reference an unknown id (DECISIONS.md §3: a 500 means a bug).
        mapped = errors.Conflict("Resource already exists") if error.is_unique else (
            errors.NotFound("Referenced resource not found") if error.is_foreign_key
            else errors.InvalidInput([f"Invalid value ({error.constraint or error.sqlstate})"]))
        log.info("integrity violation mapped to %s", type(mapped).__name__,
                 extra={"constraint": error.constraint, "sqlstate": error.sqlstate})
        return envelope.from_error(mapped, path_with_query=path, trace_id=trace_id)
    if isinstance(error, DatabaseUnavailableError):
        log.error("database unavailable", exc_info=error)
        return envelope.from_error(errors.Unavailable("Database unavailable, retry shortly"),
                                   path_with_query=path, trace_id=trace_id)
    log.error("unhandled error", exc_info=error)
    return envelope.failure(500, "INTERNAL_ERROR", "Internal server error", path_with_query=path,
                            trace_id=trace_id)


class Routes:
    """A Chalice blueprint whose routes are declared with :meth:`get`/:meth:`post`/…"""

    def __init__(self, area: str):
        self.area = area
        self.blueprint = Blueprint(f"chalicelib.api.routes.{area}")

    def route(self, method: str, path: str, *, auth: tuple[Role, ...], status: int = 200,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: Any = None, summary: str = "", raw_body: bool = False) -> Callable:
        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            spec = RouteSpec(method, path, view.__name__, self.area, auth, status,
                             summary or (view.__doc__ or "").strip().split("\n")[0],
                             body, query, response, raw_body)
            @functools.wraps(view)
            def handler(**path_params: str) -> Response:
                request = self.blueprint.current_request
                try:
                    return self._handle(spec, view, request, path_params)
                except Exception as exc:  # noqa: BLE001 - every failure becomes an envelope
                    return error_response(exc, request)

            handler.route_spec = spec  # type: ignore[attr-defined]
            # '*/*': content types are checked here so that a refusal is a 400 envelope.
            self.blueprint.route(path, methods=[method], content_types=["*/*"])(handler)
            return view

        return decorator

    def _handle(self, spec: RouteSpec, view: Callable, request: Any, path_params: dict) -> Response:
        ctx = RequestContext(request=request, trace_id=current_trace_id() or "", path_params=path_params)
        if not spec.is_public:
            from chalicelib.api.security import authenticate  # deferred: PyJWT only for protected routes

            ctx.principal = authenticate(request)
            if ctx.principal.role not in spec.auth:
                raise errors.PermissionDenied("Forbidden resource")
        if spec.body is not None:
            ctx.body = parse_body(request, spec.body)
        if spec.query is not None:
            ctx.query = parse_query(request, spec.query)
        result = view(ctx, **path_params)
        if isinstance(result, Response):
            return result
        if isinstance(result, BaseModel):
            result = result.model_dump(mode="json", by_alias=True)
        return envelope.success(result, status=spec.status, path=request_path(request),
                                trace_id=ctx.trace_id)

    def get(self, path: str, **kwargs: Any) -> Callable:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable:
        return self.route("POST", path, status=kwargs.pop("status", 201), **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable:
        return self.route("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable:
        return self.route("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable:
        return self.route("DELETE", path, **kwargs)


def json_body(request: Any) -> Any:
    """The raw JSON body of a request without a declared model (400 when malformed)."""
    raw = request.raw_body or b""
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        raise errors.InvalidInput(["body must be valid JSON"]) from None
