"""Queries on the error catalogue (``error_tags``) and its domain facet.

Free-text search is a case-insensitive substring test with ``strpos`` (not ``LIKE``), so ``%`` and
``_`` in a search are literal characters.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chalicelib.store.database import Database

# The admin item view (api.md §4.14), plus the successor's code.
_ITEM_SELECT = """
SELECT t.id, t.code, t.name, d.code AS domain_code, d.name AS domain_name, t.subdomain_code,
       t.source::text AS source, t.status::text AS status, t.severity::text AS severity,
       COALESCE(t.applicable_grades, '{}') AS applicable_grades, t.diagnostic_hint,
       successor.code AS deprecated_by
FROM error_tags t
LEFT JOIN domains d ON d.id = t.domain_id
LEFT JOIN error_tags successor ON successor.id = t.deprecated_by_id
"""

_TEXT_MATCH = """(strpos(lower(t.code), lower(CAST(:q AS text))) > 0
       OR strpos(lower(t.name), lower(CAST(:q AS text))) > 0
       OR strpos(lower(t.description), lower(CAST(:q AS text))) > 0)"""


def search_active(db: Database, *, q: str | None, domain_code: str | None, limit: int) -> list[dict[str, Any]]:
    """ACTIVE tags matching ``q`` (code, name or description) and a domain code, ordered by code."""
    return db.fetch_all(
        f"""
        SELECT t.code, t.name, t.subdomain_code, d.code AS domain_code
        FROM error_tags t LEFT JOIN domains d ON d.id = t.domain_id
        WHERE t.status = 'ACTIVE'
          AND (CAST(:q AS text) IS NULL OR {_TEXT_MATCH})
          AND (CAST(:domain_code AS text) IS NULL OR d.code = CAST(:domain_code AS text))
        ORDER BY t.code
        LIMIT :limit
        """,
        {"q": q, "domain_code": domain_code, "limit": limit},
    )


def admin_page(db: Database, *, status: str | None, source: str | None, domain_code: str | None,
               q: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """One keyset page plus the figures of the admin listing, in one statement.

    Returns ``items`` (up to ``limit + 1`` rows with ``code > cursor``, by code: the extra row tells
    the caller that another page exists), ``total`` (rows matching the filters), ``status_counts``
    and ``domains`` (unfiltered).
    """
    row = db.fetch_one(
        f"""
        WITH filtered AS (
          {_ITEM_SELECT}
          WHERE (CAST(:status AS text) IS NULL OR t.status = CAST(:status AS "ErrorStatus"))
            AND (CAST(:source AS text) IS NULL OR t.source = CAST(:source AS "ErrorSource"))
            AND (CAST(:domain_code AS text) IS NULL OR d.code = CAST(:domain_code AS text))
            AND (CAST(:q AS text) IS NULL OR {_TEXT_MATCH})
        ),
        page AS (
          SELECT * FROM filtered
          WHERE CAST(:cursor AS text) IS NULL OR code > CAST(:cursor AS text)
          ORDER BY code LIMIT :fetch
        )
        SELECT
          COALESCE((SELECT json_agg(page ORDER BY page.code) FROM page), '[]'::json) AS items,
          (SELECT count(*) FROM filtered) AS total,
          (SELECT json_build_object(
                    'active', count(*) FILTER (WHERE status = 'ACTIVE'),
                    'draft', count(*) FILTER (WHERE status = 'DRAFT'),
                    'deprecated', count(*) FILTER (WHERE status = 'DEPRECATED'))
           FROM error_tags) AS status_counts,
          COALESCE((SELECT json_agg(json_build_object('code', d.code, 'name', d.name, 'count',
                                                      (SELECT count(*) FROM error_tags e WHERE e.domain_id = d.id))
                                    ORDER BY d.code)
                    FROM domains d), '[]'::json) AS domains
        """,
        {"status": status, "source": source, "domain_code": domain_code, "q": q, "cursor": cursor,
         "fetch": limit + 1},
    )
    assert row is not None
    return row


def item_by_code(db: Database, code: str) -> dict[str, Any] | None:
    """The admin item view of one tag."""
    return db.fetch_one(f"{_ITEM_SELECT} WHERE t.code = :code", {"code": code})


def lock_tags(db: Database, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{code: {id, code, status, deprecated_by_id}}`` of the given tags, locked for update."""
    rows = db.fetch_all(
        "SELECT id, code, status::text AS status, deprecated_by_id FROM error_tags"
        " WHERE code = ANY(CAST(:codes AS text[])) ORDER BY code FOR UPDATE",
        {"codes": list(codes)},
    )
    return {row["code"]: row for row in rows}


def set_status(db: Database, tag_id: str, *, status: str, deprecated_by_id: str | None) -> None:
    db.execute(
        "UPDATE error_tags SET status = CAST(:status AS \"ErrorStatus\"), deprecated_by_id = :successor,"
        " updated_at = now() WHERE id = :id",
        {"status": status, "successor": deprecated_by_id, "id": tag_id},
    )


def existing_codes(db: Database, codes: Sequence[str]) -> set[str]:
    """Which of ``codes`` exist in the catalogue."""
    rows = db.fetch_all("SELECT code FROM error_tags WHERE code = ANY(CAST(:codes AS text[]))",
                        {"codes": list(codes)})
    return {row["code"] for row in rows}


# -- bulk import ------------------------------------------------------------------------------

def domain_ids_by_code(db: Database) -> dict[str, str]:
    return {row["code"]: row["id"] for row in db.fetch_all("SELECT id, code FROM domains")}


_UPSERT = """
WITH incoming AS (
  SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
    code text, name text, description text, domain_id text, subdomain_code text, topic_scope text,
    source text, status text, severity text, applicable_grades int[], evidence_required text[],
    diagnostic_hint text, remediation text, "references" text[])
),
written AS (
  INSERT INTO error_tags AS t (code, name, description, domain_id, subdomain_code, topic_scope, source,
                               status, severity, applicable_grades, evidence_required, diagnostic_hint,
                               remediation, "references")
  SELECT code, name, description, domain_id, subdomain_code, topic_scope,
         CAST(source AS "ErrorSource"), CAST(status AS "ErrorStatus"), CAST(severity AS "ErrorSeverity"),
         applicable_grades, evidence_required, diagnostic_hint, remediation, "references"
  FROM incoming
  ON CONFLICT (code) DO UPDATE SET
    name = EXCLUDED.name, description = EXCLUDED.description, domain_id = EXCLUDED.domain_id,
    subdomain_code = EXCLUDED.subdomain_code, topic_scope = EXCLUDED.topic_scope,
    severity = EXCLUDED.severity, applicable_grades = EXCLUDED.applicable_grades,
    evidence_required = EXCLUDED.evidence_required, diagnostic_hint = EXCLUDED.diagnostic_hint,
    remediation = EXCLUDED.remediation, "references" = EXCLUDED."references",
    status = CASE WHEN CAST(:activate AS boolean) AND t.status = 'DRAFT' THEN 'ACTIVE' ELSE t.status END,
    updated_at = now()
  WHERE (t.name, t.description, t.domain_id, t.subdomain_code, t.topic_scope, t.severity,
         t.applicable_grades, t.evidence_required, t.diagnostic_hint, t.remediation, t."references")
        IS DISTINCT FROM
        (EXCLUDED.name, EXCLUDED.description, EXCLUDED.domain_id, EXCLUDED.subdomain_code,
         EXCLUDED.topic_scope, EXCLUDED.severity, EXCLUDED.applicable_grades, EXCLUDED.evidence_required,
         EXCLUDED.diagnostic_hint, EXCLUDED.remediation, EXCLUDED."references")
     OR (CAST(:activate AS boolean) AND t.status = 'DRAFT')
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated
FROM written
"""


def upsert_entries(db: Database, entries: Sequence[dict[str, Any]], *, activate: bool) -> tuple[int, int]:
    """Insert new codes and update the descriptive fields of existing ones, in one statement.

    ``entries`` hold the column values (``domain_id`` resolved). The lifecycle of an existing tag
    (status, source, successor) belongs to the admin API and is left alone, except that
    ``activate`` promotes existing DRAFT tags to ACTIVE (domain.md §6.3). Rows whose content is
    unchanged are not written at all. Returns ``(inserted, updated)``.
    """
    row = db.fetch_one(_UPSERT, {"rows": json.dumps(list(entries)), "activate": activate})
    assert row is not None
    return int(row["inserted"]), int(row["updated"])


def link_successors(db: Database, pairs: Sequence[tuple[str, str]]) -> set[str]:
    """Set ``deprecated_by`` of each ``(code, successor code)`` pair that has none yet.

    Returns the codes whose successor does not exist (nothing is written for them).
    """
    if not pairs:
        return set()
    rows = db.fetch_all(
        """
        WITH pairs AS (
          SELECT * FROM jsonb_to_recordset(CAST(:pairs AS jsonb)) AS p(code text, successor text)
        ),
        linked AS (
          UPDATE error_tags t SET deprecated_by_id = s.id, updated_at = now()
          FROM pairs p JOIN error_tags s ON s.code = p.successor
          WHERE t.code = p.code AND t.deprecated_by_id IS NULL AND s.id <> t.id
          RETURNING t.code
        )
        SELECT p.code FROM pairs p WHERE NOT EXISTS (SELECT 1 FROM error_tags s WHERE s.code = p.successor)
        """,
        {"pairs": json.dumps([{"code": c, "successor": s} for c, s in pairs])},
    )
    return {row["code"] for row in rows}
