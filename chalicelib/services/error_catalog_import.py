"""Bulk import of an error catalogue file (domain.md §6.1, §6.3): ``python -m chalicelib.cli import-catalog``.

- Input: JSON lines (one entry object per line) or CSV with a header row naming the entry fields;
  list cells in CSV are a JSON array (``[3,4]``) or values separated by ``;`` or ``|``.
- Each entry is validated (:func:`chalicelib.domain.error_taxonomy.parse_entry`) and its domain must
  exist; a bad line is reported with its line number and the rest still imports. A code repeated
  in the file keeps its first occurrence.
- Idempotent upsert by code, set-based: valid entries go in batches of :data:`BATCH_SIZE`, one
  ``INSERT … SELECT FROM jsonb_to_recordset … ON CONFLICT (code) DO UPDATE`` per batch (one
  transaction each), so a re-run changes nothing and a crash mid-file is healed by re-running.
- New entries get the file's ``status``/``source`` or the import defaults ``DRAFT`` /
  ``LLM_GENERATED`` (``--activate``: ``ACTIVE``); existing entries keep their lifecycle (the admin
  API owns it) and get the file's descriptive fields; ``--activate`` promotes existing DRAFT ones.
- ``deprecated_by`` codes are linked after all batches (a successor may come later in the file).
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.domain.error_taxonomy import (
    CatalogEntry, InvalidEntry, TagSource, TagStatus, parse_entry,
)
from chalicelib.store import error_tags
from chalicelib.store.database import Database

BATCH_SIZE = 500
_LIST_FIELDS = ("applicable_grades", "evidence_required", "references")


@dataclass(frozen=True)
class RejectedLine:
    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did; ``rejected`` lists each refused line with its reason."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)
    missing_successors: list[RejectedLine] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated + self.unchanged


# A record of the file: its line number and either the raw entry or why it could not be read.
Record = tuple[int, dict[str, Any] | str]


def read_catalog_file(path: str | Path) -> list[Record]:
    """Every record of a JSON-lines or CSV (by extension) catalogue file, with its line number."""
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if path.suffix.lower() == ".csv":
            return list(_csv_records(handle))
        return list(_json_line_records(handle))


def _json_line_records(lines: Iterable[str]) -> Iterator[Record]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            yield number, f"not valid JSON ({exc.msg})"
            continue
        yield number, value if isinstance(value, dict) else "entry must be a JSON object"


def _csv_cell_list(value: str) -> Any:
    value = value.strip()
    if not value:
        return None
    if value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value  # reported by validation as "must be a list"
    separator = ";" if ";" in value else "|"
    return [part.strip() for part in value.split(separator) if part.strip()]


def _csv_records(handle: Iterable[str]) -> Iterator[Record]:
    reader = csv.DictReader(handle)
    line = 1
    for row in reader:
        number, line = line + 1, reader.line_num
        if None in row:
            yield number, "more cells than header columns"
            continue
        entry: dict[str, Any] = {}
        for key, value in row.items():
            key = (key or "").strip()
            if value is None or not value.strip():
                continue
            entry[key] = _csv_cell_list(value) if key in _LIST_FIELDS else value
        grades = entry.get("applicable_grades")
        if isinstance(grades, list):
            entry["applicable_grades"] = [int(g) if isinstance(g, str) and g.isdigit() else g for g in grades]
        yield number, entry


def _row(entry: CatalogEntry, domain_id: str | None, *, activate: bool) -> dict[str, Any]:
    default_status = TagStatus.ACTIVE if activate else TagStatus.DRAFT
    return {
        "code": entry.code, "name": entry.name, "description": entry.description, "domain_id": domain_id,
        "subdomain_code": entry.subdomain_code, "topic_scope": entry.topic_scope,
        "source": (entry.source or TagSource.LLM_GENERATED).value,
        "status": (entry.status or default_status).value, "severity": entry.severity.value,
        "applicable_grades": list(entry.applicable_grades), "evidence_required": list(entry.evidence_required),
        "diagnostic_hint": entry.diagnostic_hint, "remediation": entry.remediation,
        "references": list(entry.references),
    }


def import_catalog(db: Database, records: Iterable[Record], *, activate: bool = False,
                   batch_size: int = BATCH_SIZE,
                   on_progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate and upsert ``records``; ``on_progress(n)`` is called after each batch with its size."""
    report = ImportReport()
    domains = error_tags.domain_ids_by_code(db)
    first_line_of: dict[str, int] = {}
    successors: list[tuple[int, str, str]] = []
    batch: list[dict[str, Any]] = []
    pending = 0  # records consumed since the last progress call

    def flush() -> None:
        nonlocal batch, pending
        if batch:
            with db.transaction():
                inserted, updated = error_tags.upsert_entries(db, batch, activate=activate)
            report.inserted += inserted
            report.updated += updated
            report.unchanged += len(batch) - inserted - updated
            batch = []
        if on_progress and pending:
            on_progress(pending)
        pending = 0

    for line, raw in records:
        report.read += 1
        pending += 1
        try:
            if isinstance(raw, str):
                raise InvalidEntry([raw])
            entry = parse_entry(raw)
            if entry.domain is not None and entry.domain not in domains:
                raise InvalidEntry([f"unknown domain {entry.domain}"])
            if entry.code in first_line_of:
                raise InvalidEntry([f"code {entry.code} already given on line {first_line_of[entry.code]}"])
        except InvalidEntry as exc:
            report.rejected.append(RejectedLine(line, "; ".join(exc.problems)))
            continue
        first_line_of[entry.code] = line
        batch.append(_row(entry, domains.get(entry.domain) if entry.domain else None, activate=activate))
        if entry.deprecated_by:
            successors.append((line, entry.code, entry.deprecated_by))
        if len(batch) >= batch_size:
            flush()
    flush()

    if successors:
        with db.transaction():
            missing = error_tags.link_successors(db, [(code, successor) for _, code, successor in successors])
        report.missing_successors = [RejectedLine(line, f"deprecated_by {successor} does not exist")
                                     for line, code, successor in successors if code in missing]
    return report
