"""Pattern vocabulary of domain.md's conventions, as regular-expression fragments.

``WS`` = ``\\s*``, ``DIGITS`` = ``\\d+``, ``INT`` = ``-?\\d+``, ``DEC`` = ``INT`` optionally followed by
``.``/``,`` and digits. Every pattern is searched anywhere in the first step (leftmost match) with
``re.ASCII`` so that only ASCII digits and whitespace count, exactly as the spec prescribes.

Why the ``(?<!\\d)`` in the leading number: a match can never *start* inside a run of digits — the
start of that run would have matched first, since the next pattern token is never a digit — so the
look-behind changes no result. It only stops the engine from re-scanning a long digit run from
every position (quadratic time on hostile input). Patterns with a back-reference don't get it.
"""
from __future__ import annotations

import re

WS = r"\s*"
DIGITS = r"\d+"
INT = r"-?\d+"
DEC = r"-?\d+(?:[.,]\d+)?"

#: ``INT`` / ``DEC`` / ``DIGITS`` as the first token of a pattern (see the module docstring).
LEADING_INT = r"-?(?<!\d)\d+"
LEADING_DEC = r"-?(?<!\d)\d+(?:[.,]\d+)?"
LEADING_DIGITS = r"(?<!\d)\d+"

#: Operator sets ``{•, ×, x, X, *}`` etc., written as character-class bodies.
TIMES = "•×xX*"
DIVIDED_BY = ":÷/"


def compile_pattern(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile once at import time (never on the hot path), with the spec's ASCII semantics."""
    return re.compile(pattern, re.ASCII | (re.IGNORECASE if ignore_case else 0))


def first_operand_pair(step: str, pattern: re.Pattern[str],
                       operand_a: float | None, operand_b: float | None) -> tuple[float, float] | None:
    """Two numbers from the step's leftmost match, else both operand fields, else None."""
    if step:
        match = pattern.search(step)
        if match is not None:
            return float(match.group(1)), float(match.group(2))
    if operand_a is not None and operand_b is not None:
        return operand_a, operand_b
    return None
