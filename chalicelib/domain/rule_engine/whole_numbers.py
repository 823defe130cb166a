"""Whole-number strategies (domain.md §1.7.1–§1.7.4): ARITH_SUB, ARITH_ADD, ARITH_MUL, ARITH_DIV.

Each ``detect_*`` function runs after the strategy's correctness check (strict ``S == E``) and
returns the first rule that matches, in the spec's order, or None (→ ``UNCLASSIFIED``).
"""
from __future__ import annotations

import math

from chalicelib.domain.rule_engine.classification import Classification, rule_result
from chalicelib.domain.rule_engine.column_arithmetic import (
    hundreds,
    is_whole_power_of_ten,
    no_borrow_difference,
    no_carry_sum,
    tens,
    transposed,
    units,
)
from chalicelib.domain.rule_engine.error_tags import ErrorTag as T
from chalicelib.domain.rule_engine.number_text import canonical_text
from chalicelib.domain.rule_engine.step_patterns import (
    DIVIDED_BY,
    INT,
    LEADING_INT,
    TIMES,
    WS,
    compile_pattern,
    first_operand_pair,
)

# --- ARITH_SUB -------------------------------------------------------------------------------------
_SUB_SWAPPED = rule_result(T.ARITH_SUB_MINUEND_SUBTRAHEND_SWAPPED_G3, 0.95,
                           "subtrahend larger than minuend and the answer is subtrahend − minuend")
_SUB_NO_BORROW_TENS = rule_result(T.ARITH_SUB_BORROW_OMITTED_TENS_G3, 0.93,
                                  "answer equals the column-wise difference without borrowing")
_SUB_NO_BORROW_HUNDREDS = rule_result(T.ARITH_SUB_BORROW_OMITTED_HUNDREDS_G3, 0.91,
                                      "no borrow at the hundreds column (column-wise difference)")
_SUB_BORROW_FROM_ZERO = rule_result(T.ARITH_SUB_BORROW_FROM_ZERO_G3, 0.87,
                                    "a borrow has to pass through a zero in the tens place")
_SUB_PROPAGATION_STOP = rule_result(T.ARITH_SUB_BORROW_PROPAGATION_STOP_G3, 0.82,
                                    "the minuend has a run of zeros the borrow must cross")
_SUB_TRANSPOSITION = rule_result(T.ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.88,
                                 "right digits in another order")
_SUB_PLACE_VALUE = rule_result(T.ARITH_TRANSV_PLACE_VALUE_ERROR, 0.85, "answer off by a factor of ten")
_SUB_FACT = rule_result(T.ARITH_TRANSV_FACT_ERROR, 0.65, "answer within 2 of the expected one")


def detect_subtraction(expected: float, student: float, operand_a: float | None, operand_b: float | None,
                       step: str, has_steps: bool) -> Classification | None:
    """ARITH_SUB (§1.7.1): m = operand_a, s = operand_b (0 when not provided)."""
    m = 0.0 if operand_a is None else operand_a
    s = 0.0 if operand_b is None else operand_b
    if s > m and student == s - m:
        return _SUB_SWAPPED
    units_m, units_s, tens_m = units(m), units(s), tens(m)
    # Conditions inside a rule are pure, so the cheap ones go first and nb is computed only if needed.
    if units_s > units_m and tens_m > 0:
        column_difference = no_borrow_difference(m, s)
        if student == column_difference and column_difference != expected:
            return _SUB_NO_BORROW_TENS
    if tens_m == 0 and hundreds(s) > hundreds(m) and student == no_borrow_difference(m, s):
        return _SUB_NO_BORROW_HUNDREDS
    if tens_m == 0 and hundreds(m) > 0 and units_s > units_m:  # the answer is not inspected
        return _SUB_BORROW_FROM_ZERO
    if has_steps and canonical_text(m).count("0") >= 2:  # the answer is not inspected
        return _SUB_PROPAGATION_STOP
    if transposed(student, expected):
        return _SUB_TRANSPOSITION
    if student == 10 * expected or 10 * student == expected or student == math.floor(expected / 10):
        return _SUB_PLACE_VALUE
    if abs(student - expected) <= 2:
        return _SUB_FACT
    return None


# --- ARITH_ADD -------------------------------------------------------------------------------------
_ADD_CARRY_OMITTED = rule_result(T.ARITH_ADD_CARRY_OMITTED_G3, 0.93,
                                 "answer equals the column-wise sum without carrying")
_ADD_CARRY_WRONG_COLUMN = rule_result(T.ARITH_ADD_CARRY_WRONG_COLUMN_G3, 0.87,
                                      "answer differs from the carry-less sum by exactly 10 or 100")
_ADD_TRANSPOSITION = rule_result(T.ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.88, "right digits in another order")
_ADD_FACT = rule_result(T.ARITH_TRANSV_FACT_ERROR, 0.65, "answer within 2 of the expected one")


def detect_addition(expected: float, student: float, operand_a: float | None, operand_b: float | None,
                    step: str, has_steps: bool) -> Classification | None:
    """ARITH_ADD (§1.7.2): a, b = the operand fields (0 when not provided). No place-value rule."""
    a = 0.0 if operand_a is None else operand_a
    b = 0.0 if operand_b is None else operand_b
    if units(a) + units(b) >= 10:  # both carry rules need a carry out of the units column
        column_sum = no_carry_sum(a, b)
        if student == column_sum and column_sum != expected:
            return _ADD_CARRY_OMITTED
        off_by = abs(student - column_sum)
        if off_by == 10 or off_by == 100:
            return _ADD_CARRY_WRONG_COLUMN
    if transposed(student, expected):
        return _ADD_TRANSPOSITION
    if abs(student - expected) <= 2:
        return _ADD_FACT
    return None


# --- ARITH_MUL -------------------------------------------------------------------------------------
_MUL_OPERANDS = compile_pattern(rf"({LEADING_INT}){WS}[{TIMES}]{WS}({INT})")

_MUL_ZERO = rule_result(T.ARITH_MUL_ZERO_TIMES_N_EQUALS_N_G3, 0.90, "treated n × 0 as n")
_MUL_ADDED = rule_result(T.ARITH_MUL_ADD_INSTEAD_G3, 0.92, "added the factors instead of multiplying")
_MUL_POWER_OF_TEN = rule_result(T.ARITH_MUL_BY_POWER_OF_TEN_NO_ZEROS_G4, 0.90,
                                "multiplied by a power of ten without appending the zeros")
_MUL_TABLE = rule_result(T.ARITH_MUL_TABLE_RECALL_ERROR_G3, 0.80,
                         "times-table answer off by one factor (neighbouring table fact)")
_MUL_NOT_SHIFTED = rule_result(T.ARITH_MUL_PARTIAL_NOT_SHIFTED_G5, 0.85,
                               "second partial product added without shifting it a column")
_MUL_CORRESPONDING = rule_result(T.ARITH_MUL_ONLY_CORRESPONDING_DIGITS_G5, 0.78,
                                 "multiplied only corresponding digits (tens×tens, units×units)")
_MUL_TRANSPOSITION = rule_result(T.ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.85, "right digits in another order")
_MUL_PLACE_VALUE = rule_result(T.ARITH_TRANSV_PLACE_VALUE_ERROR, 0.82, "answer off by a factor of ten")
_MUL_FACT = rule_result(T.ARITH_TRANSV_FACT_ERROR, 0.60, "answer within 2 of the expected one")


def detect_multiplication(expected: float, student: float, operand_a: float | None,
                          operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """ARITH_MUL (§1.7.3): factors from ``INT × INT`` in the first step, else both operand fields."""
    operands = first_operand_pair(step, _MUL_OPERANDS, operand_a, operand_b)
    if operands is not None:
        a, b = operands
        if (a == 0 or b == 0) and student == (b if a == 0 else a) and student != 0:
            return _MUL_ZERO
        if student == a + b and a + b != a * b:
            return _MUL_ADDED
        a_is_power = is_whole_power_of_ten(a)
        if a_is_power or is_whole_power_of_ten(b):
            if student == (b if a_is_power else a):
                return _MUL_POWER_OF_TEN
        if 0 < a < 10 and 0 < b < 10:
            off_by = abs(student - expected)
            if off_by == a or off_by == b:
                return _MUL_TABLE
        if b >= 10:
            not_shifted = a * units(b) + a * tens(b)
            if student == not_shifted and not_shifted != expected:
                return _MUL_NOT_SHIFTED
        if a >= 10 and b >= 10:
            corresponding = tens(a) * tens(b) * 100 + units(a) * units(b)
            if student == corresponding and corresponding != expected:
                return _MUL_CORRESPONDING
    if transposed(student, expected):
        return _MUL_TRANSPOSITION
    if expected != 0 and (student == 10 * expected or 10 * student == expected):
        return _MUL_PLACE_VALUE
    if abs(student - expected) <= 2:
        return _MUL_FACT
    return None


# --- ARITH_DIV -------------------------------------------------------------------------------------
_DIV_OPERANDS = compile_pattern(rf"({LEADING_INT}){WS}[{DIVIDED_BY}]{WS}({INT})")
_DIGIT_BEFORE_ZERO = compile_pattern(r"\d0")
_LEADING_INTEGER = compile_pattern(r"-?\d+")

_DIV_SWAPPED = rule_result(T.ARITH_DIV_DIVISOR_DIVIDEND_SWAPPED_G4, 0.86,
                           "divided the divisor by the dividend")
_DIV_ZERO_SKIPPED = rule_result(T.ARITH_DIV_QUOTIENT_ZERO_SKIPPED_G5, 0.85,
                                "left out a zero digit of the quotient")
_DIV_TOO_LARGE = rule_result(T.ARITH_DIV_PARTIAL_QUOTIENT_TOO_LARGE_G5, 0.78, "quotient one too large")
_DIV_REMAINDER = rule_result(T.ARITH_DIV_REMAINDER_GE_DIVISOR_G4, 0.75,
                             "quotient one too small (remainder left ≥ divisor)")
_DIV_TRANSPOSITION = rule_result(T.ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.85, "right digits in another order")
_DIV_PLACE_VALUE = rule_result(T.ARITH_TRANSV_PLACE_VALUE_ERROR, 0.80, "answer off by a factor of ten")


def _quotient_without_zeros(expected: float) -> float | None:
    """Rule 2's ``w``: E's text with every 0 removed, read as a leading integer (None: not readable)."""
    text = canonical_text(expected)
    if len(text) < 2 or _DIGIT_BEFORE_ZERO.search(text) is None:
        return None
    match = _LEADING_INTEGER.match(text.replace("0", ""))
    return float(match.group()) if match else None


def detect_division(expected: float, student: float, operand_a: float | None, operand_b: float | None,
                    step: str, has_steps: bool) -> Classification | None:
    """ARITH_DIV (§1.7.4): dividend/divisor from ``INT : INT`` in the first step, else the fields.

    Rules 1–4 run only when there are operands (even the ones that do not use them); no fact rule.
    """
    operands = first_operand_pair(step, _DIV_OPERANDS, operand_a, operand_b)
    if operands is not None:
        dividend, divisor = operands
        if dividend > 0 and divisor > 0 and student == math.floor(divisor / dividend) and student != expected:
            return _DIV_SWAPPED
        without_zeros = _quotient_without_zeros(expected)
        if without_zeros is not None and student == without_zeros:
            return _DIV_ZERO_SKIPPED
        if student == expected + 1:
            return _DIV_TOO_LARGE
        if student == expected - 1:
            return _DIV_REMAINDER
    if transposed(student, expected):
        return _DIV_TRANSPOSITION
    if expected != 0 and (student == 10 * expected or 10 * student == expected):
        return _DIV_PLACE_VALUE
    return None
