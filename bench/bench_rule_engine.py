"""Rule-engine latency: classify() over a fixed mix of 10,000 generated attempts, every routing key.

Run from the repository root: ``.venv/bin/python bench/bench_rule_engine.py``. Prints p50 / p99 /
mean µs per call over all attempts (target: p99 ≤ 20 µs) and the p99 of each routing key.
Figures include the parsing of the attempt record and one perf_counter_ns pair (≈ 0.1 µs).
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.domain.rule_engine import REGISTERED_ROUTING_KEYS, classify  # noqa: E402

ATTEMPTS = 10_000
PASSES = 5
TARGET_P99_US = 20.0


def _record(expected, student, a=None, b=None, step=None):
    steps = [] if step is None else [{"expression": step, "is_final": True}]
    return {"student_id": "s", "topic_code": "T", "expected_answer": expected, "student_answer": student,
            "operand_a": a, "operand_b": b, "steps": steps}


def _answer(rng: random.Random, right: float, *wrong: float) -> float:
    """Right 40 % of the time, a rule-shaped wrong answer 40 %, anything else 20 %."""
    roll = rng.random()
    if roll < 0.4 or not wrong:
        return right
    if roll < 0.8:
        return rng.choice(wrong)
    return right + rng.randint(3, 500)


def _attempt(key: str, rng: random.Random) -> dict:
    x, y = rng.randint(10, 999), rng.randint(2, 99)
    if key == "ARITH_SUB":
        m, s = max(x, y), min(x, y)
        return _record(m - s, _answer(rng, m - s, m + s, s - m, (m - s) * 10), m, s, f"{m} - {s}")
    if key == "ARITH_ADD":
        return _record(x + y, _answer(rng, x + y, x + y - 10, x + y + 1), x, y, f"{x} + {y}")
    if key == "ARITH_MUL":
        return _record(x * y, _answer(rng, x * y, x + y, x * y * 10), x, y, f"{x} x {y}")
    if key == "ARITH_DIV":
        return _record(x, _answer(rng, x, x + 1, x - 1, x * 10), x * y, y, f"{x * y} : {y}")
    if key in ("INT_ADD", "INT_SUB", "INT_MUL"):
        a, b = rng.randint(-50, 50), rng.randint(-50, 50)
        op, right = {"INT_ADD": ("+", a + b), "INT_SUB": ("-", a - b), "INT_MUL": ("×", a * b)}[key]
        return _record(right, _answer(rng, right, -right, a - b, abs(a * b)), a, b, f"({a}) {op} ({b})")
    if key == "FRACT_ADDSUB":
        d = rng.randint(2, 12)
        n1, n2 = rng.randint(1, d), rng.randint(1, d)
        return _record((n1 + n2) / d, _answer(rng, (n1 + n2) / d, n1 + n2), step=f"{n1}/{d} + {n2}/{d}")
    if key in ("FRACT_MUL", "FRACT_DIV"):
        a, b, c, d = (rng.randint(1, 9) for _ in range(4))
        straight, crossed = a * c / (b * d), a * d / (b * c)
        if key == "FRACT_MUL":
            return _record(straight, _answer(rng, straight, crossed), step=f"{a}/{b} × {c}/{d}")
        return _record(crossed, _answer(rng, crossed, straight), step=f"{a}/{b} : {c}/{d}")
    if key in ("DEC_ADD", "DEC_SUB", "DEC_MUL", "DEC_DIV"):
        a, b = rng.randint(1, 999) / 100, rng.randint(1, 99) / 10
        op, right = {"DEC_ADD": ("+", a + b), "DEC_SUB": ("-", a - b), "DEC_MUL": ("x", a * b),
                     "DEC_DIV": (":", a / b)}[key]
        return _record(right, _answer(rng, right, right * 10, right / 100),
                       step=f"{a:.2f} {op} {b:.1f}".replace(".", ","))
    if key == "RATIO_PERCENT":
        p, base = rng.randint(1, 99), rng.randint(10, 900)
        right = p * base / 100
        return _record(right, _answer(rng, right, base / p, right * 10), step=f"{p}% de {base}")
    if key == "RATIO_PROPORTION":
        a, b, c = rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 9)
        return _record(b * c / a, _answer(rng, b * c / a, c + b - a, a * c / b), step=f"{a}:{b} = {c}:x")
    if key == "ALGEBRA_EQ_LINEAR":
        a, b, c = rng.randint(2, 9), rng.randint(1, 20), rng.randint(21, 60)
        right = (c - b) / a
        return _record(right, _answer(rng, right, (c + b) / a, c / a - b), step=f"{a}x + {b} = {c}")
    if key == "POW_POWER":
        base, m, n = rng.randint(2, 5), rng.randint(1, 4), rng.randint(1, 4)
        right = base ** (m + n)
        return _record(right, _answer(rng, right, base ** (m * n)), step=f"{base}^{m} • {base}^{n}")
    if key == "POW_ROOT":
        r = rng.randint(2, 30)
        return _record(r, _answer(rng, r, r * r / 2), step=f"√{r * r}")
    # Unregistered keys take the fallback.
    return _record(x, _answer(rng, x, x + 1), x, y, f"{x} ? {y}")


def main() -> None:
    rng = random.Random(20250301)
    keys = sorted(REGISTERED_ROUTING_KEYS) + ["UNKNOWN", "GEOM_AREA"]
    workload = [(key, _attempt(key, rng)) for key in (keys[i % len(keys)] for i in range(ATTEMPTS))]
    rng.shuffle(workload)
    for key, record in workload:  # warm-up: regex caches, branch predictors, allocator
        classify(record, key)

    clock = time.perf_counter_ns
    samples: list[float] = []
    by_key: dict[str, list[float]] = {key: [] for key in keys}
    for _ in range(PASSES):
        for key, record in workload:
            start = clock()
            classify(record, key)
            elapsed = (clock() - start) / 1000.0
            samples.append(elapsed)
            by_key[key].append(elapsed)

    def percentile(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    print(f"classify: {ATTEMPTS} attempts × {PASSES} passes, {len(keys)} routing keys")
    print(f"  p50 {p50:.2f} µs   p99 {p99:.2f} µs   mean {statistics.fmean(samples):.2f} µs   "
          f"max {max(samples):.1f} µs   (target p99 ≤ {TARGET_P99_US:.0f} µs: "
          f"{'met' if p99 <= TARGET_P99_US else 'MISSED'})")
    print("  p99 per routing key (µs):")
    for key in keys:
        print(f"    {key:<18} {percentile(by_key[key], 0.99):6.2f}")


if __name__ == "__main__":
    main()
