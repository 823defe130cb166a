"""Fraction strategies (domain.md §1.7.5–§1.7.6): FRACT_ADDSUB, FRACT_MUL, FRACT_DIV.

Answers are decimal values (8/15 arrives as 0.5333…); the fractions themselves are read from the
first step. FRACT_ADDSUB compares strictly, FRACT_MUL / FRACT_DIV approximately.
"""
from __future__ import annotations

from chalicelib.domain.rule_engine.classification import Classification, rule_result
from chalicelib.domain.rule_engine.column_arithmetic import approx
from chalicelib.domain.rule_engine.error_tags import ErrorTag as T
from chalicelib.domain.rule_engine.number_text import canonical_text
from chalicelib.domain.rule_engine.step_patterns import (
    DIGITS,
    INT,
    LEADING_DIGITS,
    LEADING_INT,
    TIMES,
    WS,
    compile_pattern,
)

# --- FRACT_ADDSUB ----------------------------------------------------------------------------------
# n1/d1 ± n2/d2: unsigned numbers, no spaces around "/".
_SAME_DENOMINATOR_TERMS = compile_pattern(rf"({LEADING_DIGITS})/({DIGITS}){WS}[+\-]{WS}({DIGITS})/({DIGITS})")
_FRACTION_TEXT = compile_pattern(rf"({INT})/({DIGITS})")
_MIXED_NUMBER = compile_pattern(rf"({INT})\s+({DIGITS})/({DIGITS})")

_ADDSUB_SUMMED_BOTH = rule_result(T.FRACT_ADDSUB_SUM_NUMERATOR_AND_DENOMINATOR_G5, 0.90,
                                  "added numerators and denominators (answer = n1 + n2)")
_ADDSUB_NOT_REDUCED = rule_result(T.FRACT_ADDSUB_IMPROPER_NOT_REDUCED_G5, 0.82,
                                  "answer is a whole multiple (> 1) of the expected value")
_ADDSUB_INVERTED = rule_result(T.FRACT_ADDSUB_INVERTED_FRACTION_G5, 0.85, "answered the denominator")
_ADDSUB_WHOLE_LOST = rule_result(T.FRACT_ADDSUB_WHOLE_NUMBER_LOST_G5, 0.88,
                                 "mixed number turned into w·d + n, losing the whole part")
_ADDSUB_FACT = rule_result(T.ARITH_TRANSV_FACT_ERROR, 0.65, "answer within 1 of the expected one")


def detect_same_denominator(expected: float, student: float, operand_a: float | None,
                            operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """FRACT_ADDSUB (§1.7.5). Operand fields are not used."""
    terms = _SAME_DENOMINATOR_TERMS.search(step) if step else None
    if terms is not None:
        n1, d1, n2, d2 = (float(group) for group in terms.groups())
        # The numerators are *added* even for "−" and d1 + d2 ≠ d1 just says d2 ≠ 0: both as stated.
        if d1 == d2 and student == n1 + n2 and d1 + d2 != d1:
            return _ADDSUB_SUMMED_BOTH
    if expected != 0 and student != 0:
        ratio = student / expected
        if ratio.is_integer() and ratio > 1:
            return _ADDSUB_NOT_REDUCED
    # Rule 3 is unreachable (a number's text never holds "/"); kept as the documented no-op.
    fraction = _FRACTION_TEXT.fullmatch(canonical_text(expected).strip())
    if fraction is not None and float(fraction.group(1)) != 0 and student == float(fraction.group(2)):
        return _ADDSUB_INVERTED
    mixed = _MIXED_NUMBER.fullmatch(step.strip()) if step else None
    if mixed is not None:
        whole, numerator, denominator = (float(group) for group in mixed.groups())
        if abs(student - whole * denominator - numerator) <= 1:
            return _ADDSUB_WHOLE_LOST
    if abs(student - expected) <= 1:  # 1 here, not 2
        return _ADDSUB_FACT
    return None


# --- FRACT_MUL / FRACT_DIV -------------------------------------------------------------------------
def _two_fractions(operators: str):
    return compile_pattern(rf"({LEADING_INT}){WS}/{WS}({DIGITS}){WS}[{operators}]{WS}"
                           rf"({INT}){WS}/{WS}({DIGITS})")


_FRACTION_PRODUCT = _two_fractions(TIMES)
_FRACTION_QUOTIENT = _two_fractions(":÷")  # the slash is never a division operator here

_MUL_CROSSED = rule_result(T.FRACT_MUL_CROSS_MULTIPLIES_G6, 0.90, "cross-multiplied: (a·d)/(b·c)")
_DIV_NO_RECIPROCAL = rule_result(T.FRACT_DIV_NO_RECIPROCAL_G7, 0.90,
                                 "multiplied straight across without taking the reciprocal")
_DIV_INVERTED_FIRST = rule_result(T.FRACT_DIV_INVERTS_FIRST_FRACTION_G7, 0.88,
                                  "took the reciprocal of the first fraction instead of the second")


def _parse_fractions(step: str, pattern) -> tuple[float, float, float, float] | None:
    match = pattern.search(step) if step else None
    if match is None:
        return None
    a, b, c, d = (float(group) for group in match.groups())
    if b == 0 or d == 0:
        return None
    return a, b, c, d


def detect_fraction_product(expected: float, student: float, operand_a: float | None,
                            operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """FRACT_MUL (§1.7.6): ``a/b × c/d`` from the first step; no parse → UNCLASSIFIED."""
    fractions = _parse_fractions(step, _FRACTION_PRODUCT)
    if fractions is None:
        return None
    a, b, c, d = fractions
    if b * c != 0:
        crossed = (a * d) / (b * c)
        if approx(student, crossed) and not approx(crossed, expected):
            return _MUL_CROSSED
    return None


def detect_fraction_quotient(expected: float, student: float, operand_a: float | None,
                             operand_b: float | None, step: str, has_steps: bool) -> Classification | None:
    """FRACT_DIV (§1.7.6): ``a/b : c/d`` from the first step; no parse → UNCLASSIFIED."""
    fractions = _parse_fractions(step, _FRACTION_QUOTIENT)
    if fractions is None:
        return None
    a, b, c, d = fractions
    if b * d != 0:
        straight = (a * c) / (b * d)
        if approx(student, straight) and not approx(straight, expected):
            return _DIV_NO_RECIPROCAL
    if a * d != 0:
        first_inverted = (b * c) / (a * d)
        if approx(student, first_inverted) and not approx(first_inverted, expected):
            return _DIV_INVERTED_FIRST
    return None
