"""SQL of the LLM classifier (workers.md §3.2, §3.7): attempt states, a domain's catalogue, the write-back."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.store.database import Database


def attempt_states(db: Database, attempt_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``id → {id, status, error_tag_id}`` for the attempts that exist, in one query."""
    rows = db.fetch_all("SELECT id, status, error_tag_id FROM attempts WHERE id = ANY(CAST(:ids AS text[]))",
                        {"ids": list(attempt_ids)})
    return {row["id"]: row for row in rows}


def active_catalog(db: Database, domain_id: str) -> list[dict[str, Any]]:
    """The domain's ACTIVE error tags with the domain's code and name, ordered by code (§3.2 step 5)."""
    return db.fetch_all(
        "SELECT t.code, t.description, t.diagnostic_hint, d.id AS domain_id, d.code AS domain_code,"
        "       d.name AS domain_name"
        " FROM error_tags t JOIN domains d ON d.id = t.domain_id"
        " WHERE t.domain_id = :domain_id AND t.status = 'ACTIVE'"
        " ORDER BY t.code", {"domain_id": domain_id})


def write_classifications(db: Database, job_id: str, results: Sequence[tuple[str, str, float]]) -> list[dict[str, Any]]:
    """Write ``(attempt id, error code, confidence)`` results back in one statement (§3.7).

    - an ACTIVE tag's code (``CORRECT`` included) → that tag, status ``CLASSIFIED``, ``classified_at``;
    - anything else (``UNCLASSIFIED``, ``TRANSVERSAL_LIKELY``, an unknown or inactive code) → the
      ``UNCLASSIFIED`` tag, the status unchanged (``PENDING``), no ``classified_at``.
    Always ``classifier_source = 'LLM'``, the confidence and the job id. ``is_correct`` is never touched
    (BKT already used it). An attempt that is ``CLASSIFIED`` by now is left as it is (redelivery, or
    another run won). Returns ``{id, status}`` of the rows written.
    """
    if not results:
        return []
    return db.fetch_all(
        """
        WITH results AS (
            SELECT r.attempt_id, r.code, r.confidence
            FROM unnest(CAST(:ids AS text[]), CAST(:codes AS text[]), CAST(:confidences AS float8[]))
                 AS r(attempt_id, code, confidence)
        ), resolved AS (
            SELECT r.attempt_id, r.confidence, tag.id AS tag_id, tag.id IS NOT NULL AS classified
            FROM results r
            LEFT JOIN error_tags tag ON tag.code = r.code AND tag.status = 'ACTIVE'
                                    AND r.code NOT IN ('UNCLASSIFIED', 'TRANSVERSAL_LIKELY')
        )
        UPDATE attempts a SET
            error_tag_id = CASE WHEN r.classified THEN r.tag_id
                                ELSE (SELECT id FROM error_tags WHERE code = 'UNCLASSIFIED') END,
            status = CASE WHEN r.classified THEN 'CLASSIFIED' ELSE a.status END,
            classified_at = CASE WHEN r.classified THEN now() ELSE a.classified_at END,
            classifier_source = 'LLM',
            confidence = r.confidence,
            llm_job_id = :job_id,
            updated_at = now()
        FROM resolved r
        WHERE a.id = r.attempt_id AND a.status <> 'CLASSIFIED'
        RETURNING a.id, a.status
        """,
        {"ids": [r[0] for r in results], "codes": [r[1] for r in results],
         "confidences": [float(r[2]) for r in results], "job_id": job_id},
    )
