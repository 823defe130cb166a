"""OCR of handwritten math: instructions, output schemas and the lenient parsing both providers share.

- :data:`STEPS_SCHEMA` — one attempt's work (workers.md §4.6), used by the ocrWorker.
- :data:`EXERCISES_SCHEMA` — a worksheet page with several exercises (§4.10), used in-request by the API.

Provider output is untrusted: :func:`transcription_from` / :func:`page_from` accept what a model
really returns (code fences, prose around the JSON, numbers as text) and fall back to an empty
result with confidence 0 rather than raising; confidences are clamped to [0, 1], non-numbers read 0.
The instructions insist on a *verbatim* transcription: vision models tend to "correct" a student's
mistakes while reading them (anchors.md §4), which would erase exactly what the classifier looks for.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

STEPS_TOOL = "extract_math_steps"
EXERCISES_TOOL = "extract_exercises"

STEPS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["latex_steps", "final_answer", "overall_confidence"],
    "properties": {
        "latex_steps": {"type": "array", "items": {"type": "string"}},
        "final_answer": {"type": "string"},
        "overall_confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "topic_hint": {"type": ["string", "null"]},
    },
}

EXERCISES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["exercises"],
    "properties": {
        "exercises": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["problem", "latex_steps", "final_answer", "overall_confidence"],
                "properties": {
                    "problem": {"type": "string"},
                    "latex_steps": {"type": "array", "items": {"type": "string"}},
                    "final_answer": {"type": "string"},
                    "overall_confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "topic_hint": {"type": ["string", "null"]},
                },
            },
        },
    },
}

_VERBATIM = (
    "Transcribe exactly what the student wrote, mistakes included: never correct a digit, a sign or a "
    "result, never complete a step the student left unfinished, and never add steps of your own. A "
    "wrong answer transcribed faithfully is the goal; a corrected answer is a failure.")

STEPS_SYSTEM_INSTRUCTION = (
    "You are an expert transcriber of handwritten mathematics from Chilean elementary school (grades 3 "
    "to 6). From a photo of a student's notebook, extract the student's step-by-step work as LaTeX, one "
    "entry per written step (a line, or one column operation of a vertical algorithm), in the order "
    "written, plus the final answer. " + _VERBATIM + " Give an overall_confidence between 0 and 1 for "
    "how sure you are that the transcription matches the photo, and an optional topic_hint in snake case "
    "(for example \"subtraction_borrow\"). When the photo holds no readable math, return empty "
    "latex_steps, an empty final_answer and confidence 0.")

STEPS_USER_INSTRUCTION = (
    "Extract the student's math steps from this photo as LaTeX, verbatim, with the final answer and "
    "your confidence.")

PAGE_SYSTEM_INSTRUCTION = (
    "You are an expert transcriber of handwritten mathematics from Chilean school worksheets. A photo may "
    "hold several exercises. For each exercise, in reading order, return the problem statement only "
    "(never the student's work) in `problem`, the student's steps as LaTeX in `latex_steps` (one entry "
    "per written step), the student's final answer, an overall_confidence between 0 and 1 and an optional "
    "topic_hint in snake case. " + _VERBATIM + " Return an empty list when no exercise is readable.")

PAGE_USER_INSTRUCTION = "Extract every exercise on this worksheet page with the student's work, verbatim."


@dataclass(frozen=True)
class Transcription:
    """One attempt's work as read from a photo (§4.6)."""

    latex_steps: tuple[str, ...]
    final_answer: str
    overall_confidence: float
    topic_hint: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.latex_steps and not self.final_answer

    @property
    def confidence(self) -> float:
        return self.overall_confidence


EMPTY_TRANSCRIPTION = Transcription((), "", 0.0, None)


@dataclass(frozen=True)
class PageTranscription:
    """The exercises of a worksheet page (§4.10)."""

    exercises: tuple[tuple[str, Transcription], ...]  # (problem statement, the student's work)

    @property
    def confidence(self) -> float:
        """Mean of the exercises' confidences (0 when there are none)."""
        if not self.exercises:
            return 0.0
        return sum(t.overall_confidence for _, t in self.exercises) / len(self.exercises)


EMPTY_PAGE = PageTranscription(())


def clamp_confidence(value: Any) -> float:
    """A confidence in [0, 1]; anything non-numeric (text, bools, NaN) reads 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    if math.isnan(number):
        return 0.0
    return min(max(number, 0.0), 1.0)


def json_object_from_text(text: str | None) -> dict[str, Any] | None:
    """The JSON object in a model's text: the whole text, a code-fenced block, or the first ``{…}`` span."""
    if not text:
        return None
    stripped = re.sub(r"^\s*```[a-zA-Z]*\s*|\s*```\s*$", "", text.strip())
    candidates = [stripped]
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start:end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def transcription_from(value: Any) -> Transcription:
    """A :class:`Transcription` from a parsed object; the empty one when ``value`` is unusable."""
    if not isinstance(value, dict):
        return EMPTY_TRANSCRIPTION
    steps = value.get("latex_steps")
    steps = tuple(s for s in (_text(step) for step in steps) if s) if isinstance(steps, list) else ()
    hint = value.get("topic_hint")
    return Transcription(steps, _text(value.get("final_answer")), clamp_confidence(value.get("overall_confidence")),
                         _text(hint) or None)


def page_from(value: Any) -> PageTranscription:
    """A :class:`PageTranscription` from a parsed object; the empty page when unusable."""
    if not isinstance(value, dict) or not isinstance(value.get("exercises"), list):
        return EMPTY_PAGE
    exercises = tuple((_text(item.get("problem")), transcription_from(item))
                      for item in value["exercises"] if isinstance(item, dict))
    return PageTranscription(tuple(e for e in exercises if not e[1].is_empty or e[0]))


@dataclass(frozen=True)
class ReadingKind:
    """What to read from a photo: the instructions, the output schema (and Claude's tool), the parser."""

    name: str
    tool: str
    system_instruction: str
    user_instruction: str
    schema: dict[str, Any]
    parse: Callable[[Any], Transcription | PageTranscription]
    empty: Transcription | PageTranscription
    claude_max_tokens: int


STEPS = ReadingKind("steps", STEPS_TOOL, STEPS_SYSTEM_INSTRUCTION, STEPS_USER_INSTRUCTION, STEPS_SCHEMA,
                    transcription_from, EMPTY_TRANSCRIPTION, claude_max_tokens=1024)
PAGE = ReadingKind("page", EXERCISES_TOOL, PAGE_SYSTEM_INSTRUCTION, PAGE_USER_INSTRUCTION, EXERCISES_SCHEMA,
                   page_from, EMPTY_PAGE, claude_max_tokens=4096)  # a page can hold a dozen exercises
