"""Calling the Anthropic Messages API: client creation, retries, error translation, forced tool output.

The ``anthropic`` SDK costs ~0.8 s to import, so it is imported here, on the first call, never at
module load: the API function and every other worker never pay for it. The SDK's own retries are
off; :func:`create_message` retries 429, 5xx and "overloaded" itself (workers.md §3.3) so that the
number of retries is known and the back-off respects the invocation's remaining time.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.ai.errors import MalformedOutput, ProviderError, ProviderNotConfigured
from chalicelib.ai.prices import TokenUsage

log = logging.getLogger(__name__)

RETRY_BACKOFF_SECONDS = (1.0, 2.0)
MIN_SECONDS_LEFT = 15.0  # no retry when less invocation time than this would remain after the back-off
# Models that still accept sampling parameters (newer ones reject ``temperature`` with a 400).
_TEMPERATURE_MODELS = ("claude-3", "claude-haiku-4-5", "claude-sonnet-4", "claude-opus-4-0", "claude-opus-4-1",
                       "claude-opus-4-5", "claude-opus-4-6")

TimeLeft = Callable[[], float | None]  # seconds of invocation time left, None when unknown


@dataclass(frozen=True)
class ToolCall:
    """The forced tool's input, with what the call cost."""

    tool_input: Any
    usage: TokenUsage
    model: str
    message_id: str | None
    retries: int


def create_client(*, api_key: str | None, base_url: str | None, timeout_seconds: float) -> Any:
    """An ``anthropic.Anthropic`` client with the SDK's retries disabled."""
    if not api_key:
        raise ProviderNotConfigured("Anthropic", "ANTHROPIC_API_KEY")
    import anthropic  # deferred: ~0.8 s of imports, only on the AI code paths

    return anthropic.Anthropic(api_key=api_key, base_url=base_url or None, max_retries=0,
                               timeout=timeout_seconds)


def accepts_temperature(model: str) -> bool:
    return model.startswith(_TEMPERATURE_MODELS)


def translate(exc: Exception, retries: int = 0) -> ProviderError:
    """An SDK exception as a :class:`ProviderError`."""
    import anthropic

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, anthropic.APITimeoutError):
        return ProviderError("timeout", "the provider did not answer in time", retries=retries)
    if isinstance(exc, anthropic.APIConnectionError):
        return ProviderError("connection_error", str(exc), retries=retries)
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        reason = ("rate_limited" if status == 429 else "overloaded" if status == 529
                  else "server_error" if status >= 500 else "request_refused")
        return ProviderError(reason, f"HTTP {status}: {exc.message}", status=status, retries=retries)
    return ProviderError("provider_error", f"{type(exc).__name__}: {exc}", retries=retries)


def _retryable(exc: Exception) -> bool:
    import anthropic

    return isinstance(exc, anthropic.APIStatusError) and (exc.status_code == 429 or exc.status_code >= 500)


def create_message(client: Any, request: dict[str, Any], *, time_left: TimeLeft | None = None,
                   timeout_seconds: float = 45.0, max_retries: int = 2,
                   sleep: Callable[[float], None] = time.sleep) -> tuple[Any, int]:
    """``client.messages.create(**request)`` with up to ``max_retries`` retries on 429/5xx/overloaded.

    Returns ``(message, retries used)``; raises :class:`ProviderError`. A retry never starts when less
    than :data:`MIN_SECONDS_LEFT` of invocation time would remain after its back-off, and each call's
    time-out is shortened to end before the invocation does.
    """
    retries = 0
    while True:
        left = time_left() if time_left else None
        timeout = timeout_seconds if left is None else max(1.0, min(timeout_seconds, left - 1.0))
        try:
            return client.messages.create(**request, timeout=timeout), retries
        except Exception as exc:  # noqa: BLE001 - translated below
            backoff = RETRY_BACKOFF_SECONDS[min(retries, len(RETRY_BACKOFF_SECONDS) - 1)]
            left = time_left() if time_left else None
            if (not _retryable(exc) or retries >= max_retries
                    or (left is not None and left - backoff < MIN_SECONDS_LEFT)):
                raise translate(exc, retries) from exc
            log.warning("provider call failed, retrying", extra={"error": str(translate(exc)),
                                                               "retry": retries + 1, "backoff_s": backoff})
            sleep(backoff)
            retries += 1


def forced_tool_call(client: Any, *, model: str, max_tokens: int, system: list[dict[str, Any]] | None,
                     tool: dict[str, Any], content: list[dict[str, Any]] | str,
                     time_left: TimeLeft | None = None, timeout_seconds: float = 45.0, max_retries: int = 2,
                     sleep: Callable[[float], None] = time.sleep) -> ToolCall:
    """One user message answered through ``tool`` (``tool_choice`` forced); its input, unvalidated.

    :class:`MalformedOutput` when the answer holds no ``tool_use`` block of that name (e.g. prose, or a
    reply cut at ``max_tokens``).
    """
    request: dict[str, Any] = {
        "model": model, "max_tokens": max_tokens, "tools": [tool],
        "tool_choice": {"type": "tool", "name": tool["name"]},
        "messages": [{"role": "user", "content": content}],
    }
    if system is not None:
        request["system"] = system
    if accepts_temperature(model):
        request["extra_body"] = {"temperature": 0}  # the SDK no longer types sampling parameters
    message, retries = create_message(client, request, time_left=time_left, timeout_seconds=timeout_seconds,
                                      max_retries=max_retries, sleep=sleep)
    usage = TokenUsage.from_provider(getattr(message, "usage", None))
    for block in getattr(message, "content", None) or []:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == tool["name"]:
            return ToolCall(block.input, usage, model, getattr(message, "id", None), retries)
    stop = getattr(message, "stop_reason", None)
    raise MalformedOutput(f"no {tool['name']} tool_use block in the answer (stop_reason={stop})", retries=retries,
                          usage=usage)
