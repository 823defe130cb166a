"""The canonical solution schema (domain.md §5.3): rules, stripping of unknown keys, checkpoints."""
from __future__ import annotations

import pytest

from chalicelib.domain.guide_solutions import InvalidSolution, is_publishable, parse_solution

STEP = {"idx": 0, "latex": "12 - 5", "checkpoint": True}


def solution(**overrides):
    return {"final_answer": "7", "points": 1, "steps": [STEP], **overrides}


def test_a_valid_solution_is_stored_stripped_of_unknown_keys():
    parsed = parse_solution(solution(
        comment="dropped", steps=[{**STEP, "explanation_es": "resta", "rule": "borrow", "colour": "red",
                                   "expected_error_tags": ["SUB_BORROW"]}],
        alt_paths=[{"label": "otra", "steps": [{"idx": 0, "latex": "7", "checkpoint": False}], "x": 1}]))
    assert parsed.document() == {
        "final_answer": "7", "points": 1,
        "steps": [{"idx": 0, "latex": "12 - 5", "explanation_es": "resta", "rule": "borrow", "checkpoint": True,
                   "expected_error_tags": ["SUB_BORROW"]}],
        "alt_paths": [{"label": "otra", "steps": [{"idx": 0, "latex": "7", "checkpoint": False}]}]}


@pytest.mark.parametrize("document,where", [
    (solution(final_answer=""), "final_answer"),
    (solution(points=-1), "points"),
    (solution(points="1"), "points"),
    (solution(steps=[]), "steps"),
    (solution(steps=[{**STEP, "idx": -1}]), "steps.0.idx"),
    (solution(steps=[{**STEP, "idx": 1.5}]), "steps.0.idx"),
    (solution(steps=[{**STEP, "latex": ""}]), "steps.0.latex"),
    (solution(steps=[{"idx": 0, "latex": "x"}]), "steps.0.checkpoint"),
    (solution(steps=[{**STEP, "checkpoint": "true"}]), "steps.0.checkpoint"),
    (solution(alt_paths=[{"label": "", "steps": [STEP]}]), "alt_paths.0.label"),
    (solution(alt_paths=[{"label": "b", "steps": []}]), "alt_paths.0.steps"),
    ({"points": 1, "steps": [STEP]}, "final_answer"),
    ("not an object", "solution"),
])
def test_schema_failures_name_the_field(document, where):
    with pytest.raises(InvalidSolution) as caught:
        parse_solution(document)
    assert str(caught.value).startswith("Invalid canonical solution: ")
    assert where in str(caught.value)
    assert not is_publishable(document)


def test_a_solution_needs_a_checkpoint_in_some_path():
    no_checkpoint = {**STEP, "checkpoint": False}
    with pytest.raises(InvalidSolution, match="^Solution must contain at least one checkpoint step$"):
        parse_solution(solution(steps=[no_checkpoint]))
    assert is_publishable(solution(steps=[no_checkpoint], alt_paths=[{"label": "b", "steps": [STEP]}]))
    assert not is_publishable(None)
