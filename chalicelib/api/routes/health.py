"""``GET /`` (liveness, unchanged from the original) and ``GET /health`` (API + database)."""
from __future__ import annotations

from chalicelib import dependencies, errors
from chalicelib.api.routing import PUBLIC, RequestContext, Routes
from chalicelib.api.schemas.base import ResponseModel
from chalicelib.store.database import DatabaseUnavailableError, QueryError

routes = Routes("health")


class HealthOut(ResponseModel):
    status: str
    api: str
    database: str


@routes.get("/", auth=PUBLIC, response=str)
def root(ctx: RequestContext) -> str:
    """Liveness message."""
    return "Innova Backend Serverless is running!"


@routes.get("/health", auth=PUBLIC, response=HealthOut)
def health(ctx: RequestContext) -> HealthOut:
    """API and database status; 503 when the database does not answer."""
    try:
        dependencies.database().fetch_value("SELECT 1")
    except (DatabaseUnavailableError, QueryError) as exc:
        raise errors.Unavailable("Database unavailable",
                                 details=[{"field": "database", "message": str(exc), "type": "down"}])
    return HealthOut(status="ok", api="ok", database="ok")
