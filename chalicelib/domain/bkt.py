"""Bayesian Knowledge Tracing (domain.md §2, DECISIONS.md §3). Pure functions, no I/O.

Public import path::

    from chalicelib.domain.bkt import (
        BktParams, DEFAULT_BKT_PARAMS, bkt_update, bkt_update_sequence, bkt_trajectory,
        bkt_log_likelihood, calibrate_bkt, BktCalibration, trend_7d,
        mastery_level, MasteryLevel, parent_band,
    )

``bkt_update`` is the single closed-form step every writer of ``p_known`` uses; ``calibrate_bkt`` is
the nightly exhaustive grid search of §2.6, restricted to the valid parameter region.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

# --- parameters (§2.1) ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BktParams:
    """A topic's four BKT parameters; the defaults are the ones every seeded topic starts with."""

    p_l0: float = 0.30
    p_transit: float = 0.10
    p_slip: float = 0.10
    p_guess: float = 0.20

    def validation_errors(self) -> list[str]:
        """Why these values are not a valid parameter set (empty when they are).

        Every value in [0, 1], slip and guess ≤ 0.5, and slip + guess < 1 (identifiability).
        """
        errors = [f"{field.name} must lie in [0, 1]" for field in fields(self)
                  if not 0.0 <= getattr(self, field.name) <= 1.0]
        if self.p_slip > 0.5:
            errors.append("p_slip must be ≤ 0.5")
        if self.p_guess > 0.5:
            errors.append("p_guess must be ≤ 0.5")
        if self.p_slip + self.p_guess >= 1.0:
            errors.append("p_slip + p_guess must be < 1")
        return errors

    @property
    def is_valid(self) -> bool:
        return not self.validation_errors()

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "BktParams":
        """Parameters from a mapping with the field names; missing or null keys keep the default."""
        defaults = cls()
        return cls(**{field.name: float(values[field.name]) if values.get(field.name) is not None
                      else getattr(defaults, field.name) for field in fields(cls)})


DEFAULT_BKT_PARAMS = BktParams()


# --- online update (§2.3) -----------------------------------------------------------------------------


def bkt_update(prior: float, p_transit: float, p_slip: float, p_guess: float,
               observed_correct: bool) -> float:
    """``p_known`` after one observed answer: evidence step, learning step, clamp to [0, 1].

    A zero denominator (only with degenerate parameters) keeps the prior as the posterior instead of
    producing NaN (DECISIONS.md §3); the learning step still applies.
    """
    if observed_correct:
        numerator = (1.0 - p_slip) * prior
        denominator = numerator + p_guess * (1.0 - prior)
    else:
        numerator = p_slip * prior
        denominator = numerator + (1.0 - p_guess) * (1.0 - prior)
    posterior = numerator / denominator if denominator != 0 else prior
    p_new = posterior + (1.0 - posterior) * p_transit
    return 0.0 if p_new < 0.0 else 1.0 if p_new > 1.0 else p_new


def bkt_trajectory(prior: float | None, observations: Iterable[bool],
                   params: BktParams = DEFAULT_BKT_PARAMS) -> list[float]:
    """``p_known`` after each observation, starting from ``prior`` or, with no record yet, ``p_l0``."""
    p_known = params.p_l0 if prior is None else prior
    transit, slip, guess = params.p_transit, params.p_slip, params.p_guess
    trajectory = []
    for observed_correct in observations:
        p_known = bkt_update(p_known, transit, slip, guess, bool(observed_correct))
        trajectory.append(p_known)
    return trajectory


def bkt_update_sequence(prior: float | None, observations: Iterable[bool],
                        params: BktParams = DEFAULT_BKT_PARAMS) -> float:
    """Final ``p_known`` after a sequence of observations (``prior`` None = no record: start at ``p_l0``)."""
    trajectory = bkt_trajectory(prior, observations, params)
    if trajectory:
        return trajectory[-1]
    return params.p_l0 if prior is None else prior


# --- mastery levels and bands (§2.4) -------------------------------------------------------------------


class MasteryLevel(StrEnum):
    """DECISIONS.md §3: < 0.4 at risk, [0.4, 0.7) developing, [0.7, 0.95) proficient, ≥ 0.95 mastered."""

    AT_RISK = "AT_RISK"
    DEVELOPING = "DEVELOPING"  # the requirement list's "STRUGGLING"
    PROFICIENT = "PROFICIENT"
    MASTERED = "MASTERED"


def mastery_level(p_known: float) -> MasteryLevel:
    """The mastery level a ``p_known`` falls in."""
    if p_known < 0.4:
        return MasteryLevel.AT_RISK
    if p_known < 0.7:
        return MasteryLevel.DEVELOPING
    if p_known < 0.95:
        return MasteryLevel.PROFICIENT
    return MasteryLevel.MASTERED


def parent_band(p_known: float) -> str:
    """What parents see instead of numbers: ``high`` (≥ 0.7), ``mid`` (≥ 0.4) or ``low``."""
    return "high" if p_known >= 0.7 else "mid" if p_known >= 0.4 else "low"


# --- trend_7d (§2.4, DECISIONS.md §3) ------------------------------------------------------------------

TREND_WINDOW = timedelta(days=7)


def trend_7d(attempts: Iterable[tuple[datetime, bool]], now: datetime,
             params: BktParams = DEFAULT_BKT_PARAMS, *, p_known_now: float | None = None) -> float | None:
    """``p_known`` now minus ``p_known`` 7 days ago, both replayed from the attempt history.

    ``attempts`` are the student's ``(created_at, is_correct)`` on the topic, in any order; those
    after ``now`` are ignored. ``p_known`` 7 days ago is the replay (from ``p_l0``) of the attempts
    made at or before ``now − 7 days``; without any such attempt the record did not exist then and
    the trend is None. ``p_known_now`` defaults to the replay of every attempt up to ``now`` — pass
    the stored value to measure against what the student actually sees.
    """
    cutoff = now - TREND_WINDOW
    ordered = sorted((moment, bool(correct)) for moment, correct in attempts if moment <= now)
    then = [correct for moment, correct in ordered if moment <= cutoff]
    if not then:
        return None
    if p_known_now is None:
        p_known_now = bkt_update_sequence(None, (correct for _, correct in ordered), params)
    return p_known_now - bkt_update_sequence(None, then, params)


# --- nightly calibration (§2.6) -------------------------------------------------------------------------

#: The 19 grid values 0.05, 0.10, …, 0.95 (rounded so that 0.5 + 0.5 is exactly 1).
CALIBRATION_GRID: tuple[float, ...] = tuple(round(0.05 * step, 2) for step in range(1, 20))
_PROBABILITY_FLOOR = 1e-9


@dataclass(frozen=True, slots=True)
class BktCalibration:
    """Best grid point and its log-likelihood. Readable as a mapping too (``result["p_slip"]``)."""

    p_l0: float
    p_transit: float
    p_slip: float
    p_guess: float
    log_likelihood: float

    @property
    def params(self) -> BktParams:
        return BktParams(self.p_l0, self.p_transit, self.p_slip, self.p_guess)

    def __getitem__(self, key: str) -> float:
        if key in _CALIBRATION_FIELDS:
            return getattr(self, key)
        raise KeyError(key)

    def keys(self) -> tuple[str, ...]:
        return _CALIBRATION_FIELDS

    def to_dict(self) -> dict[str, float]:
        return {key: getattr(self, key) for key in _CALIBRATION_FIELDS}


_CALIBRATION_FIELDS = ("p_l0", "p_transit", "p_slip", "p_guess", "log_likelihood")


def _observation_fields(observation: Any) -> tuple[Any, bool, Any]:
    if isinstance(observation, Mapping):
        return observation["student_id"], bool(observation["is_correct"]), observation["timestamp"]
    student_id, is_correct, timestamp = observation
    return student_id, bool(is_correct), timestamp


def student_sequences(observations: Iterable[Any]) -> list[list[bool]]:
    """Each student's answers in time order (students in order of first appearance; stable on ties).

    An observation is ``(student_id, is_correct, timestamp)`` or a mapping with those keys.
    """
    by_student: dict[Any, list[tuple[Any, bool]]] = {}
    for observation in observations:
        student_id, is_correct, timestamp = _observation_fields(observation)
        by_student.setdefault(student_id, []).append((timestamp, is_correct))
    return [[correct for _, correct in sorted(rows, key=lambda row: row[0])] for rows in by_student.values()]


def bkt_log_likelihood(sequences: Sequence[Sequence[bool]], params: BktParams) -> float:
    """Log-likelihood of the §2.6 score, computed literally: predict, clip, add, then update."""
    l0, transit, slip, guess = params.p_l0, params.p_transit, params.p_slip, params.p_guess
    total = 0.0
    for sequence in sequences:
        p_known = l0
        for correct in sequence:
            p_correct = p_known * (1.0 - slip) + (1.0 - p_known) * guess
            p_correct = min(max(p_correct, _PROBABILITY_FLOOR), 1.0 - _PROBABILITY_FLOOR)
            total += math.log(p_correct) if correct else math.log(1.0 - p_correct)
            # Steps 2–3 of §2.3 (no clamp): evidence, then learning.
            if correct:
                numerator = (1.0 - slip) * p_known
                denominator = numerator + guess * (1.0 - p_known)
            else:
                numerator = slip * p_known
                denominator = numerator + (1.0 - guess) * (1.0 - p_known)
            posterior = numerator / denominator if denominator != 0 else p_known
            p_known = posterior + (1.0 - posterior) * transit
    return total


class _PrefixTree:
    """The students' answer sequences merged into a prefix tree, nodes in breadth-first order.

    Students share prefixes (all start at the root, most answer the same first items alike), so
    scoring per node instead of per observation removes most of the work of the grid search.
    """

    def __init__(self, sequences: Iterable[Sequence[bool]]) -> None:
        self.parent: list[int] = [-1]
        self.answer: list[bool] = [False]
        self.ending: list[int] = [0]  # how many students' sequences end at this node
        children: list[dict[bool, int]] = [{}]
        for sequence, count in Counter(tuple(sequence) for sequence in sequences).items():
            node = 0
            for correct in sequence:
                child = children[node].get(correct)
                if child is None:
                    child = len(self.parent)
                    children[node][correct] = child
                    self.parent.append(node)
                    self.answer.append(correct)
                    self.ending.append(0)
                    children.append({})
                node = child
            self.ending[node] += count
        self._reorder_breadth_first(children)

    def _reorder_breadth_first(self, children: list[dict[bool, int]]) -> None:
        order, new_index = [0], {0: 0}
        for node in order:
            for child in children[node].values():
                new_index[child] = len(order)
                order.append(child)
        self.parent = [-1] + [new_index[self.parent[node]] for node in order[1:]]
        self.answer = [self.answer[node] for node in order]
        self.ending = [self.ending[node] for node in order]


_RESCALE_BELOW = 1e-150
_RESCALE_FACTOR = 1e150
_LOG_RESCALE_FACTOR = math.log(_RESCALE_FACTOR)


def _sequence_likelihoods(tree: _PrefixTree, transit: float, slip: float,
                          guess: float) -> Iterator[tuple[int, float, float, float]]:
    """For each node where sequences end: (count, P(seq | known at start), P(seq | unknown), log scale).

    BKT without forgetting is a two-state hidden Markov model, and the product of the predicted
    probabilities of §2.6 equals the probability of the whole sequence, which is linear in
    ``p_l0``: ``P = p_l0·K + (1 − p_l0)·U``. K and U do not depend on ``p_l0``, so one pass over the
    tree serves all 19 values of ``p_l0``. Values are rescaled now and then to avoid underflow.
    """
    size = len(tree.parent)
    known = [1.0] * size  # P(prefix | known at start): a known skill stays known
    # Forward probabilities from "unknown at start", after the node's emission.
    ahead_known = [0.0] * size
    ahead_unknown = [1.0] * size
    log_scale = [0.0] * size
    parent, answer, ending = tree.parent, tree.answer, tree.ending
    right_known, wrong_known, right_unknown, wrong_unknown = 1.0 - slip, slip, guess, 1.0 - guess
    for node in range(1, size):
        up = parent[node]
        if up:  # learning step between the parent's answer and this one
            known_before = ahead_known[up] + ahead_unknown[up] * transit
            unknown_before = ahead_unknown[up] * (1.0 - transit)
        else:  # first answer: no learning step before it
            known_before, unknown_before = 0.0, 1.0
        if answer[node]:
            k, a, u = known[up] * right_known, known_before * right_known, unknown_before * right_unknown
        else:
            k, a, u = known[up] * wrong_known, known_before * wrong_known, unknown_before * wrong_unknown
        scale = log_scale[up]
        if k < _RESCALE_BELOW and a + u < _RESCALE_BELOW:
            k, a, u = k * _RESCALE_FACTOR, a * _RESCALE_FACTOR, u * _RESCALE_FACTOR
            scale -= _LOG_RESCALE_FACTOR
        known[node], ahead_known[node], ahead_unknown[node], log_scale[node] = k, a, u, scale
        if ending[node]:
            yield ending[node], k, a + u, scale


def calibrate_bkt(observations: Iterable[Any], *, valid_region_only: bool = True) -> BktCalibration:
    """Exhaustive grid search of §2.6 for the parameters that best explain a topic's attempts.

    ``observations``: ``(student_id, is_correct, timestamp)`` tuples or mappings. Each parameter
    runs over 0.05 … 0.95 (``p_l0`` outermost, then ``p_transit``, ``p_slip``, ``p_guess``),
    combinations with ``p_slip + p_guess ≥ 1`` are skipped, and the strictly greatest log-likelihood
    wins (the first one on ties). With ``valid_region_only`` (the default) slip and guess stop at 0.5
    so the result always passes :meth:`BktParams.validation_errors` (domain.md §2.6 open point a).

    Scores are computed per (transit, slip, guess) for all ``p_l0`` at once from the sequence
    probabilities; the best few are then re-scored with the literal procedure
    (:func:`bkt_log_likelihood`) so that the winner and its log-likelihood are exactly the spec's.
    """
    sequences = student_sequences(observations)
    tree = _PrefixTree(sequences)
    slip_guess_values = CALIBRATION_GRID
    if valid_region_only:
        slip_guess_values = tuple(value for value in CALIBRATION_GRID if value <= 0.5)
    fast_scores: dict[tuple[float, float, float, float], float] = {}
    for transit in CALIBRATION_GRID:
        for slip in slip_guess_values:
            for guess in slip_guess_values:
                if slip + guess >= 1.0:
                    continue
                endings = list(_sequence_likelihoods(tree, transit, slip, guess))
                for l0 in CALIBRATION_GRID:
                    score = 0.0
                    for count, known, unknown, scale in endings:
                        score += count * (math.log(l0 * known + (1.0 - l0) * unknown) + scale)
                    fast_scores[(l0, transit, slip, guess)] = score
    if not fast_scores:  # no valid combination at all
        d = DEFAULT_BKT_PARAMS
        return BktCalibration(d.p_l0, d.p_transit, d.p_slip, d.p_guess, bkt_log_likelihood(sequences, d))
    best_fast = max(fast_scores.values())
    # Both computations agree to ~1e-12 relative; anything within this margin is re-scored exactly.
    margin = 1e-7 * max(1.0, abs(best_fast))
    contenders = sorted(point for point, score in fast_scores.items() if score >= best_fast - margin)
    best_point, best_score = contenders[0], -math.inf
    for point in contenders:  # grid order: ascending l0, transit, slip, guess
        score = bkt_log_likelihood(sequences, BktParams(*point))
        if score > best_score:
            best_point, best_score = point, score
    return BktCalibration(*best_point, log_likelihood=best_score)

