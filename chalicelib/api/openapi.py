"""The OpenAPI 3.1 document, generated from the route declarations and their pydantic models."""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from chalicelib.api.routing import RouteSpec, route_specs

_REF = "#/components/schemas/{model}"
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["statusCode", "timestamp", "path", "traceId", "code", "message"],
    "properties": {
        "statusCode": {"type": "integer"},
        "timestamp": {"type": "string", "format": "date-time"},
        "path": {"type": "string"},
        "traceId": {"type": ["string", "null"]},
        "code": {"type": "string"},
        "message": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "details": {"type": "array", "items": {"type": "object"}},
    },
}
_ERROR_STATUSES = {"400": "Invalid input", "401": "Missing or invalid token", "403": "Role not allowed",
                   "404": "Unknown or foreign resource", "409": "Conflict"}


def _schema_for(value: Any, components: dict[str, Any]) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, type) and issubclass(value, BaseModel):
        return {"$ref": _REF.format(model=value.__name__)}
    schema = TypeAdapter(value).json_schema(ref_template=_REF, by_alias=True, mode="serialization")
    components.update(schema.pop("$defs", {}))
    return schema


def _models(specs: list[RouteSpec]) -> list[tuple[type[BaseModel], str]]:
    found: dict[type[BaseModel], str] = {}
    for spec in specs:
        if spec.body is not None:
            found[spec.body] = "validation"
        if isinstance(spec.response, type) and issubclass(spec.response, BaseModel):
            found.setdefault(spec.response, "serialization")
    return list(found.items())


def build_openapi(app: Any, title: str = "Innova Serverless API", version: str = "1.0.0") -> dict[str, Any]:
    """OpenAPI for every route of ``app`` (public ones have no security requirement)."""
    specs = route_specs(app)
    _, defs = models_json_schema(_models(specs), ref_template=_REF, by_alias=True)
    components: dict[str, Any] = dict(defs.get("$defs", {}))
    components["ErrorEnvelope"] = _ERROR_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        operation: dict[str, Any] = {
            "operationId": f"{spec.area}_{spec.view_name}",
            "summary": spec.summary,
            "tags": [spec.area],
            "responses": {},
        }
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{(\w+)}", spec.path)]
        if spec.query is not None:
            query_schema = spec.query.model_json_schema(by_alias=True, ref_template=_REF)
            components.update(query_schema.pop("$defs", {}))
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
        if params:
            operation["parameters"] = params
        if spec.body is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": _REF.format(model=spec.body.__name__)}}}}
        elif spec.raw_body:
            operation["requestBody"] = {"required": True, "content": {
                "multipart/form-data": {"schema": {"type": "object"}}}}
        if spec.status == 204:
            operation["responses"]["204"] = {"description": "No content"}
        else:
            data_schema = _schema_for(spec.response, components)
            operation["responses"][str(spec.status)] = {
                "description": "Success envelope",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["statusCode", "data", "timestamp", "path", "traceId"],
                    "properties": {"statusCode": {"type": "integer"}, "data": data_schema,
                                   "timestamp": {"type": "string"}, "path": {"type": "string"},
                                   "traceId": {"type": ["string", "null"]}}}}},
            }
        for status, description in _ERROR_STATUSES.items():
            if status in ("401", "403") and spec.is_public:
                continue
            operation["responses"][status] = {"description": description, "content": {
                "application/json": {"schema": {"$ref": _REF.format(model="ErrorEnvelope")}}}}
        if not spec.is_public:
            operation["security"] = [{"bearerAuth": []}]
            operation["description"] = "Roles: " + ", ".join(r.value for r in spec.auth)
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
