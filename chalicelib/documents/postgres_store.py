"""PostgreSQL JSONB adapter of the document store (the default when ``MONGODB_URI`` is unset).

Tables of migration 0040: ``id`` (ObjectId-shaped), ``document`` (JSONB), ``created_at``,
``updated_at``. Every operation is one statement (one round trip): a set-on-insert is
``INSERT … ON CONFLICT DO NOTHING``, a conditional update carries its condition in ``WHERE``.
Statements run on the caller's :class:`~chalicelib.store.database.Database`, inside its
transaction when one is open.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chalicelib.documents.encoding import check_field_names, dumps_storable, from_storable, iso_z, to_storable
from chalicelib.documents.store import Document, now_utc, utc_millis
from chalicelib.store.database import Database

_COLUMNS = ("_id", "createdAt", "updatedAt")

# ``document - <keys>`` needs a text[]; built from a JSON array so that an empty list needs no type.
_UNSET = "ARRAY(SELECT jsonb_array_elements_text(CAST(:unset AS jsonb)))"


def _document(row: Mapping[str, Any] | None) -> Document | None:
    if row is None:
        return None
    return {"_id": row["id"], **from_storable(row["document"]), "createdAt": utc_millis(row["created_at"]),
            "updatedAt": utc_millis(row["updated_at"])}


def _body(fields: Mapping[str, Any]) -> dict[str, Any]:
    body = {key: value for key, value in fields.items() if key not in _COLUMNS}
    check_field_names(body)
    return body


def _changes(fields: Mapping[str, Any], unset: Sequence[str], protected: tuple[str, ...] = ()) -> dict[str, Any]:
    body = {key: value for key, value in _body(fields).items() if key not in protected}
    overlap = set(body) & set(unset)
    if overlap:
        raise ValueError(f"fields both set and unset: {sorted(overlap)}")
    return {"set": dumps_storable(body), "unset": json.dumps(list(unset)),
            "updated": utc_millis(fields.get("updatedAt") or now_utc())}


class PostgresDocumentStore:
    """:class:`~chalicelib.documents.store.DocumentStore` over JSONB tables."""

    def __init__(self, db: Database):
        self.db = db

    def ensure_indexes(self) -> None:
        """Nothing to do: migration 0040 creates the tables and their indexes."""

    # -- attempt_events -----------------------------------------------------------------------

    def insert_attempt_events(self, documents: Sequence[Document]) -> list[bool]:
        if not documents:
            return []
        now = now_utc()
        rows = [{"position": position, "document": to_storable(_body(document)),
                 "created_at": iso_z(document.get("createdAt") or now),
                 "updated_at": iso_z(document.get("updatedAt") or now)}
                for position, document in enumerate(documents)]
        # ORDER BY position: of two rows with the same attempt id, the first one wins.
        inserted = self.db.fetch_all(
            "INSERT INTO attempt_events (document, created_at, updated_at)"
            " SELECT r.document, r.created_at, r.updated_at"
            " FROM jsonb_to_recordset(CAST(:rows AS jsonb))"
            "      AS r(position int, document jsonb, created_at timestamptz, updated_at timestamptz)"
            " ORDER BY r.position"
            " ON CONFLICT ((document ->> 'attempt_id')) DO NOTHING"
            " RETURNING id, document ->> 'attempt_id' AS attempt_id",
            {"rows": json.dumps(rows, separators=(",", ":"), ensure_ascii=False)})
        remaining = {row["attempt_id"] for row in inserted}
        result = []
        for document in documents:
            attempt_id = document.get("attempt_id")
            result.append(attempt_id in remaining)
            remaining.discard(attempt_id)
        return result

    def find_attempt_events(self, attempt_id: str) -> Document | None:
        return _document(self.db.fetch_one(
            "SELECT id, document, created_at, updated_at FROM attempt_events"
            " WHERE document ->> 'attempt_id' = :attempt_id", {"attempt_id": attempt_id}))

    def attempt_events_to_archive(self, created_before: datetime, limit: int) -> list[Document]:
        rows = self.db.fetch_all(
            "SELECT id, document, created_at, updated_at FROM attempt_events"
            " WHERE created_at < :before AND (document ->> 'archived_to_s3_at') IS NULL"
            " ORDER BY created_at, id LIMIT :limit",
            {"before": utc_millis(created_before), "limit": limit})
        return [_document(row) for row in rows]

    def mark_attempt_events_archived(self, document_id: str, archived_at: datetime) -> bool:
        archived_at = utc_millis(archived_at)
        return self.db.execute(
            "UPDATE attempt_events"
            " SET document = document || jsonb_build_object('archived_to_s3_at', CAST(:stamp AS jsonb),"
            "                                               'events', '[]'::jsonb),"
            "     updated_at = :archived_at"
            " WHERE id = :id AND (document ->> 'archived_to_s3_at') IS NULL",
            {"id": document_id, "stamp": dumps_storable(archived_at), "archived_at": archived_at}) == 1

    # -- llm_classification_jobs ----------------------------------------------------------------

    def insert_llm_job(self, job: Mapping[str, Any]) -> str:
        now = now_utc()
        return self.db.fetch_value(
            "INSERT INTO llm_classification_jobs (document, created_at, updated_at)"
            " VALUES (CAST(:document AS jsonb), :created_at, :updated_at) RETURNING id",
            {"document": dumps_storable(_body(job)), "created_at": utc_millis(job.get("createdAt") or now),
             "updated_at": utc_millis(job.get("updatedAt") or now)})

    def update_llm_job(self, job_id: str, fields: Mapping[str, Any], *, unset: Sequence[str] = ()) -> bool:
        return self.db.execute(
            "UPDATE llm_classification_jobs"
            f" SET document = (document || CAST(:set AS jsonb)) - {_UNSET}, updated_at = :updated"
            " WHERE id = :id", {"id": job_id, **_changes(fields, unset)}) == 1

    def find_llm_job(self, job_id: str) -> Document | None:
        return _document(self.db.fetch_one(
            "SELECT id, document, created_at, updated_at FROM llm_classification_jobs WHERE id = :id",
            {"id": job_id}))

    # -- ocr_jobs -------------------------------------------------------------------------------

    def upsert_ocr_job(self, upload_id: str, fields: Mapping[str, Any], *, unset: Sequence[str] = ()) -> str:
        changes = _changes(fields, unset, protected=("upload_id",))
        first = {**json.loads(changes["set"]), "upload_id": upload_id}
        return self.db.fetch_value(
            "INSERT INTO ocr_jobs (document, created_at, updated_at)"
            " VALUES (CAST(:first AS jsonb), :updated, :updated)"
            " ON CONFLICT ((document ->> 'upload_id')) DO UPDATE"
            f" SET document = (ocr_jobs.document || CAST(:set AS jsonb)) - {_UNSET}, updated_at = :updated"
            " RETURNING id", {"first": json.dumps(first), **changes})

    def update_ocr_job(self, upload_id: str, fields: Mapping[str, Any], *, unset: Sequence[str] = ()) -> bool:
        return self.db.execute(
            "UPDATE ocr_jobs"
            f" SET document = (document || CAST(:set AS jsonb)) - {_UNSET}, updated_at = :updated"
            " WHERE document ->> 'upload_id' = :upload_id",
            {"upload_id": upload_id, **_changes(fields, unset, protected=("upload_id",))}) == 1

    def find_ocr_job(self, upload_id: str) -> Document | None:
        return _document(self.db.fetch_one(
            "SELECT id, document, created_at, updated_at FROM ocr_jobs WHERE document ->> 'upload_id' = :upload_id",
            {"upload_id": upload_id}))
