"""The Claude adapter of the error classifier (workers.md §3.3–§3.6).

One call per domain group: the cached system block and the forced tool ``classify_errors`` of a
:class:`~chalicelib.ai.prompts.ClassificationPrompt`, the attempts in the user message. The tool's
input is untrusted (OWASP API10): it is validated with pydantic before anything is stored, and an
answer that fails validation is :class:`~chalicelib.ai.errors.MalformedOutput`.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.ai import anthropic_calls
from chalicelib.ai.anthropic_calls import TimeLeft
from chalicelib.ai.errors import MalformedOutput
from chalicelib.ai.prices import TokenUsage
from chalicelib.ai.prompts import (MAX_CLASSIFICATIONS, MAX_EVIDENCE_CHARS, AttemptToClassify,
                                   ClassificationPrompt, user_message)

log = logging.getLogger(__name__)

CLIENT_TIMEOUT_SECONDS = 45.0


class ToolClassification(BaseModel):
    """One entry of the tool's ``classifications`` (§3.6)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    attempt_id: str = Field(min_length=1)
    error_type: str = Field(min_length=1)
    evidence: str
    confidence: float = Field(ge=0.0, le=1.0, strict=True)

    @field_validator("evidence")
    @classmethod
    def _cap_evidence(cls, value: str) -> str:
        # Evidence is informational (kept in the job document only); an over-long sentence is cut
        # rather than failing a whole group and paying for the call again.
        return value[:MAX_EVIDENCE_CHARS]


class ClassifyErrorsInput(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    classifications: list[ToolClassification] = Field(min_length=1, max_length=MAX_CLASSIFICATIONS)


@dataclass(frozen=True)
class ClassifierReply:
    classifications: tuple[ToolClassification, ...]
    usage: TokenUsage
    model: str
    message_id: str | None
    retries: int


class Classifier(Protocol):
    model: str

    def classify(self, prompt: ClassificationPrompt, attempts: Sequence[AttemptToClassify], *,
                 time_left: TimeLeft | None = None) -> ClassifierReply: ...


def parse_tool_input(tool_input: Any) -> tuple[ToolClassification, ...]:
    """The validated classifications; :class:`MalformedOutput` naming the first problem otherwise."""
    try:
        return tuple(ClassifyErrorsInput.model_validate(tool_input).classifications)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "input"
        raise MalformedOutput(f"classify_errors input invalid at {where}: {first['msg']}") from None


class ClaudeClassifier:
    """:class:`Classifier` over the Anthropic Messages API (SDK client created on the first call)."""

    def __init__(self, *, api_key: str | None, model: str, max_tokens: int, base_url: str | None = None,
                 timeout_seconds: float = CLIENT_TIMEOUT_SECONDS, max_retries: int = 2,
                 sleep: Callable[[float], None] = time.sleep):
        self.model = model
        self.max_tokens = max_tokens
        self._api_key, self._base_url = api_key, base_url
        self._timeout_seconds, self._max_retries, self._sleep = timeout_seconds, max_retries, sleep
        self._client: Any = None

    @classmethod
    def from_settings(cls, settings: Any) -> "ClaudeClassifier":
        return cls(api_key=settings.anthropic_api_key, base_url=settings.anthropic_base_url,
                   model=settings.llm_model, max_tokens=settings.llm_max_tokens)

    def _sdk(self) -> Any:
        if self._client is None:
            self._client = anthropic_calls.create_client(api_key=self._api_key, base_url=self._base_url,
                                                         timeout_seconds=self._timeout_seconds)
        return self._client

    def classify(self, prompt: ClassificationPrompt, attempts: Sequence[AttemptToClassify], *,
                 time_left: TimeLeft | None = None) -> ClassifierReply:
        """Classify ``attempts`` in one call; raises :class:`~chalicelib.ai.errors.ProviderError`."""
        call = anthropic_calls.forced_tool_call(
            self._sdk(), model=self.model, max_tokens=self.max_tokens, system=prompt.system_blocks(),
            tool=prompt.tool(), content=user_message(attempts, prompt.domain_code), time_left=time_left,
            timeout_seconds=self._timeout_seconds, max_retries=self._max_retries, sleep=self._sleep)
        try:
            classifications = parse_tool_input(call.tool_input)
        except MalformedOutput as exc:
            exc.retries, exc.usage = call.retries, call.usage  # the call was billed all the same
            raise
        return ClassifierReply(classifications, call.usage, call.model, call.message_id, call.retries)
