"""Shared definitions of domain.md §1.5: column digits, column-wise sums, transpositions, powers of ten.

Every number is a double, as it is on the wire; the helpers mirror the spec's definitions literally
(``floor`` and a non-negative ``mod``), which is what matters for the non-negative integers the
arithmetic strategies are written for.
"""
from __future__ import annotations

import math

from chalicelib.domain.rule_engine.number_text import canonical_text

#: Tolerance of "≈" (domain.md, conventions): absolute, not relative.
APPROX_TOLERANCE = 1e-9


def approx(x: float, y: float) -> bool:
    """``x ≈ y``: absolute difference below 1e-9."""
    return abs(x - y) < APPROX_TOLERANCE


def units(n: float) -> float:
    return n % 10


def tens(n: float) -> float:
    return math.floor(n / 10) % 10


def hundreds(n: float) -> float:
    return math.floor(n / 100) % 10


_EXACT_INTEGER_LIMIT = 2.0**53


def _exact_naturals(x: float, y: float) -> bool:
    """Both are non-negative integers small enough for exact int arithmetic (the usual case)."""
    return (0 <= x < _EXACT_INTEGER_LIMIT and 0 <= y < _EXACT_INTEGER_LIMIT
            and x.is_integer() and y.is_integer())


def no_borrow_difference(m: float, s: float) -> float:
    """``nb(m, s)``: column-wise ``|digit(m) − digit(s)|`` without borrowing (nb(53, 26) = 33)."""
    if _exact_naturals(m, s):  # same walk on ints: exact and about twice as fast
        m_int, s_int, total_int, place_int = int(m), int(s), 0, 1
        while m_int or s_int:
            m_int, m_digit = divmod(m_int, 10)
            s_int, s_digit = divmod(s_int, 10)
            total_int += abs(m_digit - s_digit) * place_int
            place_int *= 10
        return float(total_int)
    total = 0.0
    place = 1.0
    while m > 0 or s > 0:
        total += abs(m % 10 - s % 10) * place
        m = math.floor(m / 10)
        s = math.floor(s / 10)
        place *= 10.0
    return total


def no_carry_sum(a: float, b: float) -> float:
    """``nc(a, b)``: column-wise ``(digit(a) + digit(b)) mod 10`` without carrying (nc(38, 27) = 55)."""
    if _exact_naturals(a, b):
        a_int, b_int, total_int, place_int = int(a), int(b), 0, 1
        while a_int or b_int:
            a_int, a_digit = divmod(a_int, 10)
            b_int, b_digit = divmod(b_int, 10)
            total_int += ((a_digit + b_digit) % 10) * place_int
            place_int *= 10
        return float(total_int)
    total = 0.0
    place = 1.0
    while a > 0 or b > 0:
        total += ((a % 10 + b % 10) % 10) * place
        a = math.floor(a / 10)
        b = math.floor(b / 10)
        place *= 10.0
    return total


def transposed(x: float, y: float) -> bool:
    """Same digits in another order: both integers, same text length, same multiset of digits.

    The sign is ignored, so -27 vs 27 counts as a transposition (domain.md §1.5).
    """
    x, y = abs(x), abs(y)
    if not (x.is_integer() and y.is_integer()):
        return False
    if x < _EXACT_INTEGER_LIMIT and y < _EXACT_INTEGER_LIMIT:  # canonical text = the exact integer
        x_text, y_text = str(int(x)), str(int(y))
    else:
        x_text, y_text = canonical_text(x), canonical_text(y)
    return len(x_text) == len(y_text) and sorted(x_text) == sorted(y_text)


# A canonical text "1" followed by zeros is exactly 10^k with k in 1..20: from 1e21 on the text is
# "1e+21". All of these doubles are exact, so a set lookup is the same test without formatting text.
_WHOLE_POWERS_OF_TEN = frozenset(10.0**k for k in range(1, 21))


def is_whole_power_of_ten(n: float) -> bool:
    """``pow10_int(n)``: n is 10, 100, 1000, … (canonical text ``1`` followed only by zeros)."""
    return n in _WHOLE_POWERS_OF_TEN


# p10 tries these exponents in this order and returns the first one that fits.
_DECIMAL_POWERS = tuple((k, 10.0**k) for k in (-4, -3, -2, -1, 1, 2, 3, 4))


def power_of_ten_exponent(r: float) -> int | None:
    """``p10(r)``: the first k of −4, −3, −2, −1, 1, 2, 3, 4 with ``r ≈ 10^k``; None when none fits."""
    for exponent, power in _DECIMAL_POWERS:
        if abs(r - power) < APPROX_TOLERANCE:
            return exponent
    return None


def is_decimal_power_of_ten(x: float) -> bool:
    """``is_p10(x)``: ``|x|`` is not ≈ 1 and ``p10(|x|)`` exists."""
    x = abs(x)
    return not approx(x, 1.0) and power_of_ten_exponent(x) is not None


def power(base: float, exponent: float) -> float:
    """``base ** exponent`` with overflow read as infinity (it then never ≈ a finite answer)."""
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf
