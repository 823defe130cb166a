"""The guide state machine (domain.md §5.1, api.md §4.8) and the submission-completion rule.

Every change of ``guides.status`` in this product is checked here first: the API answers 409 for an
illegal move (``errors.Conflict``), a worker fails the record. The table is the whole truth; the
human review gate cannot be skipped (``GENERATING_SOLUTIONS → PUBLISHED`` is not in it).

Pure: no I/O, no framework imports.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType


class GuideStatus(str, Enum):
    UPLOADED = "UPLOADED"
    EXTRACTING = "EXTRACTING"
    EXTRACTION_FAILED = "EXTRACTION_FAILED"
    GENERATING_SOLUTIONS = "GENERATING_SOLUTIONS"
    GENERATION_FAILED = "GENERATION_FAILED"
    REVIEW = "REVIEW"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


_S = GuideStatus

TRANSITIONS: Mapping[GuideStatus, frozenset[GuideStatus]] = MappingProxyType({
    _S.UPLOADED: frozenset({_S.EXTRACTING, _S.ARCHIVED}),
    _S.EXTRACTING: frozenset({_S.GENERATING_SOLUTIONS, _S.EXTRACTION_FAILED, _S.ARCHIVED}),
    _S.EXTRACTION_FAILED: frozenset({_S.EXTRACTING, _S.ARCHIVED}),
    _S.GENERATING_SOLUTIONS: frozenset({_S.REVIEW, _S.GENERATION_FAILED, _S.ARCHIVED}),
    _S.GENERATION_FAILED: frozenset({_S.EXTRACTING, _S.GENERATING_SOLUTIONS, _S.ARCHIVED}),
    _S.REVIEW: frozenset({_S.PUBLISHED, _S.GENERATING_SOLUTIONS, _S.ARCHIVED}),
    _S.PUBLISHED: frozenset({_S.ARCHIVED}),
    _S.ARCHIVED: frozenset(),
})
"""Allowed next states of each state (domain.md §5.1, row by row)."""

INGESTABLE: frozenset[GuideStatus] = frozenset({_S.UPLOADED, _S.EXTRACTION_FAILED, _S.GENERATION_FAILED})
"""States from which a teacher may (re)start extraction."""

INGEST_RUNNING: frozenset[GuideStatus] = frozenset({_S.EXTRACTING, _S.GENERATING_SOLUTIONS})
"""States in which a repeated ingest request is a no-op answering the current status."""

CONTENT_LOCKED: frozenset[GuideStatus] = frozenset({_S.PUBLISHED, _S.ARCHIVED})
"""States in which questions and solutions can no longer change: students are (or were) graded
against them, and publishing materialised exercises from them."""


class IllegalGuideTransition(ValueError):
    """A move the table does not allow; the message names both states."""

    def __init__(self, current: GuideStatus, target: GuideStatus, message: str | None = None):
        self.current = current
        self.target = target
        super().__init__(message or f"Guide in status {current.value} cannot move to {target.value}")


def parse_status(value: str | GuideStatus) -> GuideStatus:
    """A stored or wire status as the enum (ValueError for anything else)."""
    return value if isinstance(value, GuideStatus) else GuideStatus(value)


def can_transition(current: str | GuideStatus, target: str | GuideStatus) -> bool:
    return parse_status(target) in TRANSITIONS[parse_status(current)]


def transition(current: str | GuideStatus, target: str | GuideStatus, *, message: str | None = None) -> GuideStatus:
    """``target`` when the table allows ``current → target``; else :class:`IllegalGuideTransition`."""
    now, then = parse_status(current), parse_status(target)
    if then not in TRANSITIONS[now]:
        raise IllegalGuideTransition(now, then, message)
    return then


def reachable_from(start: GuideStatus) -> frozenset[GuideStatus]:
    """Every state a sequence of legal moves can reach from ``start`` (``start`` included)."""
    seen, frontier = {start}, [start]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return frozenset(seen)


class IngestDecision(str, Enum):
    START = "START"  # move to EXTRACTING and enqueue the ingest job
    ALREADY_RUNNING = "ALREADY_RUNNING"  # no-op: answer the current status


def ingest_decision(current: str | GuideStatus) -> IngestDecision:
    """What an ingest request does in ``current`` (domain.md §5.2); refused states raise."""
    status = parse_status(current)
    if status in INGEST_RUNNING:
        return IngestDecision.ALREADY_RUNNING
    if status not in INGESTABLE:
        raise IllegalGuideTransition(status, GuideStatus.EXTRACTING,
                                     f"Guide in status {status.value} cannot be ingested")
    transition(status, GuideStatus.EXTRACTING)  # the table agrees for every INGESTABLE state
    return IngestDecision.START


# -- Submissions -------------------------------------------------------------------------------

class SubmissionStatus(str, Enum):
    UPLOADED = "UPLOADED"
    TRANSCRIBING = "TRANSCRIBING"
    GRADING = "GRADING"
    GRADED = "GRADED"
    FAILED = "FAILED"


GRADING_ENQUEUED: frozenset[SubmissionStatus] = frozenset(
    {SubmissionStatus.TRANSCRIBING, SubmissionStatus.GRADING, SubmissionStatus.GRADED})
"""Statuses of a submission whose grading job was already enqueued. ``complete`` moves
``UPLOADED → TRANSCRIBING`` when it enqueues (the grader then writes ``GRADING``/``GRADED``), so a
repeated ``complete`` finds one of these and enqueues nothing (DECISIONS.md §3)."""


class CompletionDecision(str, Enum):
    ENQUEUE = "ENQUEUE"  # UPLOADED: check the photos, move to TRANSCRIBING, enqueue grading once
    ALREADY_ENQUEUED = "ALREADY_ENQUEUED"  # answer the current status, publish nothing


class IllegalCompletion(ValueError):
    """``complete`` on a submission that can never be graded again (``FAILED``)."""

    def __init__(self, status: SubmissionStatus):
        self.status = status
        super().__init__(f"Submission already {status.value} — cannot complete again")


def completion_decision(current: str | SubmissionStatus) -> CompletionDecision:
    status = current if isinstance(current, SubmissionStatus) else SubmissionStatus(current)
    if status is SubmissionStatus.UPLOADED:
        return CompletionDecision.ENQUEUE
    if status in GRADING_ENQUEUED:
        return CompletionDecision.ALREADY_ENQUEUED
    raise IllegalCompletion(status)
