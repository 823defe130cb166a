"""BKT latency: ns per ``bkt_update`` (target ≤ 2 µs), plus sequence replay and nightly calibration cost.

Run from the repository root: ``.venv/bin/python bench/bench_bkt.py``.
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.domain.bkt import BktParams, bkt_update, bkt_update_sequence, calibrate_bkt  # noqa: E402

UPDATES = 1_000_000
TARGET_NS = 2_000


def _ns_per_update() -> float:
    rng = random.Random(7)
    observations = [rng.random() < 0.6 for _ in range(UPDATES)]
    best = float("inf")
    for _ in range(3):
        p_known = 0.3
        start = time.perf_counter_ns()
        for observed in observations:
            p_known = bkt_update(p_known, 0.1, 0.1, 0.2, observed)
        best = min(best, (time.perf_counter_ns() - start) / UPDATES)
    # The bare loop (same iteration, no call) to show how much of that is the function itself.
    start = time.perf_counter_ns()
    for observed in observations:
        p_known = observed and p_known
    loop_ns = (time.perf_counter_ns() - start) / UPDATES
    print(f"bkt_update: {best:.0f} ns per update (loop overhead ≈ {loop_ns:.0f} ns; "
          f"target ≤ {TARGET_NS} ns: {'met' if best <= TARGET_NS else 'MISSED'})")
    return best


def _sequence_replay() -> None:
    observations = [i % 3 != 0 for i in range(200)]
    runs = 2_000
    start = time.perf_counter_ns()
    for _ in range(runs):
        bkt_update_sequence(None, observations)
    print(f"bkt_update_sequence: {(time.perf_counter_ns() - start) / runs / 1000:.1f} µs for 200 answers "
          f"(trend_7d replays at most two such sequences)")


def _calibration(students: int, answers: int) -> None:
    rng = random.Random(11)
    truth = BktParams(0.3, 0.15, 0.1, 0.2)
    observations = []
    for student in range(students):
        known = rng.random() < truth.p_l0
        for moment in range(answers):
            correct = rng.random() >= truth.p_slip if known else rng.random() < truth.p_guess
            observations.append((student, correct, moment))
            known = known or rng.random() < truth.p_transit
    start = time.perf_counter()
    result = calibrate_bkt(observations)
    print(f"calibrate_bkt: {students} students × {answers} answers in {time.perf_counter() - start:.2f} s "
          f"→ ({result.p_l0}, {result.p_transit}, {result.p_slip}, {result.p_guess})")


def main() -> None:
    _ns_per_update()
    _sequence_replay()
    _calibration(500, 10)
    _calibration(200, 20)


if __name__ == "__main__":
    main()
