"""Ratio strategies (domain.md §1.7.9): RATIO_PERCENT and RATIO_PROPORTION (approximate correctness)."""
from __future__ import annotations

from chalicelib.domain.rule_engine.classification import Classification, rule_result
from chalicelib.domain.rule_engine.column_arithmetic import approx, power_of_ten_exponent
from chalicelib.domain.rule_engine.error_tags import ErrorTag as T
from chalicelib.domain.rule_engine.number_text import literal_value
from chalicelib.domain.rule_engine.step_patterns import DEC, LEADING_DEC, WS, compile_pattern

# "15% de 200", "20 % of 50": connectors tried in the order de la, del, de, of; case-insensitive.
_PERCENT_OF = compile_pattern(rf"({LEADING_DEC}){WS}%{WS}(?:de la|del|de|of)?{WS}({DEC})", ignore_case=True)
# "2:4 = 3:x", "2/4 = 3/?": the unknown is one ASCII letter or "?".
_PROPORTION = compile_pattern(rf"({LEADING_DEC}){WS}[:/]{WS}({DEC}){WS}={WS}({DEC}){WS}[:/]{WS}[A-Za-z?]")

_DIVIDED_BY_PERCENT = rule_result(T.RATIO_PERCENT_DIVIDE_BY_PERCENT_G7, 0.88,
                                  "divided the quantity by the percentage")
_DECIMAL_SHIFT = rule_result(T.RATIO_PERCENT_DECIMAL_SHIFT_ERROR_G7, 0.85,
                             "right digits, shifted by a power of ten")
_ADDITIVE = rule_result(T.RATIO_PROPORTION_ADDITIVE_STRATEGY_G7, 0.88,
                        "used an additive difference instead of a multiplicative ratio")
_CROSS_PRODUCT = rule_result(T.RATIO_PROPORTION_CROSS_PRODUCT_ERROR_G7, 0.85,
                             "cross product set up with the wrong terms (a·c / b)")


def detect_percentage(expected: float, student: float, operand_a: float | None, operand_b: float | None,
                      step: str, has_steps: bool) -> Classification | None:
    """RATIO_PERCENT: rule 1 needs ``p % de base`` in the first step; rule 2 needs no step."""
    match = _PERCENT_OF.search(step) if step else None
    if match is not None:
        percent, base = literal_value(match.group(1)), literal_value(match.group(2))
        if percent != 0:
            divided = base / percent
            if approx(student, divided) and not approx(divided, expected):
                return _DIVIDED_BY_PERCENT
    if not approx(expected, 0.0) and not approx(student, 0.0):
        if power_of_ten_exponent(student / expected) is not None:
            return _DECIMAL_SHIFT
    return None


def detect_proportion(expected: float, student: float, operand_a: float | None, operand_b: float | None,
                      step: str, has_steps: bool) -> Classification | None:
    """RATIO_PROPORTION: ``a:b = c:x`` (correct x = b·c/a); no parse → UNCLASSIFIED."""
    match = _PROPORTION.search(step) if step else None
    if match is None:
        return None
    a, b, c = (literal_value(group) for group in match.groups())
    additive = c + (b - a)
    if approx(student, additive) and not approx(additive, expected):
        return _ADDITIVE
    if b != 0:
        crossed = a * c / b
        if approx(student, crossed) and not approx(crossed, expected):
            return _CROSS_PRODUCT
    return None
