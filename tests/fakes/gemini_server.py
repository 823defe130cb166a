"""A local server speaking the Gemini API's ``generateContent`` (``POST /{v1,v1beta}/models/<model>:generateContent``).

Standard library only, like :mod:`tests.fakes.anthropic_server`:

    with GeminiFake() as fake:
        client = genai.Client(api_key="test", http_options=types.HttpOptions(base_url=fake.url))
        fake.script(fake.json_reply({"latex_steps": [...], ...}), fake.error(429))
        fake.requests[0].inline_images()          # the image bytes the SDK sent

- Scripted replies first (structured JSON, free text, code-fenced JSON, an HTTP error with Google's
  error body, a blocked candidate, raw bytes, a delay); otherwise a default reply that fits the
  request's response schema (one exercise for the multi-exercise schema, one transcription else).
- ``usageMetadata`` carries prompt/candidate token estimates (⌈characters / 4⌉, 258 per image).
- Requests are recorded with headers and JSON body; :meth:`RecordedRequest.inline_images` decodes the
  SDK's URL-safe base64 inline data.

Run it alone: ``python -m tests.fakes.gemini_server --port 8702``.
"""
from __future__ import annotations

import base64
import json
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

from tests.fakes.scripted_http import RecordedRequest as _Recorded
from tests.fakes.scripted_http import Reply, ScriptedHttpFake

IMAGE_TOKENS = 258  # what Gemini bills for an image up to 384×384 (tiles of 768×768 cost the same)
_PATH = re.compile(r"^/(?P<version>v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):generateContent$")

DEFAULT_TRANSCRIPTION = {"latex_steps": ["352 - 127", "352 - 127 = 225"], "final_answer": "225",
                         "overall_confidence": 0.92, "topic_hint": "subtraction_borrow"}


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4) if text else 0


@dataclass
class RecordedRequest(_Recorded):
    """A generateContent request as the SDK sent it."""

    model: str | None = None
    api_version: str | None = None

    @property
    def api_key(self) -> str | None:
        return self.headers.get("x-goog-api-key") or None

    def parts(self) -> list[dict[str, Any]]:
        return [part for content in (self.body or {}).get("contents") or []
                for part in content.get("parts") or []]

    def text(self) -> str:
        return "\n".join(part["text"] for part in self.parts() if "text" in part)

    def inline_images(self) -> list[tuple[str, bytes]]:
        """``(mime type, bytes)`` of each inline-data part (the SDK sends URL-safe base64)."""
        images = []
        for part in self.parts():
            data = part.get("inlineData") or part.get("inline_data")
            if data:
                mime = data.get("mimeType") or data.get("mime_type") or ""
                encoded = data.get("data", "")
                images.append((mime, base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))))
        return images

    @property
    def generation_config(self) -> dict[str, Any]:
        return (self.body or {}).get("generationConfig") or {}

    @property
    def response_schema(self) -> dict[str, Any] | None:
        config = self.generation_config
        return config.get("responseSchema") or config.get("responseJsonSchema")

    @property
    def system_instruction(self) -> str:
        instruction = (self.body or {}).get("systemInstruction") or {}
        return "\n".join(part.get("text", "") for part in instruction.get("parts") or [])


class GeminiFake(ScriptedHttpFake):
    """The server; see the module docstring."""

    thread_name = "gemini-fake"

    def record(self, path: str, headers: dict[str, str], body: Any) -> RecordedRequest:
        found = _PATH.match(path)
        return RecordedRequest("POST", path, headers, body, found["model"] if found else None,
                               found["version"] if found else None)

    # -- scripting -------------------------------------------------------------------------------

    @staticmethod
    def json_reply(value: Any) -> Reply:
        """A candidate whose text is ``value`` as JSON (structured output)."""
        return Reply(body={"text": json.dumps(value, ensure_ascii=False)})

    @staticmethod
    def text_reply(text: str) -> Reply:
        """A candidate with free text (e.g. prose, or JSON inside a code fence)."""
        return Reply(body={"text": text})

    @staticmethod
    def blocked(reason: str = "SAFETY") -> Reply:
        """A candidate without content (finish reason other than STOP)."""
        return Reply(body={"finishReason": reason})

    @staticmethod
    def error(status: int, message: str = "scripted error", *, delay_seconds: float = 0.0) -> Reply:
        statuses = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                    429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
        return Reply(status, {"error": {"code": status, "message": message,
                                        "status": statuses.get(status, "UNKNOWN")}},
                     delay_seconds=delay_seconds)

    # -- replies --------------------------------------------------------------------------------

    def answer(self, request: RecordedRequest) -> Reply:
        if request.model is None:
            return self.error(404, f"no route {request.path}")
        if not isinstance(request.body, dict):
            return self.error(400, "Invalid JSON payload received.")
        reply = self.next_scripted() or Reply(body=None)
        if reply.status != 200 or reply.raw is not None:
            return reply
        spec = reply.body if reply.body is not None else {"text": json.dumps(default_answer(request))}
        prompt_tokens = (estimate_tokens(request.text() + request.system_instruction)
                         + IMAGE_TOKENS * len(request.inline_images()))
        candidate: dict[str, Any] = {"index": 0, "finishReason": spec.get("finishReason", "STOP")}
        text = spec.get("text")
        if text is not None:
            candidate["content"] = {"role": "model", "parts": [{"text": text}]}
        output_tokens = estimate_tokens(text or "")
        body = {
            "candidates": [candidate],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens,
                              "totalTokenCount": prompt_tokens + output_tokens},
            "modelVersion": request.model, "responseId": uuid.uuid4().hex[:22],
        }
        return Reply(200, body, delay_seconds=reply.delay_seconds)


def default_answer(request: RecordedRequest) -> dict[str, Any]:
    """A transcription shaped like the request's response schema."""
    schema = request.response_schema or {}
    if "exercises" in (schema.get("properties") or {}):
        return {"exercises": [{"problem": "352 - 127", **DEFAULT_TRANSCRIPTION}]}
    return dict(DEFAULT_TRANSCRIPTION)


if __name__ == "__main__":  # pragma: no cover - manual use and the local runtime
    GeminiFake.serve_from_command_line("Local Gemini generateContent fake")
