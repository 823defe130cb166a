"""Counts of the attempt and guide pipelines for the admin status page (api.md §4.14)."""
from __future__ import annotations

from typing import Any

from chalicelib.store.database import Database

_FIGURES = """
SELECT
  (SELECT count(*) FROM attempts WHERE created_at >= now() - interval '1 hour') AS attempts_last_hour,
  (SELECT count(*) FROM guide_submissions WHERE created_at >= now() - interval '1 hour') AS submissions_last_hour,
  (SELECT count(*) FROM attempts
    WHERE status = 'CLASSIFIED' AND classified_at >= now() - interval '1 hour') AS classified_last_hour,
  (SELECT count(*) FROM guides
    WHERE status IN ('EXTRACTING', 'GENERATING_SOLUTIONS', 'REVIEW')) AS pending_guides
"""


def pipeline_figures(db: Database) -> dict[str, Any]:
    """Attempts, guide submissions and classifications of the last hour, and guides in progress."""
    row = db.fetch_one(_FIGURES)
    assert row is not None
    return row
