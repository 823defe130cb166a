"""Gemini, the primary OCR provider (workers.md §4.4, §4.10), through the google-genai SDK.

Structured output: ``response_mime_type="application/json"`` with the JSON schema of the reading
(§4.6 or §4.10) as ``response_json_schema``; temperature 0; ``max_output_tokens`` 8192, because 2.5
Flash spends "thinking" tokens from that budget and small limits cut the JSON mid-string. The API
version is pinned to ``v1beta`` (the SDK's default ``v1`` has refused response schemas on some
releases, googleapis/python-genai#1398). ``google.genai`` (~0.3 s of imports) is imported on the
first call. Every problem — HTTP error, time-out, blocked or unparseable answer — yields an empty
reading with confidence 0 and the reason in :attr:`ProviderCall.error`; nothing raises.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from chalicelib.ai import ocr_prompts
from chalicelib.ai.images import SUPPORTED_TYPES, PreparedImage
from chalicelib.ai.ocr_prompts import ReadingKind
from chalicelib.ai.prices import TokenUsage
from chalicelib.ai.vision import ProviderCall, Reading

log = logging.getLogger(__name__)

API_VERSION = "v1beta"
MAX_OUTPUT_TOKENS = 8192


def _reason(exc: Exception) -> str:
    from google.genai import errors as genai_errors

    if isinstance(exc, genai_errors.APIError):
        code = getattr(exc, "code", None) or 0
        return "rate_limited" if code == 429 else "server_error" if code >= 500 else "request_refused"
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout"
    if "Connect" in name or "Transport" in name or "Network" in name:
        return "connection_error"
    return "provider_error"


class GeminiVision:
    """:class:`~chalicelib.ai.vision.VisionReader` over the Gemini API."""

    provider = "gemini"

    def __init__(self, *, api_key: str | None, model: str, base_url: str | None = None):
        self.model = model
        self._api_key, self._base_url = api_key, base_url
        self._client: Any = None
        if not api_key:
            log.error("GEMINI_API_KEY is not set: OCR falls back to Claude when it can")
        elif not api_key.startswith("AIza"):
            log.warning("GEMINI_API_KEY does not look like a Google AI Studio key (they start with 'AIza')")

    @classmethod
    def from_settings(cls, settings: Any) -> "GeminiVision":
        return cls(api_key=settings.gemini_api_key, model=settings.gemini_model, base_url=settings.gemini_base_url)

    def supports(self, mime_type: str) -> bool:
        return mime_type in SUPPORTED_TYPES

    def _sdk(self) -> Any:
        if self._client is None:
            from google import genai
            from google.genai import types

            options = types.HttpOptions(api_version=API_VERSION, base_url=self._base_url or None)
            self._client = genai.Client(api_key=self._api_key, http_options=options)
        return self._client

    def read(self, image: PreparedImage, kind: ReadingKind, *, timeout_seconds: float) -> Reading:
        """One structured call; an empty reading (with the reason in its call) when it fails."""
        if not self._api_key:
            return Reading(kind.empty, None)
        from google.genai import types

        started = time.perf_counter()
        usage, error, value = TokenUsage(), None, None
        try:
            response = self._sdk().models.generate_content(
                model=self.model,
                contents=[types.Part.from_bytes(data=image.data, mime_type=image.mime_type), kind.user_instruction],
                config=types.GenerateContentConfig(
                    system_instruction=kind.system_instruction, temperature=0, max_output_tokens=MAX_OUTPUT_TOKENS,
                    response_mime_type="application/json", response_json_schema=kind.schema,
                    automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
                    http_options=types.HttpOptions(timeout=max(int(timeout_seconds * 1000), 1000))),
            )
            metadata = getattr(response, "usage_metadata", None)
            if metadata is not None:
                usage = TokenUsage(input_tokens=metadata.prompt_token_count or 0,
                                   output_tokens=(metadata.candidates_token_count or 0)
                                   + (metadata.thoughts_token_count or 0))
            value = ocr_prompts.json_object_from_text(response.text)
            if value is None:
                error = "malformed_output"
                reason = response.candidates[0].finish_reason if response.candidates else None
                log.warning("gemini answer unusable", extra={"finish_reason": str(reason)})
        except Exception as exc:  # noqa: BLE001 - any provider problem is an empty reading (§4.4)
            error = _reason(exc)
            log.warning("gemini call failed", extra={"reason": error, "error": f"{type(exc).__name__}: {exc}"})
        call = ProviderCall(self.provider, self.model, usage, round((time.perf_counter() - started) * 1000), error)
        return Reading(kind.empty if value is None else kind.parse(value), call)
