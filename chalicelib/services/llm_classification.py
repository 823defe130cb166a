"""Asynchronous error classification of ``UNCLASSIFIED`` attempts by Claude (workers.md §3).

:func:`classify_batch` takes the parsed messages of one SQS batch and returns the attempt ids whose
messages must be retried (with the reason); it knows nothing about SQS. Per batch:

1. duplicates of an attempt are merged (they share the outcome); attempts that no longer exist or are
   already ``CLASSIFIED`` (a redelivery) are acknowledged without a model call;
2. the rest is grouped by ``domain_id``; each group is **one** model call with its domain's cached
   prompt (the catalogue is cached per container for an hour);
3. per group: the LLM killswitch (paused → no call, the group is retried), a ``pending`` job document,
   the call, the validated write-back in **one transaction** together with the job's completion (when the
   document store is the PostgreSQL one; with MongoDB the job is completed right after the commit),
   and one ``cost_events`` row (best-effort);
4. a provider error, a time-out or a malformed answer fails the group's items and marks its job
   ``failed`` (``dlq`` when every item is on its last receive); nothing is written to the attempts.

Mastery is not touched: the correctness bit already updated it when the attempt was created, and the
LLM's tag never triggers a second update (DECISIONS.md §3).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.ai.anthropic_calls import TimeLeft
from chalicelib.ai.claude_classifier import Classifier, ClassifierReply, ToolClassification
from chalicelib.ai.errors import ProviderError
from chalicelib.ai.prices import TokenUsage, cost_usd
from chalicelib.ai.prompts import (CORRECT, UNCLASSIFIED, AttemptToClassify, Catalog, CatalogTag,
                                   ClassificationPrompt, classification_prompt)
from chalicelib.logs import trace_scope
from chalicelib.messaging.messages import LlmClassifyRequest
from chalicelib.store import llm_classifications as store
from chalicelib.store.database import Database

log = logging.getLogger(__name__)

WORKER = "llm_classifier"
PAUSED_REASON = "paused_due_to_cost"
CATALOG_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class ClassificationRequest:
    """One queue message, with what the service needs to know about its delivery."""

    message: LlmClassifyRequest
    trace_id: str
    final_receive: bool  # ApproximateReceiveCount ≥ the queue's maxReceiveCount


@dataclass
class BatchOutcome:
    """Attempts to retry (``attempt id → reason``) and the job documents written."""

    failed: dict[str, str] = field(default_factory=dict)
    job_ids: list[str] = field(default_factory=list)
    calls: int = 0


class CatalogCache:
    """Per-container cache of each domain's prompt input (1 hour; an empty catalogue is not cached)."""

    def __init__(self, ttl_seconds: float = CATALOG_TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl_seconds, self.clock = ttl_seconds, clock
        self._entries: dict[str, tuple[Catalog, float]] = {}
        self._lock = threading.Lock()

    def get(self, db: Database, domain_id: str | None) -> Catalog | None:
        if domain_id is None:
            return None
        now = self.clock()
        with self._lock:
            cached = self._entries.get(domain_id)
        if cached is not None and now - cached[1] < self.ttl_seconds:
            return cached[0]
        rows = store.active_catalog(db, domain_id)
        if not rows:
            return None
        catalog = Catalog(domain_id, rows[0]["domain_code"], rows[0]["domain_name"],
                          tuple(CatalogTag(r["code"], r["description"], r["diagnostic_hint"]) for r in rows))
        with self._lock:
            self._entries[domain_id] = (catalog, now)
        return catalog

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _attempt_for_prompt(message: LlmClassifyRequest) -> AttemptToClassify:
    return AttemptToClassify(
        attempt_id=message.id, topic=message.topic, subdomain=message.subdomain_code,
        problem=message.problem_statement, canonical=message.canonical_solution,
        student_steps=tuple(step.model_dump() for step in message.raw_steps), student_answer=message.final_answer)


def _stored_code(classification: ToolClassification, prompt: ClassificationPrompt) -> str:
    """The code to store: on the domain path only the group's own catalogue codes count (§3.6: the
    enum keeps answers on the domain's tags); anything else becomes ``UNCLASSIFIED``."""
    code = classification.error_type
    if code == CORRECT:
        return code
    if prompt.domain_code is not None and code not in prompt.catalog_codes:
        return UNCLASSIFIED
    return code


def classify_batch(db: Database, documents: Any, classifier: Classifier, requests: Sequence[ClassificationRequest], *,
                   catalogs: CatalogCache, is_paused: Callable[[], bool], time_left: TimeLeft | None = None) -> BatchOutcome:
    """Classify the attempts of one batch; see the module docstring."""
    outcome = BatchOutcome()
    unique: dict[str, list[ClassificationRequest]] = {}
    for request in requests:
        unique.setdefault(request.message.id, []).append(request)
    states = store.attempt_states(db, list(unique))
    groups: dict[str | None, list[str]] = {}
    for attempt_id, copies in unique.items():
        state = states.get(attempt_id)
        if state is None:
            log.warning("attempt not found: acknowledged", extra={"attempt_id": attempt_id})
        elif state["status"] == "CLASSIFIED":
            log.info("attempt already classified: acknowledged", extra={"attempt_id": attempt_id})
        else:
            groups.setdefault(copies[0].message.domain_id, []).append(attempt_id)
    for domain_id, attempt_ids in groups.items():
        group = [unique[attempt_id] for attempt_id in attempt_ids]
        try:
            with trace_scope(group[0][0].trace_id):  # the job's trace: its first record's
                _classify_group(db, documents, classifier, group, catalogs.get(db, domain_id), domain_id,
                                is_paused, time_left, outcome)
        except Exception as exc:  # noqa: BLE001 - database or document store trouble: retry the group
            log.error("classification group failed", exc_info=exc, extra={"domain_id": domain_id})
            for attempt_id in attempt_ids:
                outcome.failed.setdefault(attempt_id, f"transient: {type(exc).__name__}: {exc}")
    return outcome


def _classify_group(db: Database, documents: Any, classifier: Classifier, group: list[list[ClassificationRequest]],
                    catalog: Catalog | None, domain_id: str | None, is_paused: Callable[[], bool],
                    time_left: TimeLeft | None, outcome: BatchOutcome) -> None:
    prompt = classification_prompt(catalog)
    attempt_ids = [copies[0].message.id for copies in group]
    trace_id = group[0][0].trace_id
    final = all(request.final_receive for copies in group for request in copies)
    job = {"attempt_ids": attempt_ids, "trace_id": trace_id, "model": classifier.model, "status": "pending",
           "retries": 0, "domain_id": domain_id, "prompt_version": prompt.prompt_version,
           "catalog_hash": prompt.catalog_hash, "request_meta": {"tool_choice": prompt.tool_choice()}}

    def fail_group(reason: str, message: str) -> None:
        for attempt_id in attempt_ids:
            outcome.failed[attempt_id] = f"{reason}: {message}"

    if is_paused():
        log.warning("LLM paused by the killswitch: no model call", extra={"attempts": len(attempt_ids)})
        job_id = documents.insert_llm_job({**job, "status": "dlq" if final else "failed",
                                           "error_message": PAUSED_REASON})
        outcome.job_ids.append(job_id)
        fail_group(PAUSED_REASON, "the LLM killswitch is on")
        return

    job_id = documents.insert_llm_job(job)
    outcome.job_ids.append(job_id)
    started = time.perf_counter()
    outcome.calls += 1
    try:
        reply = classifier.classify(prompt, [_attempt_for_prompt(copies[0].message) for copies in group],
                                    time_left=time_left)
    except ProviderError as exc:
        duration = round((time.perf_counter() - started) * 1000)
        log.error("classification call failed", extra={"reason": exc.reason, "error": str(exc), "job_id": job_id,
                                                       "attempts": len(attempt_ids)})
        usage = exc.usage if isinstance(exc.usage, TokenUsage) else None
        fields: dict[str, Any] = {"status": "dlq" if final else "failed", "error_message": str(exc),
                                  "retries": exc.retries, "duration_ms": duration}
        if usage is not None:  # answered but unusable: the tokens were billed
            fields["request_meta"] = _request_meta(prompt, usage)
            fields["cost_estimated_usd"] = cost_usd(classifier.model, usage)
        documents.update_llm_job(job_id, fields)
        if usage is not None:
            _record_cost(db, classifier.model, usage, trace_id)
        fail_group(exc.reason, str(exc))
        return

    by_attempt: dict[str, ToolClassification] = {}
    for classification in reply.classifications:
        if classification.attempt_id in attempt_ids and classification.attempt_id not in by_attempt:
            by_attempt[classification.attempt_id] = classification  # ids not in the group are ignored
    results = [(attempt_id, _stored_code(c, prompt), c.confidence) for attempt_id, c in by_attempt.items()]
    completion = _completion(prompt, reply, by_attempt, classifier.model,
                             round((time.perf_counter() - started) * 1000))
    try:
        with db.transaction():
            written = store.write_classifications(db, job_id, results)
            documents.update_llm_job(job_id, completion)  # same transaction with the PostgreSQL store
    except Exception as exc:
        # Nothing was written; the group is retried (the caller fails it). Say so on the job if the
        # store still answers, and keep the billed call visible.
        _record_cost(db, classifier.model, reply.usage, trace_id)
        try:
            documents.update_llm_job(job_id, {"status": "dlq" if final else "failed",
                                              "error_message": f"write_back_failed: {type(exc).__name__}: {exc}"})
        except Exception:  # noqa: BLE001 - the store is the problem: the job stays pending
            log.warning("job document not updated after a failed write-back", extra={"job_id": job_id})
        raise
    _record_cost(db, classifier.model, reply.usage, trace_id)
    log.info("attempts classified", extra={"job_id": job_id, "attempts": len(attempt_ids),
                                           "answered": len(by_attempt), "written": len(written),
                                           "cache_read_tokens": reply.usage.cache_read_input_tokens,
                                           "cost_usd": completion["cost_estimated_usd"]})
    for attempt_id in attempt_ids:
        if attempt_id not in by_attempt:
            outcome.failed[attempt_id] = "no_classification: the model returned no classification for it"


def _request_meta(prompt: ClassificationPrompt, usage: TokenUsage) -> dict[str, Any]:
    return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cached_tokens": usage.cache_read_input_tokens, "cache_hit": usage.cache_read_input_tokens > 0,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens, "tool_choice": prompt.tool_choice()}


def _completion(prompt: ClassificationPrompt, reply: ClassifierReply, by_attempt: dict[str, ToolClassification],
                model: str, duration_ms: int) -> dict[str, Any]:
    from chalicelib.documents.store import now_utc

    return {
        "status": "completed",
        "request_meta": _request_meta(prompt, reply.usage),
        "response_meta": {"classifications": [c.model_dump() for c in by_attempt.values()],
                          "raw_response_id": reply.message_id},
        "cost_estimated_usd": cost_usd(model, reply.usage),
        "duration_ms": duration_ms,
        "retries": reply.retries,
        "completed_at": now_utc(),
    }


def _record_cost(db: Database, model: str, usage: TokenUsage, trace_id: str) -> None:
    """One ``cost_events`` row; a failure is logged and never fails the classification (§0.5)."""
    from chalicelib.store.cost_events import insert_cost_event

    try:
        insert_cost_event(db, worker=WORKER, model=model, input_tokens=usage.input_tokens,
                          output_tokens=usage.output_tokens,
                          cache_creation_input_tokens=usage.cache_creation_input_tokens,
                          cache_read_input_tokens=usage.cache_read_input_tokens,
                          cost_usd=cost_usd(model, usage), trace_id=trace_id)
    except Exception as exc:  # noqa: BLE001 - best-effort by contract
        log.error("cost event not recorded", extra={"error": f"{type(exc).__name__}: {exc}", "model": model})
