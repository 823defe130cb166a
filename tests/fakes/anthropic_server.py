"""A local server speaking the Anthropic Messages API (``POST /v1/messages``), standard library only.

    with AnthropicFake() as fake:                       # 127.0.0.1, a free port
        client = anthropic.Anthropic(base_url=fake.url, api_key="test")
        fake.script(fake.tool_use("classify_errors", {...}), fake.error(529))
        ...
        fake.requests[0].body["tool_choice"]            # what the SDK really sent

- **Scripted replies** are served first, in order (:meth:`AnthropicFake.script`): a tool call, a text
  answer (a "malformed" reply for a forced tool), an HTTP error with Anthropic's error body, a raw
  body, or a delay (client time-outs).
- **Otherwise a default reply** fits the request: for ``classify_errors`` one classification per
  attempt of the user message (``CORRECT`` when the answers match, else the first catalogue code);
  for ``extract_math_steps`` / ``extract_exercises`` a fixed transcription; else a text block.
- **Usage is realistic**: tokens are estimated as ⌈characters / 4⌉ (images: 1,600 each); the prefix up
  to the last ``cache_control`` breakpoint (tools → system → messages) is cached like Anthropic does —
  only when it reaches the model's minimum cacheable length (4,096 tokens for Haiku 4.5), written on
  the first call (``cache_creation_input_tokens``), read by later identical prefixes within the TTL
  (``cache_read_input_tokens``, which refreshes the TTL), and ``input_tokens`` counts the rest.
- Every request is recorded (:attr:`AnthropicFake.requests`) with its headers and JSON body.

Run it alone (the local runtime does): ``python -m tests.fakes.anthropic_server --port 8701``.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.scripted_http import RecordedRequest as _Recorded
from tests.fakes.scripted_http import Reply, ScriptedHttpFake

CACHE_TTL_SECONDS = 300.0
IMAGE_TOKENS = 1600
# Minimum cacheable prefix per model family (Anthropic's prompt-caching documentation).
MINIMUM_CACHEABLE_TOKENS = (
    ("claude-haiku-4-5", 4096), ("claude-opus-4-6", 4096), ("claude-opus-4-5", 4096),
    ("claude-3-5-haiku", 2048), ("claude-3-haiku", 2048),
)
DEFAULT_MINIMUM_CACHEABLE_TOKENS = 1024
_SPECIAL_CODES = ("CORRECT", "UNCLASSIFIED", "TRANSVERSAL_LIKELY")


def estimate_tokens(text: str) -> int:
    """⌈characters / 4⌉: a little below Claude's real count for Spanish prose and JSON."""
    return math.ceil(len(text) / 4) if text else 0


def minimum_cacheable_tokens(model: str) -> int:
    for prefix, minimum in MINIMUM_CACHEABLE_TOKENS:
        if model.startswith(prefix):
            return minimum
    return DEFAULT_MINIMUM_CACHEABLE_TOKENS


@dataclass
class RecordedRequest(_Recorded):
    """A Messages API request as the SDK sent it."""

    @property
    def api_key(self) -> str | None:
        """The credential sent, whichever header style the SDK used."""
        if self.headers.get("x-api-key"):
            return self.headers["x-api-key"]
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    def tool_names(self) -> list[str]:
        return [tool.get("name") for tool in (self.body or {}).get("tools") or []]

    def user_text(self) -> str:
        """The text blocks of the last user message, joined."""
        messages = (self.body or {}).get("messages") or []
        for message in reversed(messages):
            if message.get("role") == "user":
                return "\n".join(block.get("text", "") for block in _blocks(message.get("content"))
                                 if block.get("type") == "text")
        return ""

    def images(self) -> list[dict[str, Any]]:
        """The ``source`` objects of every image block of every message."""
        return [block["source"] for message in (self.body or {}).get("messages") or []
                for block in _blocks(message.get("content")) if block.get("type") == "image"]


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [block for block in content or [] if isinstance(block, dict)]


def _block_tokens(block: dict[str, Any]) -> int:
    if block.get("type") == "image":
        return IMAGE_TOKENS
    if block.get("type") == "text":
        return estimate_tokens(block.get("text", ""))
    return estimate_tokens(json.dumps({k: v for k, v in block.items() if k != "cache_control"}))


class PromptCache:
    """Anthropic's prompt cache, keyed by model + the exact prefix up to the last breakpoint."""

    def __init__(self, ttl_seconds: float = CACHE_TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._entries: dict[str, float] = {}  # prefix hash → expiry
        self._lock = threading.Lock()

    def usage(self, body: dict[str, Any], output_tokens: int) -> dict[str, int]:
        """The ``usage`` block Anthropic would report for ``body``."""
        pieces: list[tuple[Any, int, bool]] = []  # (canonical piece, tokens, has breakpoint)
        for tool in body.get("tools") or []:
            pieces.append((tool, estimate_tokens(json.dumps({k: v for k, v in tool.items()
                                                             if k != "cache_control"})),
                           "cache_control" in tool))
        system = body.get("system")
        for block in _blocks(system) if system else []:
            pieces.append((block, _block_tokens(block), "cache_control" in block))
        for message in body.get("messages") or []:
            for block in _blocks(message.get("content")):
                pieces.append(({"role": message.get("role"), **block}, _block_tokens(block),
                               "cache_control" in block))
        total = sum(tokens for _, tokens, _ in pieces)
        breakpoints = [i for i, (_, _, marked) in enumerate(pieces) if marked]
        usage = {"input_tokens": total, "output_tokens": output_tokens,
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        if not breakpoints:
            return usage
        prefix = pieces[:breakpoints[-1] + 1]
        prefix_tokens = sum(tokens for _, tokens, _ in prefix)
        model = str(body.get("model", ""))
        if prefix_tokens < minimum_cacheable_tokens(model):
            return usage  # silently not cached, like the real API
        key = hashlib.sha256(json.dumps([model, [p for p, _, _ in prefix]], sort_keys=True,
                                        default=str).encode()).hexdigest()
        now = self.clock()
        with self._lock:
            hit = self._entries.get(key, 0.0) > now
            self._entries[key] = now + self.ttl_seconds
        usage["input_tokens"] = total - prefix_tokens
        usage["cache_read_input_tokens" if hit else "cache_creation_input_tokens"] = prefix_tokens
        return usage

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class AnthropicFake(ScriptedHttpFake):
    """The server; see the module docstring."""

    thread_name = "anthropic-fake"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, cache_ttl_seconds: float = CACHE_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.cache = PromptCache(cache_ttl_seconds, clock)
        super().__init__(host, port)

    def record(self, path: str, headers: dict[str, str], body: Any) -> RecordedRequest:
        return RecordedRequest("POST", path, headers, body)

    def reset(self) -> None:
        """Forget recorded requests, scripted replies and the prompt cache."""
        super().reset()
        self.cache.clear()

    # -- scripting -------------------------------------------------------------------------------

    @staticmethod
    def tool_use(name: str, tool_input: Any, *, usage: dict[str, int] | None = None,
                 message_id: str | None = None) -> Reply:
        """A message whose only content is a ``tool_use`` block (what a forced tool returns)."""
        return Reply(body={"id": message_id, "content": [{"type": "tool_use", "name": name,
                                                          "input": tool_input}],
                           "stop_reason": "tool_use"}, usage=usage)

    @staticmethod
    def text(text: str, *, usage: dict[str, int] | None = None) -> Reply:
        """A plain text answer (malformed when a tool was forced)."""
        return Reply(body={"content": [{"type": "text", "text": text}], "stop_reason": "end_turn"}, usage=usage)

    @classmethod
    def error(cls, status: int, message: str = "scripted error", *, error_type: str | None = None,
              delay_seconds: float = 0.0) -> Reply:
        """An HTTP error with Anthropic's error body (429 rate_limit_error, 529 overloaded_error, …)."""
        kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 404: "not_found_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}
        headers = {"retry-after": "0"} if status in (429, 529) else {}
        return Reply(status, cls._error_body(error_type or kinds.get(status, "api_error"), message),
                     headers=headers, delay_seconds=delay_seconds)

    # -- replies --------------------------------------------------------------------------------

    @staticmethod
    def _error_body(error_type: str, message: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": error_type, "message": message}}

    def answer(self, request: RecordedRequest) -> Reply:
        if request.path.rstrip("/") != "/v1/messages":
            return Reply(404, self._error_body("not_found_error", f"no route {request.path}"))
        if not isinstance(request.body, dict):
            return Reply(400, self._error_body("invalid_request_error", "body must be JSON"))
        body = request.body
        reply = self.next_scripted() or Reply(body=None)
        headers = {"request-id": f"req_{uuid.uuid4().hex[:20]}", **reply.headers}
        if reply.status != 200 or reply.raw is not None:
            return Reply(reply.status, reply.body, reply.raw, headers, reply.delay_seconds)
        message = reply.body if reply.body is not None else default_message(body)
        content = message.get("content") or []
        output_tokens = sum(estimate_tokens(json.dumps(block.get("input")) if block.get("type") == "tool_use"
                                            else block.get("text", "")) for block in content) + 5
        usage = reply.usage or self.cache.usage(body, output_tokens)
        full = {
            "id": message.get("id") or f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message", "role": "assistant", "model": body.get("model", ""),
            "content": [({"id": f"toolu_{uuid.uuid4().hex[:24]}", **block} if block.get("type") == "tool_use"
                         else block) for block in content],
            "stop_reason": message.get("stop_reason", "end_turn"), "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0, **usage},
        }
        return Reply(200, full, headers=headers, delay_seconds=reply.delay_seconds)


# -- default answers ---------------------------------------------------------------------------

DEFAULT_STEPS = {"latex_steps": ["352 - 127", "352 - 127 = 225"], "final_answer": "225",
                 "overall_confidence": 0.9, "topic_hint": "subtraction_borrow"}


def _attempts_in(text: str) -> list[dict[str, Any]]:
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end < start:
        return []
    try:
        attempts = json.loads(text[start:end + 1])
    except ValueError:
        return []
    return [a for a in attempts if isinstance(a, dict)]


def _same_answer(a: Any, b: Any) -> bool:
    def norm(value: Any) -> str:
        return re.sub(r"\s+", "", str(value or "")).replace(",", ".").lower()
    return norm(a) != "" and norm(a) == norm(b)


def default_message(body: dict[str, Any]) -> dict[str, Any]:
    """A plausible answer to ``body`` when nothing was scripted."""
    forced = (body.get("tool_choice") or {}).get("name")
    tools = {tool.get("name"): tool for tool in body.get("tools") or []}
    request = RecordedRequest("POST", "/v1/messages", {}, body)
    if forced == "classify_errors" and forced in tools:
        schema = tools[forced].get("input_schema", {})
        codes = (schema.get("properties", {}).get("classifications", {}).get("items", {})
                 .get("properties", {}).get("error_type", {}).get("enum") or [])
        catalogue = [code for code in codes if code not in _SPECIAL_CODES]
        classifications = []
        for attempt in _attempts_in(request.user_text()):
            if _same_answer(attempt.get("student_answer"), attempt.get("canonical")):
                result = ("CORRECT", "La respuesta coincide con la solución canónica.", 0.97)
            elif catalogue:
                result = (catalogue[0], "Primer paso que se aparta del procedimiento esperado.", 0.62)
            else:
                result = ("UNCLASSIFIED", "Ningún código del catálogo explica el error.", 0.3)
            classifications.append({"attempt_id": str(attempt.get("attempt_id")), "error_type": result[0],
                                    "evidence": result[1], "confidence": result[2]})
        return {"content": [{"type": "tool_use", "name": forced, "input": {"classifications": classifications}}],
                "stop_reason": "tool_use"}
    if forced == "extract_math_steps" and forced in tools:
        return {"content": [{"type": "tool_use", "name": forced, "input": dict(DEFAULT_STEPS)}],
                "stop_reason": "tool_use"}
    if forced == "extract_exercises" and forced in tools:
        exercise = {"problem": "352 - 127", **{k: v for k, v in DEFAULT_STEPS.items()}}
        return {"content": [{"type": "tool_use", "name": forced, "input": {"exercises": [exercise]}}],
                "stop_reason": "tool_use"}
    return {"content": [{"type": "text", "text": "OK"}], "stop_reason": "end_turn"}


if __name__ == "__main__":  # pragma: no cover - manual use and the local runtime
    AnthropicFake.serve_from_command_line("Local Anthropic Messages API fake")
