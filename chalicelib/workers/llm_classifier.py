"""``llmClassifierWorker``: SQS batches of UNCLASSIFIED attempts → Claude → Postgres (workers.md §3).

Parses every record (a malformed one is a failed item that reaches the DLQ after 3 receives), hands
the batch to :func:`chalicelib.services.llm_classification.classify_batch` and reports as failed the
records of every attempt the service could not classify (all copies of a duplicated attempt share the
outcome). Returns the partial-batch response ``{"batchItemFailures": [...]}``.
"""
from __future__ import annotations

import functools
import logging
from typing import Any

from chalicelib import dependencies
from chalicelib.messaging.messages import LlmClassifyRequest
from chalicelib.resources import QUEUES
from chalicelib.settings import require_settings
from chalicelib.workers.sqs_batch import SqsBatch, SqsRecord, remaining_millis

log = logging.getLogger(__name__)

MAX_RECEIVES = QUEUES["llm_classify"].dlq.max_receive_count  # type: ignore[union-attr]


@functools.cache
def _warn_auto_suggest_unsupported() -> None:
    log.warning("LLM_AUTO_SUGGEST_ENABLED is set, but the optional catalogue auto-growth pass "
                "(workers.md §3.12) is not part of this version: nothing is suggested")


def handle(event: Any) -> dict[str, list[dict[str, str]]]:
    """The Lambda entry point (``app.llm_classifier_worker``)."""
    from chalicelib import killswitches
    from chalicelib.services import llm_classification

    settings = require_settings("llmClassifierWorker")
    if settings.llm_auto_suggest_enabled:
        _warn_auto_suggest_unsupported()
    batch = SqsBatch.from_event(event)
    parsed: list[tuple[SqsRecord, llm_classification.ClassificationRequest]] = []
    for record in batch.records:
        with batch.scope(record) as trace_id:
            message = batch.parse(record, LlmClassifyRequest.model_validate)
            if message is not None:
                parsed.append((record, llm_classification.ClassificationRequest(
                    message, trace_id, final_receive=record.receive_count >= MAX_RECEIVES)))
    if not parsed:
        return batch.response()

    context = getattr(event, "context", None)

    def time_left() -> float | None:
        millis = remaining_millis(context)
        return None if millis is None else millis / 1000

    try:
        outcome = llm_classification.classify_batch(
            dependencies.database(), dependencies.document_store(), dependencies.llm_classifier(),
            [request for _, request in parsed], catalogs=dependencies.llm_catalog_cache(),
            is_paused=lambda: killswitches.is_paused(killswitches.LLM_PAUSED), time_left=time_left)
        failed = outcome.failed
    except Exception as exc:  # noqa: BLE001 - e.g. the database is unreachable: every item is retried
        log.error("classification batch failed", exc_info=exc)
        failed = {request.message.id: f"transient: {type(exc).__name__}: {exc}" for _, request in parsed}
    for record, request in parsed:
        reason = failed.get(request.message.id)
        if reason is not None:
            with batch.scope(record):
                batch.fail(record, reason, level=logging.WARNING)
    return batch.response()
