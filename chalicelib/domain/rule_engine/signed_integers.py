"""Signed-integer strategies (domain.md §1.7.7): INT_ADD, INT_SUB, INT_MUL (strict correctness).

Operands come from ``[(] INT [)] OP [(] INT [)]`` in the first step, else from both operand fields;
without operands nothing is explained (→ UNCLASSIFIED). "Negative" means strictly below 0.
"""
from __future__ import annotations

from chalicelib.domain.rule_engine.classification import Classification, rule_result
from chalicelib.domain.rule_engine.error_tags import ErrorTag as T
from chalicelib.domain.rule_engine.step_patterns import (
    INT,
    LEADING_INT,
    TIMES,
    WS,
    compile_pattern,
    first_operand_pair,
)


def _signed_pair(operators: str):
    return compile_pattern(rf"\(?{WS}({LEADING_INT}){WS}\)?{WS}[{operators}]{WS}\(?{WS}({INT}){WS}\)?")


_SUM = _signed_pair("+")
_DIFFERENCE = _signed_pair(r"\-")
_PRODUCT = _signed_pair(TIMES)

_ADD_SAME_SIGN = rule_result(T.INT_ADD_SAME_SIGN_SUBTRACTS_G7, 0.90,
                             "same signs: subtracted the magnitudes instead of adding them")
_ADD_DIFF_SIGN = rule_result(T.INT_ADD_DIFF_SIGN_ADDS_MAGNITUDES_G7, 0.88,
                             "different signs: added the magnitudes")
_ADD_WRONG_SIGN = rule_result(T.INT_ADD_KEEPS_WRONG_SIGN_G7, 0.82, "right magnitude, wrong sign")
_SUB_DOUBLE_NEGATIVE = rule_result(T.INT_SUB_DOUBLE_NEGATIVE_NOT_APPLIED_G7, 0.90,
                                   "subtracting a negative treated as subtracting its magnitude")
_SUB_AS_ADD = rule_result(T.INT_SUB_AS_ADD_SIGN_ERROR_G7, 0.85, "added instead of subtracting")
_MUL_NEG_NEG = rule_result(T.INT_SIGN_NEG_TIMES_NEG_IS_NEG_G7, 0.90, "negative × negative taken as negative")
_MUL_NEG_POS = rule_result(T.INT_SIGN_NEG_TIMES_POS_IS_POS_G7, 0.90, "negative × positive taken as positive")


def detect_signed_sum(expected: float, student: float, operand_a: float | None, operand_b: float | None,
                      step: str, has_steps: bool) -> Classification | None:
    """INT_ADD."""
    operands = first_operand_pair(step, _SUM, operand_a, operand_b)
    if operands is None:
        return None
    a, b = operands
    a_negative, b_negative = a < 0, b < 0
    if a != 0 and b != 0 and a_negative == b_negative:  # same sign
        subtracted = (1.0 if a > 0 else -1.0) * abs(abs(a) - abs(b))
        if student == subtracted and subtracted != expected:
            return _ADD_SAME_SIGN
    if a_negative != b_negative:  # different signs (zero counts as non-negative)
        magnitudes = abs(a) + abs(b)
        if (student == magnitudes or student == -magnitudes) and abs(student) != abs(expected):
            return _ADD_DIFF_SIGN
        if student == -expected and expected != 0:
            return _ADD_WRONG_SIGN
    return None


def detect_signed_difference(expected: float, student: float, operand_a: float | None,
                             operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """INT_SUB."""
    operands = first_operand_pair(step, _DIFFERENCE, operand_a, operand_b)
    if operands is None:
        return None
    a, b = operands
    if b < 0:
        magnitude_subtracted = a - abs(b)
        if student == magnitude_subtracted and magnitude_subtracted != expected:
            return _SUB_DOUBLE_NEGATIVE
    if b > 0 and student == a + b and a + b != expected:
        return _SUB_AS_ADD
    return None


def detect_signed_product(expected: float, student: float, operand_a: float | None,
                          operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """INT_MUL."""
    operands = first_operand_pair(step, _PRODUCT, operand_a, operand_b)
    if operands is None:
        return None
    a, b = operands
    magnitude = abs(a * b)
    if a < 0 and b < 0 and student == -magnitude and expected > 0:
        return _MUL_NEG_NEG
    if (a < 0) != (b < 0) and student == magnitude and expected < 0:
        return _MUL_NEG_POS
    return None
