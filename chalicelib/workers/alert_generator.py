"""alertGenerator: the hourly teacher alert run (workers.md §5).

A bare cron handler (infra.md §8): pure rules plus one thin SQL module, one pg8000 connection opened
for the run and closed at the end, also on error. The schedule event's content is ignored. Any
error is logged and raised, so Lambda's asynchronous retry runs it again (the dedup index makes a
repeated run harmless).
"""
from __future__ import annotations

import logging
from typing import Any

from chalicelib.services.alert_generation import generate_alerts
from chalicelib.settings import require_settings
from chalicelib.store.database import Database

log = logging.getLogger(__name__)


def handle(event: Any) -> dict[str, Any]:
    settings = require_settings("alertGenerator")
    db = Database.from_url(settings.required("DATABASE_URL"),
                           statement_timeout_ms=settings.database_statement_timeout_ms,
                           application_name="innova-alert-generator")
    try:
        return generate_alerts(db).summary()
    except Exception:
        log.exception("alert run failed")
        raise
    finally:
        db.close()
