"""Powers and roots (domain.md §1.7.11): POW_POWER and POW_ROOT (approximate correctness)."""
from __future__ import annotations

import math

from chalicelib.domain.rule_engine.classification import Classification, rule_result
from chalicelib.domain.rule_engine.column_arithmetic import approx, power
from chalicelib.domain.rule_engine.error_tags import ErrorTag as T
from chalicelib.domain.rule_engine.step_patterns import DIGITS, LEADING_DIGITS, WS, compile_pattern

# BASE' must repeat BASE's digit string (back-reference), so these two keep the plain leading DIGITS.
_PRODUCT_OF_POWERS = compile_pattern(rf"({DIGITS}){WS}\^{WS}({DIGITS}){WS}[•×x*]{WS}\1{WS}\^{WS}({DIGITS})")
_QUOTIENT_OF_POWERS = compile_pattern(rf"({DIGITS}){WS}\^{WS}({DIGITS}){WS}[:÷]{WS}\1{WS}\^{WS}({DIGITS})")
_POWER_OF_POWER = compile_pattern(rf"\({WS}({DIGITS}){WS}\^{WS}({DIGITS}){WS}\){WS}\^{WS}({DIGITS})")
_ZERO_EXPONENT = compile_pattern(rf"{LEADING_DIGITS}{WS}\^{WS}0(?!\d)")
_ROOT_OF_SUM = compile_pattern(rf"√{WS}\({WS}({DIGITS}){WS}\+{WS}({DIGITS}){WS}\)")
_ROOT = compile_pattern(rf"√{WS}({DIGITS})")

_PRODUCT_MULTIPLIES = rule_result(T.POW_POWER_PRODUCT_MULTIPLIES_EXPONENTS_G8, 0.90,
                                  "multiplied the exponents of a product of powers")
_POWER_ADDS = rule_result(T.POW_POWER_OF_POWER_ADDS_EXPONENTS_G8, 0.90,
                          "added the exponents of a power of a power")
_QUOTIENT_DIVIDES = rule_result(T.POW_POWER_QUOTIENT_DIVIDES_EXPONENTS_G8, 0.88,
                                "divided the exponents of a quotient of powers")
_ZERO_IS_ZERO = rule_result(T.POW_POWER_ZERO_EXPONENT_EQUALS_ZERO_G8, 0.92, "took n^0 as 0")
_ROOT_DISTRIBUTES = rule_result(T.POW_ROOT_OF_SUM_DISTRIBUTES_G9, 0.90, "took √(x + y) as √x + √y")
_ROOT_HALVES = rule_result(T.POW_ROOT_SQUARE_ROOT_HALVES_RADICAND_G8, 0.88, "took √x as x / 2")


def _three_numbers(step: str, pattern) -> tuple[float, float, float] | None:
    match = pattern.search(step)
    if match is None:
        return None
    base, m, n = match.groups()
    return float(base), float(m), float(n)


def _explains(student: float, expected: float, wrong_value: float) -> bool:
    return approx(student, wrong_value) and not approx(wrong_value, expected)


def detect_exponent_law(expected: float, student: float, operand_a: float | None,
                        operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """POW_POWER: each rule searches its own pattern; the first whose condition holds wins."""
    if not step:
        return None
    numbers = _three_numbers(step, _PRODUCT_OF_POWERS)
    if numbers is not None and _explains(student, expected, power(numbers[0], numbers[1] * numbers[2])):
        return _PRODUCT_MULTIPLIES
    numbers = _three_numbers(step, _POWER_OF_POWER)
    if numbers is not None and _explains(student, expected, power(numbers[0], numbers[1] + numbers[2])):
        return _POWER_ADDS
    numbers = _three_numbers(step, _QUOTIENT_OF_POWERS)
    # N = 0 leaves BASE^(M/N) undefined: the rule cannot explain anything then.
    if numbers is not None and numbers[2] != 0:
        if _explains(student, expected, power(numbers[0], numbers[1] / numbers[2])):
            return _QUOTIENT_DIVIDES
    if _ZERO_EXPONENT.search(step) is not None and approx(student, 0.0) and approx(expected, 1.0):
        return _ZERO_IS_ZERO
    return None


def detect_square_root(expected: float, student: float, operand_a: float | None,
                       operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """POW_ROOT: √ of a sum distributed, or √x taken as x / 2."""
    if not step:
        return None
    match = _ROOT_OF_SUM.search(step)
    if match is not None:
        distributed = math.sqrt(float(match.group(1))) + math.sqrt(float(match.group(2)))
        if _explains(student, expected, distributed):
            return _ROOT_DISTRIBUTES
    match = _ROOT.search(step)
    if match is not None and _explains(student, expected, float(match.group(1)) / 2):
        return _ROOT_HALVES
    return None
