"""The port both vision providers implement, and what one provider call produced."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.ai.images import PreparedImage
from chalicelib.ai.ocr_prompts import PageTranscription, ReadingKind, Transcription
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
class Reading:
    """A provider's reading of a photo (a :class:`Transcription` or a :class:`PageTranscription`)."""

    value: Transcription | PageTranscription
    call: ProviderCall | None  # None: no request was made (provider not configured, type unsupported)

    @property
    def failed(self) -> bool:
        return self.call is None or self.call.error is not None


class VisionReader(Protocol):
    """A vision model that transcribes handwritten math; never raises for provider problems."""

    provider: str
    model: str

    def supports(self, mime_type: str) -> bool: ...

    def read(self, image: PreparedImage, kind: ReadingKind, *, timeout_seconds: float) -> Reading: ...
