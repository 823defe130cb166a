"""Claude, the OCR fallback (workers.md §4.5): the image and an instruction, answered through a forced tool.

The replaced system asked for free-text JSON and scraped the first ``{…}`` span; here the tool
``extract_math_steps`` (schema §4.6) — or ``extract_exercises`` (§4.10) for worksheet pages — is
forced, so the answer is structured by construction and still validated leniently like Gemini's.
Claude reads JPEG, PNG, GIF and WebP, not HEIC: a HEIC photo gets no fallback. Like Gemini's
adapter, nothing raises: a failed call is an empty reading with the reason recorded.
"""
from __future__ import annotations

import base64
import logging
import time
from typing import Any

from chalicelib.ai import anthropic_calls
from chalicelib.ai.errors import ProviderError
from chalicelib.ai.images import JPEG, PNG, WEBP, PreparedImage
from chalicelib.ai.ocr_prompts import ReadingKind
from chalicelib.ai.prices import TokenUsage
from chalicelib.ai.vision import ProviderCall, Reading

log = logging.getLogger(__name__)

_READABLE = (JPEG, PNG, WEBP, "image/gif")


class ClaudeVision:
    """:class:`~chalicelib.ai.vision.VisionReader` over the Anthropic Messages API."""

    provider = "claude"

    def __init__(self, *, api_key: str | None, model: str, base_url: str | None = None):
        self.model = model
        self._api_key, self._base_url = api_key, base_url
        self._client: Any = None

    @classmethod
    def from_settings(cls, settings: Any) -> "ClaudeVision":
        return cls(api_key=settings.anthropic_api_key, model=settings.ocr_claude_model,
                   base_url=settings.anthropic_base_url)

    @property
    def configured(self) -> bool:
        return bool(self._api_key)

    def supports(self, mime_type: str) -> bool:
        return mime_type in _READABLE

    def read(self, image: PreparedImage, kind: ReadingKind, *, timeout_seconds: float) -> Reading:
        """The image and the instruction, answered through the kind's forced tool; an empty reading
        (with the reason in its call) when the call fails, no call for unsupported types."""
        if not self._api_key or not self.supports(image.mime_type):
            return Reading(kind.empty, None)
        started = time.perf_counter()
        usage, error, value = TokenUsage(), None, None
        try:
            if self._client is None:
                self._client = anthropic_calls.create_client(api_key=self._api_key, base_url=self._base_url,
                                                             timeout_seconds=timeout_seconds)
            content = [
                {"type": "image", "source": {"type": "base64", "media_type": image.mime_type,
                                             "data": base64.b64encode(image.data).decode("ascii")}},
                {"type": "text", "text": kind.user_instruction},
            ]
            tool = {"name": kind.tool, "description": kind.system_instruction, "input_schema": kind.schema}
            call = anthropic_calls.forced_tool_call(self._client, model=self.model, max_tokens=kind.claude_max_tokens,
                                                    system=None, tool=tool, content=content,
                                                    timeout_seconds=timeout_seconds, max_retries=0)
            usage, value = call.usage, call.tool_input
        except ProviderError as exc:
            error, usage = exc.reason, exc.usage or usage
            log.warning("claude OCR call failed", extra={"reason": exc.reason, "error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - SDK errors: an empty reading (§4.5)
            error = anthropic_calls.translate(exc).reason
            log.warning("claude OCR call failed", extra={"reason": error, "error": f"{type(exc).__name__}: {exc}"})
        call = ProviderCall(self.provider, self.model, usage, round((time.perf_counter() - started) * 1000), error)
        return Reading(kind.empty if value is None else kind.parse(value), call)
