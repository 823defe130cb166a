"""The document store adapters the contract suite runs against.

- ``postgres``: the JSONB tables of this test's fresh database (embedded server);
- ``mongomock``: the MongoDB adapter over mongomock, in memory;
- ``mongodb``: the MongoDB adapter over a real server, only when ``MONGODB_URI`` is set (each test
  gets its own database, dropped afterwards).
"""
from __future__ import annotations

import os
import uuid

import pytest

ADAPTERS = ["postgres", "mongomock"] + (["mongodb"] if os.environ.get("MONGODB_URI") else [])


@pytest.fixture(params=ADAPTERS)
def store(request):
    from chalicelib.documents.mongo_store import MongoDocumentStore

    if request.param == "postgres":
        from chalicelib.documents.postgres_store import PostgresDocumentStore

        yield PostgresDocumentStore(request.getfixturevalue("db"))
        return
    name = f"innova_test_{uuid.uuid4().hex[:12]}"
    if request.param == "mongomock":
        import mongomock

        client = mongomock.MongoClient(tz_aware=True)
    else:
        from pymongo import MongoClient

        client = MongoClient(os.environ["MONGODB_URI"], tz_aware=True, serverSelectionTimeoutMS=5000)
    yield MongoDocumentStore(client[name])
    client.drop_database(name)
    client.close()
