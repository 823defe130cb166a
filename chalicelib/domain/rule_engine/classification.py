"""The engine's output value (domain.md §1.3) and the reading of its input record (§1.2)."""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.rule_engine.error_tags import ErrorTag

_FIELDS = ("error_tag", "is_correct", "confidence", "evidence")


@dataclass(frozen=True, slots=True)
class Classification:
    """What the engine says about one attempt.

    ``is_correct`` is true only for ``CORRECT``; ``confidence`` is fixed per rule (1.0 for ``CORRECT``,
    0.0 for ``UNCLASSIFIED``). ``evidence`` is a non-normative human-readable explanation.
    Readable as attributes or as a mapping (``result["error_tag"]``, ``dict(result)``) so fidelity
    data written against the ``{error_tag, is_correct, confidence}`` shape can use it directly.
    """

    error_tag: str
    is_correct: bool
    confidence: float
    evidence: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        if key in _FIELDS:
            return getattr(self, key)
        raise KeyError(key)

    def keys(self) -> tuple[str, ...]:
        return _FIELDS

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELDS)

    def to_dict(self) -> dict[str, Any]:
        return {"error_tag": self.error_tag, "is_correct": self.is_correct,
                "confidence": self.confidence, "evidence": list(self.evidence)}

    @property
    def is_unclassified(self) -> bool:
        """True when the LLM classifier has to finish the job."""
        return self.error_tag == ErrorTag.UNCLASSIFIED.value

    @property
    def classifier_source(self) -> str:
        """The attempt's ``classifier_source`` (§1.3): ``LLM`` when unclassified, else ``RULE``."""
        return "LLM" if self.is_unclassified else "RULE"

    @property
    def attempt_status(self) -> str:
        """The attempt's ``status`` (§1.3): ``PENDING`` when unclassified, else ``CLASSIFIED``."""
        return "PENDING" if self.is_unclassified else "CLASSIFIED"


def rule_result(tag: ErrorTag, confidence: float, evidence: str) -> Classification:
    """A rule's fixed verdict. Built once at import: the hot path never allocates results."""
    return Classification(tag.value, False, confidence, (evidence,))


CORRECT_RESULT = Classification(ErrorTag.CORRECT.value, True, 1.0, ("the answer is right",))
UNCLASSIFIED_RESULT = Classification(ErrorTag.UNCLASSIFIED.value, False, 0.0)


_INT_FAST_LIMIT = 2**53


class InvalidAttempt(ValueError):
    """The attempt record lacks a required field or carries a non-numeric / non-finite number."""


def _optional_number(attempt: Mapping[str, Any], field: str) -> float | None:
    value = attempt.get(field)
    if value is None:
        return None
    value_type = type(value)
    if value_type is int and -_INT_FAST_LIMIT < value < _INT_FAST_LIMIT:  # usual JSON numbers first
        return float(value)
    if value_type is float and math.isfinite(value):
        return value
    # bool is an int subclass; a true/false answer is a client bug, not the number 1/0.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidAttempt(f"{field} must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise InvalidAttempt(f"{field} is out of the double range") from None
    if not math.isfinite(number):
        raise InvalidAttempt(f"{field} must be finite")
    return number


def _required_number(attempt: Mapping[str, Any], field: str) -> float:
    number = _optional_number(attempt, field)
    if number is None:
        raise InvalidAttempt(f"{field} is required")
    return number


def _first_step_expression(steps: Any) -> str:
    """``steps[0].expression`` or "" — no other step is ever read by the rules."""
    first = steps[0]
    if type(first) is dict or isinstance(first, Mapping):
        expression = first.get("expression")
    else:  # a typed step object (e.g. the API's request model)
        expression = getattr(first, "expression", None)
    return expression if isinstance(expression, str) else ""


def read_attempt(attempt: Mapping[str, Any]) -> tuple[float, float, float | None, float | None, str, bool]:
    """(expected, student, operand_a, operand_b, first step, steps non-empty) of an attempt record.

    Absent and ``null`` fields are the same thing: "not provided" (domain.md §1.2). Numbers become
    doubles, as they are on the wire.
    """
    expected = _required_number(attempt, "expected_answer")
    student = _required_number(attempt, "student_answer")
    operand_a = _optional_number(attempt, "operand_a")
    operand_b = _optional_number(attempt, "operand_b")
    steps = attempt.get("steps")
    if steps:
        return expected, student, operand_a, operand_b, _first_step_expression(steps), True
    return expected, student, operand_a, operand_b, "", False
