"""Pure parts of the reprocess use case: the student answer read from OCR steps, raw steps."""
from __future__ import annotations

import pytest

from chalicelib.services.attempt_reprocess import raw_steps, student_answer


@pytest.mark.parametrize(("last_step", "answer"), [
    ("27", 27.0), ("= 27", 27.0), ("x = -3.5", -3.5), (".5", 0.5), ("5.", 5.0), ("1.2.3", 1.2),
    ("3-2", 3.0),  # parseFloat stops at the second sign
    ("--5", 0.0), ("-", 0.0), ("", 0.0), ("abc", 0.0),
    ("\\frac{1}{2}", 12.0),  # digits of a LaTeX fraction run together, as the reference did
    ("٣", 0.0),  # only ASCII digits count
])
def test_student_answer_reads_the_last_step_like_parse_float(last_step, answer):
    assert student_answer(["12 - 5", last_step]) == answer


def test_no_steps_is_zero():
    assert student_answer([]) == 0.0


def test_raw_steps_mark_only_the_last_one_final():
    assert [(s.expression, s.isFinal) for s in raw_steps(["a", "b", "c"])] == [("a", False), ("b", False), ("c", True)]
    assert raw_steps([]) == []
