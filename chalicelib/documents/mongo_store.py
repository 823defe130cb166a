"""MongoDB adapter of the document store (production; ``MONGODB_URI``).

One ``MongoClient`` per container, created lazily with ``connect=False`` and a pool of at most two
sockets (a container serves one invocation at a time; the Atlas free tier caps connections at
500, monitoring sockets included — infra.md §8). The indexes of workers.md §8 are created on the
first operation of the process (idempotent: ``createIndexes`` on existing indexes is a no-op).

Writes use single-document operations and ``insert_many(ordered=False)`` with duplicate-key
handling, never ``bulk_write(UpdateOne…)``: the insert-if-absent of ``attempt_events`` is exactly
"insert, and a duplicate key means it is already there", and mongomock (the test double) breaks
``bulk_write`` with ``UpdateOne`` on pymongo ≥ 4.11.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from chalicelib.documents.encoding import check_field_names
from chalicelib.documents.store import (
    ATTEMPT_EVENTS, INDEXES, LLM_CLASSIFICATION_JOBS, OCR_JOBS, Document, now_utc, utc_millis,
)

_DUPLICATE_KEY = 11000
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def connect(uri: str, *, default_database: str = "innova") -> "MongoDocumentStore":
    """The store on ``uri`` (database name from the URI path), sharing one client per process."""
    from pymongo import MongoClient

    with _clients_lock:
        client = _clients.get(uri)
        if client is None:
            client = _clients[uri] = MongoClient(
                uri, connect=False, maxPoolSize=2, serverSelectionTimeoutMS=5000, retryWrites=True,
                tz_aware=True, appname="innova-serverless")
    return MongoDocumentStore(client.get_default_database(default=default_database))


def close_clients() -> None:
    """Close every client of this process (tests, local runtime shutdown)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def _object_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def _out(document: Mapping[str, Any] | None) -> Document | None:
    if document is None:
        return None
    result = dict(document)
    if "_id" in result:
        result["_id"] = str(result["_id"])
    return result


def _new_document(fields: Mapping[str, Any], now: datetime) -> Document:
    document = {key: value for key, value in fields.items() if key != "_id"}
    check_field_names(document)
    document["createdAt"] = utc_millis(document.get("createdAt") or now)
    document["updatedAt"] = utc_millis(document.get("updatedAt") or now)
    return document


def _update(fields: Mapping[str, Any], unset: Sequence[str], now: datetime,
            protected: tuple[str, ...] = ()) -> dict[str, Any]:
    changes = {key: value for key, value in fields.items() if key not in ("_id", "createdAt", *protected)}
    check_field_names(changes)
    overlap = set(changes) & set(unset)
    if overlap:
        raise ValueError(f"fields both set and unset: {sorted(overlap)}")
    changes["updatedAt"] = utc_millis(changes.get("updatedAt") or now)
    update: dict[str, Any] = {"$set": changes}
    if unset:
        update["$unset"] = {name: "" for name in unset}
    return update


class MongoDocumentStore:
    """:class:`~chalicelib.documents.store.DocumentStore` over a pymongo ``Database``."""

    def __init__(self, database: Any):
        self._database = database
        self._indexes_ready = False

    def _collection(self, name: str) -> Any:
        if not self._indexes_ready:
            self.ensure_indexes()
        return self._database[name]

    def ensure_indexes(self) -> None:
        by_collection: dict[str, list[IndexModel]] = {}
        for collection, keys, unique in INDEXES:
            by_collection.setdefault(collection, []).append(
                IndexModel([(key, ASCENDING) for key in keys], unique=unique))
        for collection, models in by_collection.items():
            self._database[collection].create_indexes(models)
        self._indexes_ready = True

    # -- attempt_events -----------------------------------------------------------------------

    def insert_attempt_events(self, documents: Sequence[Document]) -> list[bool]:
        if not documents:
            return []
        now = now_utc()
        prepared = [_new_document(document, now) for document in documents]
        try:
            self._collection(ATTEMPT_EVENTS).insert_many(prepared, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors") or []
            if exc.details.get("writeConcernErrors") or any(e.get("code") != _DUPLICATE_KEY for e in errors):
                raise
            duplicates = {error["index"] for error in errors}
            return [index not in duplicates for index in range(len(prepared))]
        return [True] * len(prepared)

    def find_attempt_events(self, attempt_id: str) -> Document | None:
        return _out(self._collection(ATTEMPT_EVENTS).find_one({"attempt_id": attempt_id}))

    def attempt_events_to_archive(self, created_before: datetime, limit: int) -> list[Document]:
        cursor = (self._collection(ATTEMPT_EVENTS)
                  .find({"createdAt": {"$lt": utc_millis(created_before)}, "archived_to_s3_at": None})
                  .sort([("createdAt", ASCENDING), ("_id", ASCENDING)])
                  .limit(limit))
        return [_out(document) for document in cursor]

    def mark_attempt_events_archived(self, document_id: str, archived_at: datetime) -> bool:
        object_id = _object_id(document_id)
        if object_id is None:
            return False
        archived_at = utc_millis(archived_at)
        result = self._collection(ATTEMPT_EVENTS).update_one(
            {"_id": object_id, "archived_to_s3_at": None},
            {"$set": {"archived_to_s3_at": archived_at, "events": [], "updatedAt": archived_at}})
        return result.modified_count == 1

    # -- llm_classification_jobs ----------------------------------------------------------------

    def insert_llm_job(self, job: Mapping[str, Any]) -> str:
        result = self._collection(LLM_CLASSIFICATION_JOBS).insert_one(_new_document(job, now_utc()))
        return str(result.inserted_id)

    def update_llm_job(self, job_id: str, fields: Mapping[str, Any], *, unset: Sequence[str] = ()) -> bool:
        object_id = _object_id(job_id)
        if object_id is None:
            return False
        result = self._collection(LLM_CLASSIFICATION_JOBS).update_one(
            {"_id": object_id}, _update(fields, unset, now_utc()))
        return result.matched_count == 1

    def find_llm_job(self, job_id: str) -> Document | None:
        object_id = _object_id(job_id)
        if object_id is None:
            return None
        return _out(self._collection(LLM_CLASSIFICATION_JOBS).find_one({"_id": object_id}))

    # -- ocr_jobs -------------------------------------------------------------------------------

    def upsert_ocr_job(self, upload_id: str, fields: Mapping[str, Any], *, unset: Sequence[str] = ()) -> str:
        now = now_utc()
        update = _update(fields, unset, now, protected=("upload_id",))
        update["$setOnInsert"] = {"upload_id": upload_id, "createdAt": now}
        collection = self._collection(OCR_JOBS)
        for _ in range(2):
            try:
                found = collection.find_one_and_update(
                    {"upload_id": upload_id}, update, upsert=True, projection={"_id": True},
                    return_document=ReturnDocument.AFTER)
                return str(found["_id"])
            except DuplicateKeyError:
                continue  # a concurrent upsert inserted it first: the second try updates it
        raise RuntimeError(f"ocr job {upload_id} could not be upserted")

    def update_ocr_job(self, upload_id: str, fields: Mapping[str, Any], *, unset: Sequence[str] = ()) -> bool:
        result = self._collection(OCR_JOBS).update_one(
            {"upload_id": upload_id}, _update(fields, unset, now_utc(), protected=("upload_id",)))
        return result.matched_count == 1

    def find_ocr_job(self, upload_id: str) -> Document | None:
        return _out(self._collection(OCR_JOBS).find_one({"upload_id": upload_id}))
