"""Decimal strategies (domain.md §1.7.8): DEC_ADD, DEC_SUB, DEC_MUL, DEC_DIV (approximate correctness).

Operands come only from ``DEC OP DEC`` in the first step (operand fields are ignored); the literal
texts matter (``2,50`` has two decimals). No parse → UNCLASSIFIED.
"""
from __future__ import annotations

from chalicelib.domain.rule_engine.classification import Classification, rule_result
from chalicelib.domain.rule_engine.column_arithmetic import (
    approx,
    is_decimal_power_of_ten,
    power,
    power_of_ten_exponent,
)
from chalicelib.domain.rule_engine.error_tags import ErrorTag as T
from chalicelib.domain.rule_engine.number_text import literal_decimals, literal_digits_integer, literal_value
from chalicelib.domain.rule_engine.step_patterns import (
    DEC,
    DIVIDED_BY,
    LEADING_DEC,
    TIMES,
    WS,
    compile_pattern,
)


def _decimal_pair(operators: str):
    return compile_pattern(rf"({LEADING_DEC}){WS}[{operators}]{WS}({DEC})")


_SUM = _decimal_pair("+")
_DIFFERENCE = _decimal_pair(r"\-")
_PRODUCT = _decimal_pair(TIMES)
_QUOTIENT = _decimal_pair(DIVIDED_BY)

_ADD_RIGHT_ALIGNED = rule_result(T.DEC_ADD_RIGHT_ALIGNED_LIKE_INTEGERS_G5, 0.90,
                                 "added the digits right-aligned like integers, ignoring the points")
_SUB_MISALIGNED = rule_result(T.DEC_SUB_MISALIGNED_POINTS_G5, 0.90,
                              "subtracted the digits right-aligned like integers, ignoring the points")
_MUL_WRONG_DIRECTION = rule_result(T.DEC_MUL_BY_POWER_TEN_POINT_WRONG_DIRECTION_G6, 0.88,
                                   "multiplying by a power of ten moved the point the wrong way")
_MUL_POINT_PLACEMENT = rule_result(T.DEC_MUL_POINT_PLACEMENT_ERROR_G6, 0.90,
                                   "right digits, decimal point in the wrong place")
_DIV_NOT_SHIFTED = rule_result(T.DEC_DIV_DIVISOR_DECIMAL_NOT_SHIFTED_G6, 0.90,
                               "did not shift the divisor's decimal point")
_DIV_POINT_IGNORED = rule_result(T.DEC_DIV_POINT_IGNORED_G6, 0.85,
                                 "right digits, decimal point ignored in the division")


def _literals(step: str, pattern) -> tuple[str, str] | None:
    match = pattern.search(step) if step else None
    return (match.group(1), match.group(2)) if match is not None else None


def _digits_as_integers(expected: float, student: float, step: str, pattern, subtract: bool) -> bool:
    """DEC_ADD / DEC_SUB's single rule: both literals' digits combined as integers, scaled by 10^k."""
    literals = _literals(step, pattern)
    if literals is None:
        return False
    left, right = literals
    left_decimals, right_decimals = literal_decimals(left), literal_decimals(right)
    k = max(left_decimals, right_decimals)
    if k > 0 and left_decimals != right_decimals:
        left_digits, right_digits = literal_digits_integer(left), literal_digits_integer(right)
        combined = left_digits - right_digits if subtract else left_digits + right_digits
        aligned_like_integers = combined / power(10.0, k)
        return approx(student, aligned_like_integers) and not approx(aligned_like_integers, expected)
    return False


def detect_decimal_sum(expected: float, student: float, operand_a: float | None, operand_b: float | None,
                       step: str, has_steps: bool) -> Classification | None:
    """DEC_ADD: ``2,5 + 1,25`` answered 1.5 (25 + 125 = 150 → 1.50)."""
    if _digits_as_integers(expected, student, step, _SUM, subtract=False):
        return _ADD_RIGHT_ALIGNED
    return None


def detect_decimal_difference(expected: float, student: float, operand_a: float | None,
                              operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """DEC_SUB: ``5,25 - 1,5`` answered 5.1 (525 − 15 = 510 → 5.10)."""
    if _digits_as_integers(expected, student, step, _DIFFERENCE, subtract=True):
        return _SUB_MISALIGNED
    return None


def detect_decimal_product(expected: float, student: float, operand_a: float | None,
                           operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """DEC_MUL: the answer is the expected one shifted by a power of ten."""
    literals = _literals(step, _PRODUCT)
    if literals is None or approx(expected, 0.0) or approx(student, 0.0):
        return None
    if power_of_ten_exponent(student / expected) is None:
        return None
    left, right = literals
    if is_decimal_power_of_ten(literal_value(left)) or is_decimal_power_of_ten(literal_value(right)):
        return _MUL_WRONG_DIRECTION
    return _MUL_POINT_PLACEMENT


def detect_decimal_quotient(expected: float, student: float, operand_a: float | None,
                            operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """DEC_DIV: divisor's point not shifted, or the answer shifted by a power of ten."""
    literals = _literals(step, _QUOTIENT)
    if literals is None or approx(expected, 0.0) or approx(student, 0.0):
        return None
    divisor_decimals = literal_decimals(literals[1])
    if divisor_decimals > 0 and approx(student, expected / power(10.0, divisor_decimals)):
        return _DIV_NOT_SHIFTED
    if power_of_ten_exponent(student / expected) is not None:
        return _DIV_POINT_IGNORED
    return None
