"""GET /, GET /health, /openapi.json and the Swagger UI."""
from __future__ import annotations

from openapi_spec_validator import validate

from chalicelib import dependencies


def test_health_reports_api_and_database(gateway, database_url):
    response = gateway.get("/health")
    assert response.status == 200
    assert response.json["data"] == {"status": "ok", "api": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_down(gateway, monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url.replace("/innova_test_", "/innova_missing_"))
    dependencies.reset()
    response = gateway.get("/health")
    assert response.status == 503
    assert response.json["code"] == "Service Unavailable"


def test_openapi_is_valid_and_lists_every_route(gateway, app_module):
    response = gateway.get("/openapi.json")
    assert response.status == 200
    document = response.json
    validate(document)
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    routed = {(path, method) for path, methods in app_module.app.routes.items() for method in methods}
    assert documented == routed


def test_openapi_marks_public_and_protected_routes(gateway):
    paths = gateway.get("/openapi.json").json["paths"]
    assert "security" not in paths["/health"]["get"]
    assert paths["/auth/me"]["get"]["security"] == [{"bearerAuth": []}]


def test_swagger_ui_is_served_without_a_cdn(gateway):
    page = gateway.get("/docs")
    assert page.status == 200 and "/docs/swagger-ui-bundle.js" in page.body and "http" not in page.body
    script = gateway.get("/docs/swagger-ui-bundle.js")
    assert script.status == 200 and script.headers["Content-Type"] == "application/javascript"
    assert len(script.body) > 100_000
    assert gateway.get("/docs/../../etc/passwd").status == 404
