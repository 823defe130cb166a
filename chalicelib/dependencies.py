"""Adapters shared by the code of one container, created lazily on first use (infra.md §8).

Nothing here runs at import time, so a function pays only for the clients it really uses.
Services receive these objects as arguments; only edges (routes, worker handlers) call the getters.
:func:`reset` drops everything, for tests that point the process at another database or endpoint.
"""
from __future__ import annotations

import sys
import threading

from chalicelib.settings import get_settings
from chalicelib.store.database import Database

_local = threading.local()
_all_databases: list[Database] = []
_lock = threading.Lock()


def database() -> Database:
    """This thread's database connection holder (one per Lambda container, which has one thread)."""
    db = getattr(_local, "database", None)
    if db is None:
        settings = get_settings()
        db = Database.from_url(settings.required("DATABASE_URL"),
                               statement_timeout_ms=settings.database_statement_timeout_ms)
        _local.database = db
        with _lock:
            _all_databases.append(db)
    return db


def release_thread() -> None:
    """Close this thread's connection (servers that run each request on a short-lived thread)."""
    db = getattr(_local, "database", None)
    if db is not None:
        db.close()
        _local.database = None
        with _lock:
            if db in _all_databases:
                _all_databases.remove(db)


def reset() -> None:
    """Close every connection and forget every cached client and setting."""
    from chalicelib import aws  # local import: boto3 is not needed to reset a database

    with _lock:
        for db in _all_databases:
            db.close()
        _all_databases.clear()
    _local.__dict__.clear()
    get_settings.cache_clear()
    aws.reset_clients()
    security = sys.modules.get("chalicelib.api.security")
    if security is not None:  # not imported yet = no verifier cached (and no PyJWT to load for it)
        security.token_verifier.cache_clear()


def publisher():
    """The SQS publisher of this container (boto3 is imported on the first publish)."""
    found = getattr(_local, "publisher", None)
    if found is None:
        from chalicelib.messaging.sqs_publisher import SqsPublisher

        found = _local.publisher = SqsPublisher(get_settings())
    return found


def object_storage():
    """The S3 adapter of this container."""
    found = getattr(_local, "object_storage", None)
    if found is None:
        from chalicelib.messaging.s3_storage import S3Storage

        found = _local.object_storage = S3Storage()
    return found


def guide_files():
    """The guides' files in S3 (PDFs, photos, page scans) through this container's object storage."""
    from chalicelib.services.guide_files import GuideFiles

    return GuideFiles(object_storage(), get_settings())


def document_store():
    """The document store of this container (workers.md §8): MongoDB when ``MONGODB_URI`` is set,
    else the PostgreSQL JSONB tables on this thread's database connection (DECISIONS.md §5).

    pymongo is imported only on the MongoDB path, so the default costs no extra import.
    """
    found = getattr(_local, "document_store", None)
    if found is None:
        uri = get_settings().mongodb_uri
        if uri:
            from chalicelib.documents.mongo_store import connect

            found = connect(uri)
        else:
            from chalicelib.documents.postgres_store import PostgresDocumentStore

            found = PostgresDocumentStore(database())
        _local.document_store = found
    return found


def supabase_auth():
    """The Supabase Auth (GoTrue) client; :class:`~chalicelib.errors.Unavailable` when not configured.

    Without ``SUPABASE_URL`` (local runs, tests) the ``/auth/*`` credential routes answer 503 and
    the local runner's demo tokens are the way in (DECISIONS.md §2).
    """
    from chalicelib import errors

    settings = get_settings()
    if not settings.supabase_url:
        raise errors.Unavailable("Sign-in is not available: SUPABASE_URL is not configured"
                                 " (use the local runner's demo tokens)")
    if not settings.supabase_service_role_key:
        raise errors.Unavailable("Sign-in is not available: SUPABASE_SERVICE_ROLE_KEY is not configured")
    found = getattr(_local, "supabase_auth", None)
    if found is None:
        from chalicelib.supabase_auth import SupabaseAuthClient

        found = _local.supabase_auth = SupabaseAuthClient(settings.supabase_url, settings.supabase_service_role_key)
    return found


def llm_classifier():
    """The Claude classifier of this container (the anthropic SDK is imported on its first call)."""
    found = getattr(_local, "llm_classifier", None)
    if found is None:
        from chalicelib.ai.claude_classifier import ClaudeClassifier

        found = _local.llm_classifier = ClaudeClassifier.from_settings(get_settings())
    return found


def llm_catalog_cache():
    """Each domain's error catalogue, cached for an hour per container (workers.md §3.2 step 5)."""
    found = getattr(_local, "llm_catalog_cache", None)
    if found is None:
        from chalicelib.services.llm_classification import CatalogCache

        found = _local.llm_catalog_cache = CatalogCache()
    return found


def ocr_orchestrator():
    """Gemini with the Claude fallback, gated by the OCR killswitch (SDKs imported on first use)."""
    found = getattr(_local, "ocr_orchestrator", None)
    if found is None:
        from chalicelib import killswitches
        from chalicelib.ai.claude_vision import ClaudeVision
        from chalicelib.ai.gemini_vision import GeminiVision
        from chalicelib.ai.ocr_orchestrator import OcrOrchestrator

        settings = get_settings()
        found = _local.ocr_orchestrator = OcrOrchestrator(
            GeminiVision.from_settings(settings), ClaudeVision.from_settings(settings),
            is_paused=lambda: killswitches.is_paused(killswitches.OCR_PAUSED),
            fallback_threshold=settings.ocr_confidence_threshold)
    return found
