"""Failures of an AI provider call, independent of the SDK that raised them."""
from __future__ import annotations

from typing import Any


class ProviderError(RuntimeError):
    """A call that produced no usable answer. ``reason`` is a short machine-readable word for logs
    and job documents (``rate_limited``, ``server_error``, ``timeout``, ``malformed_output``…)."""

    def __init__(self, reason: str, message: str, *, status: int | None = None, retries: int = 0,
                 usage: Any = None):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.status = status
        self.retries = retries
        self.usage = usage  # TokenUsage of a call that was billed although unusable, else None


class ProviderNotConfigured(ProviderError):
    """No API key is configured for the provider (the local runtime without keys)."""

    def __init__(self, provider: str, setting: str):
        super().__init__("provider_unconfigured", f"{provider} is not configured ({setting} is unset)")


class MalformedOutput(ProviderError):
    """The provider answered, but not with the structured output that was forced."""

    def __init__(self, message: str, *, retries: int = 0, usage: Any = None):
        super().__init__("malformed_output", message, retries=retries, usage=usage)
