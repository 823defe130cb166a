"""How numbers read as text for the rules (domain.md conventions and §1.5 decimal literal helpers).

The "canonical text" of a number is the JavaScript ``Number#toString`` text: shortest round-trip
digits, integers without a fractional part, fixed notation for magnitudes in [1e-6, 1e21).
"""
from __future__ import annotations

import math
import re

_EXACT_INTEGER_LIMIT = 2.0**53  # below it every integer-valued double prints as its exact integer
_NON_DIGITS = re.compile(r"\D+", re.ASCII)
_DECIMALS_AFTER_SEPARATOR = re.compile(r"[.,](\d*)", re.ASCII)


def canonical_text(x: float) -> str:
    """The shortest text that round-trips to ``x``, written the way JavaScript writes numbers."""
    if x.is_integer():
        if -_EXACT_INTEGER_LIMIT < x < _EXACT_INTEGER_LIMIT:
            return str(int(x))  # also turns -0.0 into "0", as JavaScript does
    else:
        text = repr(x)
        # repr already uses fixed notation in [1e-4, 1e16), a sub-range of JavaScript's.
        if "e" not in text and "n" not in text:
            return text
    return _javascript_number_text(x)


def _javascript_number_text(x: float) -> str:
    """ECMAScript Number::toString(x) from the shortest round-trip digits ``repr`` finds."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + _javascript_number_text(-x)
    mantissa, _, exponent = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)  # digits before the decimal point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    head = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{head}e{sign}{abs(e)}"


def literal_decimals(literal: str) -> int:
    """``decimals(lit)``: digits right after the first ``.`` or ``,`` (0 without a separator)."""
    match = _DECIMALS_AFTER_SEPARATOR.search(literal)
    return len(match.group(1)) if match else 0


def literal_value(literal: str) -> float:
    """``value(lit)``: the number once the first ``,`` is read as a decimal point (``2,50`` → 2.5)."""
    return float(literal.replace(",", ".", 1))


def literal_digits_integer(literal: str) -> float:
    """``digits_int(lit)``: the digits alone read as an integer, negative when ``lit`` starts with ``-``.

    ``2,5`` → 25, ``1,25`` → 125. Returned as a double (like every number the rules handle), which
    also keeps absurdly long digit strings from overflowing an int → float conversion.
    """
    digits = _NON_DIGITS.sub("", literal)
    number = float(digits) if digits else 0.0
    return -number if literal.strip().startswith("-") else number
