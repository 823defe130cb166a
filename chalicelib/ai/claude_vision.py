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

from chalicelib.ai import anthropic_calls, ocr_prompts
from chalicelib.ai.errors import ProviderError
from chalicelib.ai.images import JPEG, PNG, WEBP, PreparedImage
from chalicelib.ai.prices import TokenUsage
from chalicelib.ai.vision import PageReading, ProviderCall, StepsReading, failed_page, failed_steps

log = logging.getLogger(__name__)

STEPS_MAX_TOKENS = 1024
PAGE_MAX_TOKENS = 4096  # a page can hold a dozen exercises
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

    def _call(self, image: PreparedImage, *, tool: dict[str, Any], instruction: str, max_tokens: int,
              timeout_seconds: float) -> tuple[Any, ProviderCall | None]:
        if not self._api_key or not self.supports(image.mime_type):
            return None, None
        started = time.perf_counter()
        usage, error, value = TokenUsage(), None, None
        try:
            if self._client is None:
                self._client = anthropic_calls.create_client(api_key=self._api_key, base_url=self._base_url,
                                                             timeout_seconds=timeout_seconds)
            content = [
                {"type": "image", "source": {"type": "base64", "media_type": image.mime_type,
                                             "data": base64.b64encode(image.data).decode("ascii")}},
                {"type": "text", "text": instruction},
            ]
            call = anthropic_calls.forced_tool_call(self._client, model=self.model, max_tokens=max_tokens,
                                                    system=None, tool=tool, content=content,
                                                    timeout_seconds=timeout_seconds, max_retries=0)
            usage, value = call.usage, call.tool_input
        except ProviderError as exc:
            error, usage = exc.reason, exc.usage or usage
            log.warning("claude OCR call failed", extra={"reason": exc.reason, "error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - SDK errors: an empty reading (§4.5)
            error = anthropic_calls.translate(exc).reason
            log.warning("claude OCR call failed", extra={"reason": error, "error": f"{type(exc).__name__}: {exc}"})
        return value, ProviderCall(self.provider, self.model, usage,
                                   round((time.perf_counter() - started) * 1000), error)

    def read_steps(self, image: PreparedImage, *, timeout_seconds: float) -> StepsReading:
        tool = {"name": ocr_prompts.STEPS_TOOL, "description": ocr_prompts.STEPS_SYSTEM_INSTRUCTION,
                "input_schema": ocr_prompts.STEPS_SCHEMA}
        value, call = self._call(image, tool=tool, instruction=ocr_prompts.STEPS_USER_INSTRUCTION,
                                 max_tokens=STEPS_MAX_TOKENS, timeout_seconds=timeout_seconds)
        if call is None or value is None:
            return failed_steps(call)
        return StepsReading(ocr_prompts.transcription_from(value), call)

    def read_page(self, image: PreparedImage, *, timeout_seconds: float) -> PageReading:
        tool = {"name": ocr_prompts.EXERCISES_TOOL, "description": ocr_prompts.PAGE_SYSTEM_INSTRUCTION,
                "input_schema": ocr_prompts.EXERCISES_SCHEMA}
        value, call = self._call(image, tool=tool, instruction=ocr_prompts.PAGE_USER_INSTRUCTION,
                                 max_tokens=PAGE_MAX_TOKENS, timeout_seconds=timeout_seconds)
        if call is None or value is None:
            return failed_page(call)
        return PageReading(ocr_prompts.page_from(value), call)
