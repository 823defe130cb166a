"""Reading a photo of handwritten math: Gemini first, Claude as the fallback (workers.md §4.3–§4.7, §4.10).

    orchestrator = OcrOrchestrator(GeminiVision(...), ClaudeVision(...), is_paused=...)
    outcome = orchestrator.read_steps(prepared_image)          # the ocrWorker
    status = outcome.status(review_threshold=0.5)               # completed | low_confidence_review | failed
    page = orchestrator.read_page(prepared_image)               # the API's in-request variant

Rules:
- Claude is asked only when Gemini's confidence is below the fallback threshold (0.7 for the worker,
  0.85 in-request), and its reading is kept only with a **strictly** higher confidence.
- The OCR killswitch is checked before each provider call; paused means no call.
- ``used_fallback`` is true iff the kept reading came from Claude; ``fallback_provider`` is
  ``"claude"`` whenever Claude was called, even if its reading was discarded.
- A deadline (seconds) bounds the whole read: each call's time-out is shortened to fit, and the
  fallback is skipped when too little time is left (the API answers within API Gateway's 29 s).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib.ai.images import PreparedImage
from chalicelib.ai.ocr_prompts import PAGE, STEPS, PageTranscription, ReadingKind, Transcription
from chalicelib.ai.vision import TRANSIENT_REASONS, ProviderCall, VisionReader

log = logging.getLogger(__name__)

WORKER_FALLBACK_THRESHOLD = 0.7
IN_REQUEST_FALLBACK_THRESHOLD = 0.85
REVIEW_THRESHOLD = 0.5
PROVIDER_TIMEOUT_SECONDS = 25.0
MIN_FALLBACK_SECONDS = 6.0  # don't start Claude with less time than this left

COMPLETED, LOW_CONFIDENCE_REVIEW, FAILED, PENDING = "completed", "low_confidence_review", "failed", "pending"
PAUSED_REASON = "paused_due_to_cost"


@dataclass
class _Progress:
    calls: list[ProviderCall] = field(default_factory=list)
    paused: bool = False
    fallback_provider: str | None = None


@dataclass(frozen=True)
class StepsOutcome:
    """What the worker's read of one photo produced."""

    transcription: Transcription
    provider: str | None  # whose reading was kept ("gemini" | "claude"); None when nobody answered
    used_fallback: bool
    fallback_provider: str | None
    calls: tuple[ProviderCall, ...]
    paused: bool

    @property
    def cost_usd(self) -> float:
        return sum(call.cost_usd for call in self.calls)

    @property
    def all_failed(self) -> bool:
        """No provider produced an answer (none configured, or every call errored)."""
        return self.provider is None

    @property
    def transient_failure(self) -> bool:
        """Every call failed for a reason that a later retry may not meet (rate limits, 5xx, time-outs)."""
        return self.all_failed and bool(self.calls) and all(c.error in TRANSIENT_REASONS for c in self.calls)

    @property
    def error_message(self) -> str | None:
        if self.paused:
            return PAUSED_REASON
        if not self.all_failed:
            return None
        if not self.calls:
            return "provider_unconfigured: no OCR provider is configured (GEMINI_API_KEY, ANTHROPIC_API_KEY)"
        return "ocr_providers_failed: " + "; ".join(f"{c.provider}: {c.error}" for c in self.calls)

    def status(self, review_threshold: float = REVIEW_THRESHOLD) -> str:
        """§4.7: ``completed`` (confident enough and at least one step), ``low_confidence_review``
        (kept for a teacher), ``failed`` (paused, or no provider answered)."""
        if self.paused or self.all_failed:
            return FAILED
        if self.transcription.latex_steps and self.transcription.overall_confidence >= review_threshold:
            return COMPLETED
        return LOW_CONFIDENCE_REVIEW


@dataclass(frozen=True)
class PageOutcome:
    page: PageTranscription
    provider: str | None
    used_fallback: bool
    calls: tuple[ProviderCall, ...]
    paused: bool


class OcrOrchestrator:
    def __init__(self, primary: VisionReader, fallback: VisionReader | None, *,
                 is_paused: Callable[[], bool] = lambda: False, fallback_threshold: float = WORKER_FALLBACK_THRESHOLD,
                 provider_timeout_seconds: float = PROVIDER_TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.primary, self.fallback = primary, fallback
        self.is_paused = is_paused
        self.fallback_threshold = fallback_threshold
        self.provider_timeout_seconds = provider_timeout_seconds
        self.clock = clock

    def _timeout(self, deadline: float | None) -> float | None:
        """This call's time-out, or None when the deadline leaves no room for one."""
        if deadline is None:
            return self.provider_timeout_seconds
        left = deadline - self.clock() - 1.0
        return min(self.provider_timeout_seconds, left) if left >= MIN_FALLBACK_SECONDS else None

    def _may_call(self, reader: VisionReader | None, image: PreparedImage, progress: _Progress) -> bool:
        if reader is None or not reader.supports(image.mime_type):
            return False
        if self.is_paused():
            progress.paused = True
            log.warning("OCR paused by the killswitch: provider not called", extra={"provider": reader.provider})
            return False
        return True

    def _read(self, image: PreparedImage, kind: ReadingKind, threshold: float,
              time_budget_seconds: float | None) -> tuple[Transcription | PageTranscription, str | None, _Progress]:
        """The kept reading, who produced it, and what was called (the rules of the module docstring)."""
        deadline = None if time_budget_seconds is None else self.clock() + time_budget_seconds
        progress = _Progress()
        kept, kept_by = kind.empty, None
        timeout = self._timeout(deadline)
        if timeout is not None and self._may_call(self.primary, image, progress):
            reading = self.primary.read(image, kind, timeout_seconds=timeout)
            if reading.call is not None:
                progress.calls.append(reading.call)
            if not reading.failed:
                kept, kept_by = reading.value, self.primary.provider
        if not progress.paused and kept.confidence < threshold:
            timeout = self._timeout(deadline)
            if timeout is not None and self._may_call(self.fallback, image, progress):
                assert self.fallback is not None
                reading = self.fallback.read(image, kind, timeout_seconds=timeout)
                if reading.call is not None:
                    progress.calls.append(reading.call)
                    progress.fallback_provider = self.fallback.provider
                # A provider that answered beats one that failed; otherwise only a strictly higher
                # confidence replaces the primary's reading.
                if not reading.failed and (reading.value.confidence > kept.confidence or kept_by is None):
                    kept, kept_by = reading.value, self.fallback.provider
        return kept, kept_by, progress

    def read_steps(self, image: PreparedImage, *, time_budget_seconds: float | None = None) -> StepsOutcome:
        """One attempt's work from ``image`` (the worker's schema, §4.6)."""
        kept, kept_by, progress = self._read(image, STEPS, self.fallback_threshold, time_budget_seconds)
        return StepsOutcome(kept, kept_by, kept_by is not None and kept_by != self.primary.provider,
                            progress.fallback_provider, tuple(progress.calls), progress.paused)

    def read_page(self, image: PreparedImage, *, time_budget_seconds: float | None = None,
                  fallback_threshold: float = IN_REQUEST_FALLBACK_THRESHOLD) -> PageOutcome:
        """The exercises of a worksheet page (the API's schema, §4.10)."""
        kept, kept_by, progress = self._read(image, PAGE, fallback_threshold, time_budget_seconds)
        return PageOutcome(kept, kept_by, kept_by is not None and kept_by != self.primary.provider,
                           tuple(progress.calls), progress.paused)
