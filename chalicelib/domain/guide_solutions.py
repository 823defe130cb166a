"""The canonical solution document of a guide question (domain.md §5.3, api.md §4.8).

``{final_answer, points, steps[], alt_paths?[]}``; a step is ``{idx, latex, explanation_es?, rule?,
checkpoint, expected_error_tags?}``. Unknown keys are dropped (the stored document is the parsed,
stripped one). A solution is acceptable only when at least one step of the main path or of an
alternative path is a checkpoint: grading aligns student work against checkpoints.

Pure: pydantic is used as a parser, nothing here does I/O.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

_LIMIT_TEXT = 20_000  # characters of one LaTeX fragment: generous, but bounded
_LIMIT_STEPS = 200


class _Canonical(BaseModel):
    # strict: a JSON string "true" is not a boolean, 1.5 is not an index; extra keys are dropped.
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class SolutionStep(_Canonical):
    idx: int = Field(ge=0)
    latex: str = Field(min_length=1, max_length=_LIMIT_TEXT)
    explanation_es: str | None = Field(default=None, max_length=_LIMIT_TEXT)
    rule: str | None = Field(default=None, max_length=500)
    checkpoint: bool
    expected_error_tags: list[str] | None = Field(default=None, max_length=50)


class AlternativePath(_Canonical):
    label: str = Field(min_length=1, max_length=200)
    steps: list[SolutionStep] = Field(min_length=1, max_length=_LIMIT_STEPS)


class CanonicalSolution(_Canonical):
    final_answer: str = Field(min_length=1, max_length=_LIMIT_TEXT)
    points: int | float = Field(ge=0)
    steps: list[SolutionStep] = Field(min_length=1, max_length=_LIMIT_STEPS)
    alt_paths: list[AlternativePath] | None = Field(default=None, max_length=20)

    @property
    def has_checkpoint(self) -> bool:
        paths = [self.steps, *(path.steps for path in self.alt_paths or ())]
        return any(step.checkpoint for steps in paths for step in steps)

    def document(self) -> dict[str, Any]:
        """The stripped document to store (optional keys left out when absent)."""
        return self.model_dump(mode="json", exclude_none=True)


class InvalidSolution(ValueError):
    """The document breaks the canonical schema or has no checkpoint; ``message`` is for people."""


NO_CHECKPOINT = "Solution must contain at least one checkpoint step"


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "solution"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_solution(document: Any) -> CanonicalSolution:
    """The canonical solution in ``document``; :class:`InvalidSolution` when it is not acceptable."""
    try:
        solution = CanonicalSolution.model_validate(document)
    except ValidationError as exc:
        raise InvalidSolution(f"Invalid canonical solution: {_describe(exc)}") from None
    if not solution.has_checkpoint:
        raise InvalidSolution(NO_CHECKPOINT)
    return solution


def is_publishable(document: Any) -> bool:
    """True when ``document`` (e.g. a stored ``steps_json``) is an acceptable canonical solution."""
    try:
        parse_solution(document)
    except InvalidSolution:
        return False
    return True
