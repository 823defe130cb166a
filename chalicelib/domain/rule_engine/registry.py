"""Routing key → strategy registry, the unregistered-key fallback and ``classify`` (domain.md §1.1–§1.6)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.rule_engine import decimals, fractions, linear_equations, powers, ratios
from chalicelib.domain.rule_engine import signed_integers, whole_numbers
from chalicelib.domain.rule_engine.classification import (
    CORRECT_RESULT,
    UNCLASSIFIED_RESULT,
    Classification,
    read_attempt,
)
from chalicelib.domain.rule_engine.column_arithmetic import APPROX_TOLERANCE

#: (expected, student, operand_a, operand_b, first step, steps non-empty) → first matching rule or None.
Detector = Callable[[float, float, "float | None", "float | None", str, bool], "Classification | None"]


@dataclass(frozen=True, slots=True)
class Strategy:
    """One registered strategy: how correctness is decided (§1.6) and its error rules (§1.7)."""

    routing_key: str
    description: str
    strict_correctness: bool  # True: S == E; False: S ≈ E
    detect: Detector


STRATEGIES: dict[str, Strategy] = {
    strategy.routing_key: strategy
    for strategy in (
        Strategy("ARITH_SUB", "whole-number subtraction with borrowing", True,
                 whole_numbers.detect_subtraction),
        Strategy("ARITH_ADD", "whole-number addition with carrying", True, whole_numbers.detect_addition),
        Strategy("ARITH_MUL", "whole-number multiplication", True, whole_numbers.detect_multiplication),
        Strategy("ARITH_DIV", "long division", True, whole_numbers.detect_division),
        Strategy("INT_ADD", "signed-integer addition", True, signed_integers.detect_signed_sum),
        Strategy("INT_SUB", "signed-integer subtraction", True, signed_integers.detect_signed_difference),
        Strategy("INT_MUL", "signed-integer multiplication", True, signed_integers.detect_signed_product),
        Strategy("FRACT_ADDSUB", "fraction add/subtract, same denominator", True,
                 fractions.detect_same_denominator),
        Strategy("FRACT_MUL", "fraction multiplication", False, fractions.detect_fraction_product),
        Strategy("FRACT_DIV", "fraction division", False, fractions.detect_fraction_quotient),
        Strategy("DEC_ADD", "decimal addition", False, decimals.detect_decimal_sum),
        Strategy("DEC_SUB", "decimal subtraction", False, decimals.detect_decimal_difference),
        Strategy("DEC_MUL", "decimal multiplication", False, decimals.detect_decimal_product),
        Strategy("DEC_DIV", "decimal division", False, decimals.detect_decimal_quotient),
        Strategy("RATIO_PERCENT", "percentage of a quantity", False, ratios.detect_percentage),
        Strategy("RATIO_PROPORTION", "missing term of a proportion", False, ratios.detect_proportion),
        Strategy("ALGEBRA_EQ_LINEAR", "one-step/two-step linear equation", False,
                 linear_equations.detect_linear_equation),
        Strategy("POW_POWER", "exponent laws", False, powers.detect_exponent_law),
        Strategy("POW_ROOT", "square roots", False, powers.detect_square_root),
    )
}

#: The 19 routing keys with a strategy; any other key takes the fallback.
REGISTERED_ROUTING_KEYS: frozenset[str] = frozenset(STRATEGIES)


def classify(attempt: Mapping[str, Any], routing_key: str) -> Classification:
    """Classify one attempt record (domain.md §1.2 field names) routed by ``routing_key``.

    Pure and synchronous. Unregistered keys (``UNKNOWN`` included) take the fallback, which
    compares the answers with ≈ and otherwise answers ``UNCLASSIFIED`` (DECISIONS.md §3).
    Raises :class:`~chalicelib.domain.rule_engine.classification.InvalidAttempt` when an answer is
    missing or an answer/operand is not a finite number.
    """
    expected, student, operand_a, operand_b, step, has_steps = read_attempt(attempt)
    strategy = STRATEGIES.get(routing_key)
    if strategy is None:
        return CORRECT_RESULT if abs(student - expected) < APPROX_TOLERANCE else UNCLASSIFIED_RESULT
    if student == expected if strategy.strict_correctness else abs(student - expected) < APPROX_TOLERANCE:
        return CORRECT_RESULT
    return strategy.detect(expected, student, operand_a, operand_b, step, has_steps) or UNCLASSIFIED_RESULT
