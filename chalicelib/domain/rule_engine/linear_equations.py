"""ALGEBRA_EQ_LINEAR (domain.md §1.7.10): ``a·x ± b = c`` read from the first step."""
from __future__ import annotations

from chalicelib.domain.rule_engine.classification import Classification, rule_result
from chalicelib.domain.rule_engine.column_arithmetic import approx
from chalicelib.domain.rule_engine.error_tags import ErrorTag as T
from chalicelib.domain.rule_engine.step_patterns import DIGITS, INT, WS, compile_pattern

# COEF (optional "-", zero or more digits) LETTER SIGN DIGITS "=" INT. See step_patterns for the
# look-behind: COEF never starts inside a digit run.
_EQUATION = compile_pattern(rf"(-?(?<!\d)\d*){WS}[A-Za-z]{WS}([+\-]){WS}({DIGITS}){WS}={WS}({INT})")

_SIGN_FLIP = rule_result(T.ALGEBRA_EQ_LINEAR_SIGN_FLIP_TRANSPOSE_G8, 0.90,
                         "moved the constant across without changing its sign")
_DIVIDES_ONE_TERM = rule_result(T.ALGEBRA_EQ_LINEAR_DIVIDES_ONE_TERM_G8, 0.85,
                                "divided only one term by the coefficient")


def detect_linear_equation(expected: float, student: float, operand_a: float | None,
                           operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """``2x + 3 = 11``: 7 → sign flip, 2.5 → divides one term. No parse (or a = 0) → UNCLASSIFIED."""
    match = _EQUATION.search(step) if step else None
    if match is None:
        return None
    coefficient_text, sign, constant_text, right_text = match.groups()
    if coefficient_text == "":
        a = 1.0
    elif coefficient_text == "-":
        a = -1.0
    else:
        a = float(coefficient_text)
    if a == 0:
        return None
    b = -float(constant_text) if sign == "-" else float(constant_text)
    c = float(right_text)
    sign_flipped = (c + b) / a
    if approx(student, sign_flipped) and not approx(sign_flipped, expected):
        return _SIGN_FLIP
    if abs(a) != 1:
        one_term_divided = c / a - b
        if approx(student, one_term_divided) and not approx(one_term_divided, expected):
            return _DIVIDES_ONE_TERM
    return None
