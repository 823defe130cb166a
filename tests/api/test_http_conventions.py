"""Envelopes, trace ids, proxy routing, 404s, CORS and request validation (api.md §1, DECISIONS §1–3)."""
from __future__ import annotations

import uuid

import pytest
from pydantic import Field

from chalicelib import dependencies, errors
from chalicelib.api.gateway import InnovaChalice
from chalicelib.api.routing import PUBLIC, TEACHER_ONLY, RequestContext, Routes
from chalicelib.api.schemas.base import RequestModel, QueryModel
from tests.conftest import ProxyClient


class Nested(RequestModel):
    prompt: str


class EchoIn(RequestModel):
    student_id: str
    count: int = Field(ge=0, le=3)
    content: Nested | None = None


class PageQuery(QueryModel):
    limit: int = Field(default=20, ge=1, le=100)


def make_test_app() -> InnovaChalice:
    """A throwaway app exercising the routing layer without touching the product's routes."""
    routes = Routes("probe")

    @routes.post("/probe/echo", auth=PUBLIC, body=EchoIn)
    def echo(ctx: RequestContext):
        return {"studentId": ctx.body.student_id, "count": ctx.body.count}

    @routes.get("/probe/items", auth=PUBLIC, query=PageQuery)
    def items(ctx: RequestContext):
        return {"limit": ctx.query.limit}

    @routes.get("/probe/items/special", auth=PUBLIC)
    def special(ctx: RequestContext):
        return "special"

    @routes.get("/probe/items/{item_id}", auth=PUBLIC)
    def item(ctx: RequestContext, item_id: str):
        return {"id": item_id}

    @routes.post("/probe/teachers-only", auth=TEACHER_ONLY)
    def teachers_only(ctx: RequestContext):
        return "ok"

    @routes.get("/probe/conflict", auth=PUBLIC)
    def conflict(ctx: RequestContext):
        raise errors.Conflict("Guide is already published")

    @routes.get("/probe/bug", auth=PUBLIC)
    def bug(ctx: RequestContext):
        raise RuntimeError("boom")

    app = InnovaChalice(app_name="probe")
    app.register_blueprint(routes.blueprint)
    return app


@pytest.fixture
def probe() -> ProxyClient:
    return ProxyClient(make_test_app())


def test_success_envelope_carries_status_path_and_trace_id(gateway):
    response = gateway.get("/", headers={"x-trace-id": "trace-123"})
    assert response.status == 200
    body = response.json
    assert body["statusCode"] == 200
    assert body["data"] == "Innova Backend Serverless is running!"
    assert body["path"] == "/"
    assert body["traceId"] == "trace-123"
    assert response.headers["x-trace-id"] == "trace-123"
    assert body["timestamp"].endswith("Z") and len(body["timestamp"]) == 24


def test_trace_id_is_generated_when_absent_and_echoed(gateway):
    response = gateway.get("/")
    trace_id = response.headers["x-trace-id"]
    assert str(uuid.UUID(trace_id)) == trace_id
    assert response.json["traceId"] == trace_id


def test_created_status_is_mirrored_in_envelope(probe):
    response = probe.post("/probe/echo", body='{"studentId": "seed-1", "count": 2}')
    assert response.status == 201
    assert response.json["statusCode"] == 201
    assert response.json["data"] == {"studentId": "seed-1", "count": 2}


def test_unknown_route_is_404_envelope_with_method_and_query(gateway):
    response = gateway.get("/no/such/route", query={"y": "1"})
    assert response.status == 404
    body = response.json
    assert body == {**body, "statusCode": 404, "code": "Not Found", "message": "Cannot GET /no/such/route?y=1",
                    "path": "/no/such/route?y=1"}


def test_unknown_method_on_known_path_is_404(gateway):
    response = gateway.request("DELETE", "/health")
    assert response.status == 404
    assert response.json["message"] == "Cannot DELETE /health"


def test_literal_segments_win_over_parameters(probe):
    assert probe.get("/probe/items/special").json["data"] == "special"
    assert probe.get("/probe/items/seed-ex-001").json["data"] == {"id": "seed-ex-001"}
    assert probe.get("/probe/items/a%20b").json["data"] == {"id": "a b"}


def test_trailing_slash_is_tolerated(probe):
    assert probe.get("/probe/items/special/").status == 200


@pytest.mark.parametrize("body, expected", [
    ('{"studentId": "s", "count": 2', "body must be valid JSON"),
    ('{"studentId": 5, "count": 2}', "studentId: Input should be a valid string"),
    ('{"studentId": "s", "count": "2"}', "count: Input should be a valid integer"),
    ('{"count": 2}', "studentId: Field required"),
    ('{"studentId": "s", "count": 9}', "count: Input should be less than or equal to 3"),
    ('{"studentId": "s", "count": 1, "foo": 1}', "property foo should not exist"),
    ('{"studentId": "s", "count": 1, "content": {"prompt": 1}}', "content.prompt: Input should be a valid string"),
    ('{"studentId": "s", "count": 1, "content": {"prompt": "x", "bar": 2}}', "property content.bar should not exist"),
    ('[1, 2]', "Input should be an object"),
    ('', "studentId: Field required"),
])
def test_bad_bodies_are_400_with_field_details(probe, body, expected):
    response = probe.post("/probe/echo", body=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    payload = response.json
    assert payload["statusCode"] == 400 and payload["code"] == "Bad Request"
    assert isinstance(payload["message"], list)
    assert any(expected in message for message in payload["message"]), payload["message"]
    assert payload["details"] and all("field" in d for d in payload["details"])


def test_non_json_content_type_is_400(probe):
    response = probe.post("/probe/echo", body="studentId=s", headers={"Content-Type": "text/plain"})
    assert response.status == 400
    assert "Content-Type" in response.json["message"][0]


def test_query_parameters_are_converted_and_validated(probe):
    assert probe.get("/probe/items", query={"limit": "7"}).json["data"] == {"limit": 7}
    response = probe.get("/probe/items", query={"limit": "abc"})
    assert response.status == 400
    assert response.json["details"][0]["field"] == "limit"
    assert probe.get("/probe/items", query={"limit": "101"}).status == 400


def test_service_conflict_is_409(probe):
    response = probe.get("/probe/conflict")
    assert response.status == 409
    assert response.json["code"] == "Conflict"
    assert response.json["message"] == "Guide is already published"


def test_unexpected_error_is_a_500_envelope_without_internals(probe):
    response = probe.get("/probe/bug")
    assert response.status == 500
    assert response.json["code"] == "INTERNAL_ERROR"
    assert "boom" not in response.body


@pytest.fixture
def cors_origins(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://superprofes.app, https://app.superprofes.app")
    dependencies.reset()


def test_cors_allowed_origin_gets_headers(gateway, cors_origins):
    response = gateway.get("/", headers={"Origin": "https://app.superprofes.app"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.superprofes.app"
    assert response.headers["Vary"] == "Origin"


def test_cors_refused_origin_gets_no_allow_origin(gateway, cors_origins):
    response = gateway.get("/", headers={"Origin": "https://evil.example"})
    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_preflight_allowed_and_refused(gateway, cors_origins):
    ok = gateway.request("OPTIONS", "/auth/me", headers={"Origin": "https://superprofes.app",
                                                         "Access-Control-Request-Method": "GET"})
    assert ok.status == 204
    assert ok.headers["Access-Control-Allow-Origin"] == "https://superprofes.app"
    assert "Authorization" in ok.headers["Access-Control-Allow-Headers"]
    assert "x-trace-id" in ok.headers["Access-Control-Allow-Headers"]
    refused = gateway.request("OPTIONS", "/auth/me", headers={"Origin": "https://evil.example"})
    assert refused.status == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert gateway.request("OPTIONS", "/nope", headers={"Origin": "https://superprofes.app"}).status == 404


def test_role_guard_is_403_for_wrong_role(probe, database_url, tokens):
    response = probe.post("/probe/teachers-only", headers=tokens.headers(role="student"))
    assert response.status == 403
    assert response.json["code"] == "Forbidden"
    assert response.json["message"] == "Forbidden resource"
    assert probe.post("/probe/teachers-only", headers=tokens.headers(role="teacher")).status == 201
