"""Queries on ``cost_events`` (one row per paid AI call, workers.md §0.5)."""
from __future__ import annotations

from typing import Any

from chalicelib.store.database import Database

# UTC day and month boundaries computed by the server, whatever the session time zone.
_SUMMARY = """
WITH bounds AS (
  SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day_start,
         date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month_start
)
SELECT
  COALESCE((SELECT json_agg(m ORDER BY m.model) FROM (
      SELECT e.model, count(*) AS calls, COALESCE(sum(e.input_tokens), 0) AS input_tokens,
             COALESCE(sum(e.output_tokens), 0) AS output_tokens, COALESCE(sum(e.cost_usd), 0) AS cost_usd
      FROM cost_events e, bounds b WHERE e.created_at >= b.day_start GROUP BY e.model) m), '[]'::json) AS by_model,
  (SELECT COALESCE(sum(e.cost_usd), 0) FROM cost_events e, bounds b WHERE e.created_at >= b.month_start) AS month_usd
"""


def cost_summary(db: Database) -> dict[str, Any]:
    """``by_model`` (calls, tokens and cost per model since UTC midnight) and ``month_usd`` (since the 1st)."""
    row = db.fetch_one(_SUMMARY)
    assert row is not None
    return row


def insert_cost_event(db: Database, *, worker: str, model: str, input_tokens: int = 0, output_tokens: int = 0,
                      cache_creation_input_tokens: int = 0, cache_read_input_tokens: int = 0,
                      cost_usd: float = 0.0, trace_id: str = "") -> None:
    """Record one provider call (the AI workers' write path)."""
    db.execute(
        "INSERT INTO cost_events (worker, model, input_tokens, output_tokens, cache_creation_input_tokens,"
        " cache_read_input_tokens, cost_usd, trace_id) VALUES (:worker, :model, :input_tokens, :output_tokens,"
        " :cache_creation_input_tokens, :cache_read_input_tokens, :cost_usd, :trace_id)",
        {"worker": worker, "model": model, "input_tokens": input_tokens, "output_tokens": output_tokens,
         "cache_creation_input_tokens": cache_creation_input_tokens,
         "cache_read_input_tokens": cache_read_input_tokens, "cost_usd": cost_usd, "trace_id": trace_id},
    )
