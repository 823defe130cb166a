"""Adapter-specific facts: MongoDB indexes and client options, and which adapter the factory picks."""
from __future__ import annotations

import mongomock
import pytest

from chalicelib import dependencies
from chalicelib.documents import mongo_store
from chalicelib.documents.mongo_store import MongoDocumentStore
from chalicelib.documents.postgres_store import PostgresDocumentStore


def test_mongo_indexes_of_section_8_are_created_on_first_use():
    database = mongomock.MongoClient(tz_aware=True)["innova"]
    store = MongoDocumentStore(database)
    store.find_attempt_events("a")  # first operation creates them
    events = database["attempt_events"].index_information()
    assert events["attempt_id_1"]["unique"] is True
    assert {"student_id_1", "trace_id_1", "createdAt_1_archived_to_s3_at_1"} <= set(events)
    assert {"status_1", "trace_id_1", "createdAt_1"} <= set(database["llm_classification_jobs"].index_information())
    ocr = database["ocr_jobs"].index_information()
    assert ocr["upload_id_1"]["unique"] is True and {"student_id_1", "status_1", "createdAt_1"} <= set(ocr)


def test_mongo_client_is_small_lazy_and_shared_per_process():
    uri = "mongodb://127.0.0.1:9/innova_prod"  # nothing listens: connect=False must not notice
    try:
        first, second = mongo_store.connect(uri), mongo_store.connect(uri)
        client = first._database.client
        assert second._database.client is client
        assert first._database.name == "innova_prod"
        assert client.options.pool_options.max_pool_size == 2
        assert client.options.server_selection_timeout == 5
        assert client.options.retry_writes is True
    finally:
        mongo_store.close_clients()


def test_factory_uses_postgres_without_mongodb_uri(database_url, monkeypatch):
    monkeypatch.delenv("MONGODB_URI", raising=False)
    dependencies.reset()
    store = dependencies.document_store()
    assert isinstance(store, PostgresDocumentStore)
    assert dependencies.document_store() is store


def test_factory_uses_mongodb_when_the_uri_is_set(monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "mongodb://127.0.0.1:9/innova")
    dependencies.reset()
    try:
        assert isinstance(dependencies.document_store(), MongoDocumentStore)
    finally:
        dependencies.reset()
        mongo_store.close_clients()


def test_factory_without_any_store_setting_names_the_missing_variable(monkeypatch):
    from chalicelib.settings import MissingSettingError

    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    dependencies.reset()
    with pytest.raises(MissingSettingError, match="DATABASE_URL"):
        dependencies.document_store()
