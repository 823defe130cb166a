"""The port both vision providers implement, and what one provider call produced."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.ai.images import PreparedImage
from chalicelib.ai.ocr_prompts import EMPTY_PAGE, EMPTY_TRANSCRIPTION, PageTranscription, Transcription
from chalicelib.ai.prices import TokenUsage, cost_usd

# Provider errors worth another try later (Lambda's asynchronous retry); the others are final.
TRANSIENT_REASONS = frozenset({"rate_limited", "server_error", "overloaded", "timeout", "connection_error"})


@dataclass(frozen=True)
class ProviderCall:
    """One request to a provider: what it cost and, when it produced nothing usable, why."""

    provider: str  # "gemini" | "claude"
    model: str
    usage: TokenUsage
    duration_ms: int
    error: str | None = None  # a ProviderError reason, None when the call answered

    @property
    def cost_usd(self) -> float:
        return cost_usd(self.model, self.usage)


@dataclass(frozen=True)
class StepsReading:
    transcription: Transcription
    call: ProviderCall | None  # None: no request was made (provider not configured, type unsupported)

    @property
    def failed(self) -> bool:
        return self.call is None or self.call.error is not None


@dataclass(frozen=True)
class PageReading:
    page: PageTranscription
    call: ProviderCall | None

    @property
    def failed(self) -> bool:
        return self.call is None or self.call.error is not None


class VisionReader(Protocol):
    """A vision model that transcribes handwritten math; never raises for provider problems."""

    provider: str
    model: str

    def supports(self, mime_type: str) -> bool: ...

    def read_steps(self, image: PreparedImage, *, timeout_seconds: float) -> StepsReading: ...

    def read_page(self, image: PreparedImage, *, timeout_seconds: float) -> PageReading: ...


def failed_steps(call: ProviderCall | None) -> StepsReading:
    return StepsReading(EMPTY_TRANSCRIPTION, call)


def failed_page(call: ProviderCall | None) -> PageReading:
    return PageReading(EMPTY_PAGE, call)
