"""IRT 2PL, ability mappings, the Fisher-information item pickers and item calibration (domain.md §3).

Public import path::

    from chalicelib.domain.irt import (
        irt_probability, fisher_information, difficulty_label,
        ability_from_p_known, theta_for_practice, theta_for_course_recommendation,
        theta_for_assignment_recommender, theta_for_item_calibration,
        ItemCandidate, ItemPick, MasteryRecord,
        pick_practice_item, pick_course_item, recommend_assignment_items,
        practice_reasoning, course_reasoning, fit_2pl, ItemCalibration,
    )

Every recommender uses one ability convention, θ = logit(clamp(p_known, 0.01, 0.99))
(:func:`ability_from_p_known`, DECISIONS.md §3). The legacy per-entry-point mappings stay available
as pure functions and can be handed to the pickers (``theta_from_p_known=``) to reproduce the
previous backend. Pure: no I/O.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# --- model (§3.1) ---------------------------------------------------------------------------------------

DEFAULT_DISCRIMINATION = 1.0  # a of an item never calibrated
DEFAULT_DIFFICULTY = 0.0  # b of an item never calibrated
DISCRIMINATION_RANGE = (0.1, 3.0)
DIFFICULTY_RANGE = (-3.0, 3.0)


def irt_probability(theta: float, a: float, b: float) -> float:
    """2PL probability of a correct answer: ``1 / (1 + exp(−a·(θ − b)))``."""
    try:
        return 1.0 / (1.0 + math.exp(-a * (theta - b)))
    except OverflowError:  # exp of a huge positive number: the probability is 0 to double precision
        return 0.0


def fisher_information(theta: float, a: float, b: float) -> float:
    """Item information ``a²·P·(1 − P)``; it peaks at θ = b with a²/4."""
    p = irt_probability(theta, a, b)
    return a * a * p * (1.0 - p)


def difficulty_label(b: float) -> str:
    """Item-bank label: ``easy`` (b ≤ −0.4), ``hard`` (b ≥ 0.7), otherwise ``medium``."""
    if b <= -0.4:
        return "easy"
    if b >= 0.7:
        return "hard"
    return "medium"


def item_parameter_errors(a: float, b: float) -> list[str]:
    """Why (a, b) is outside the valid ranges a ∈ [0.1, 3.0], b ∈ [−3, 3] (empty when inside)."""
    errors = []
    if not DISCRIMINATION_RANGE[0] <= a <= DISCRIMINATION_RANGE[1]:
        errors.append("a must lie in [0.1, 3.0]")
    if not DIFFICULTY_RANGE[0] <= b <= DIFFICULTY_RANGE[1]:
        errors.append("b must lie in [-3, 3]")
    return errors


# --- ability θ from p_known (§3.2) ----------------------------------------------------------------------

#: p_known assumed for a topic the student has no mastery record of (§3.3).
UNRECORDED_P_KNOWN = 0.3


def _clamped_logit(p_known: float, low: float, high: float) -> float:
    p = min(max(p_known, low), high)
    return math.log(p / (1.0 - p))


def ability_from_p_known(p_known: float) -> float:
    """The one θ convention of every recommender: ``logit(clamp(p_known, 0.01, 0.99))``."""
    return _clamped_logit(p_known, 0.01, 0.99)


def theta_for_practice(p_known: float | None) -> float:
    """Legacy practice "next exercise" mapping: clamp to [0.05, 0.95], logit; no record → p = 0.3."""
    return _clamped_logit(UNRECORDED_P_KNOWN if p_known is None else p_known, 0.05, 0.95)


def theta_for_course_recommendation(p_known: float) -> float:
    """Course-scoped recommendation mapping: clamp to [0.01, 0.99], logit (same as the convention)."""
    return _clamped_logit(p_known, 0.01, 0.99)


def theta_for_assignment_recommender(p_known: float) -> float:
    """Legacy assignment-recommender mapping: θ is ``p_known`` itself."""
    return p_known


def theta_for_item_calibration(p_known: float) -> float:
    """Item calibration's mapping (§3.6, kept by DECISIONS.md §3): ``2·p_known − 1``."""
    return 2.0 * p_known - 1.0


# --- pickers (§3.3–§3.5) ----------------------------------------------------------------------------------

ThetaMapping = Callable[[float], float]


@dataclass(frozen=True, slots=True)
class ItemCandidate:
    """An active exercise the pickers may choose: id, topic and 2PL parameters."""

    item_id: str
    topic_id: str
    a: float = DEFAULT_DISCRIMINATION
    b: float = DEFAULT_DIFFICULTY

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "ItemCandidate":
        """From ``{id|item_id, topic_id|topic_code|topic, a|irtA, b|irtB}``; missing a/b take the defaults."""
        def first(*names: str, default: Any = None) -> Any:
            return next((values[name] for name in names if values.get(name) is not None), default)

        return cls(str(first("item_id", "id")), str(first("topic_id", "topic_code", "topic")),
                   float(first("a", "irtA", default=DEFAULT_DISCRIMINATION)),
                   float(first("b", "irtB", default=DEFAULT_DIFFICULTY)))


@dataclass(frozen=True, slots=True)
class ItemPick:
    """A chosen item with the numbers that chose it."""

    item: ItemCandidate
    p_known: float  # the p_known θ was derived from
    theta: float
    information: float
    p_correct: float


@dataclass(frozen=True, slots=True)
class MasteryRecord:
    """A student's mastery of one topic, with the topic's prerequisites (assignment recommender)."""

    topic_id: str
    p_known: float
    prerequisite_topic_ids: tuple[str, ...] = ()


def _pick(item: ItemCandidate, p_known: float, theta: float) -> ItemPick:
    return ItemPick(item, p_known, theta, fisher_information(theta, item.a, item.b),
                    irt_probability(theta, item.a, item.b))


def _most_informative(items: Iterable[ItemCandidate], p_known_of: Callable[[ItemCandidate], float],
                      theta_from_p_known: ThetaMapping) -> ItemPick | None:
    """Strictly greatest information; ties keep the earlier item (initial score −1)."""
    best: ItemPick | None = None
    best_information = -1.0
    for item in items:
        p_known = p_known_of(item)
        pick = _pick(item, p_known, theta_from_p_known(p_known))
        if best is None:
            best = pick  # the first candidate is the initial best, whatever its score
        if pick.information > best_information:
            best, best_information = pick, pick.information
    return best


def pick_practice_item(candidates: Sequence[ItemCandidate], p_known_by_topic: Mapping[str, float], *,
                       theta_from_p_known: ThetaMapping = ability_from_p_known,
                       unrecorded_p_known: float = UNRECORDED_P_KNOWN) -> ItemPick | None:
    """Practice "next exercise" (§3.3): the candidate (≤ 500, storage order) of greatest information.

    θ comes from the student's ``p_known`` on each candidate's topic (0.3 without a record). No item
    is excluded. None when there is no candidate. Pass ``theta_from_p_known=theta_for_practice`` for
    the previous backend's mapping.
    """
    return _most_informative(candidates, lambda item: p_known_by_topic.get(item.topic_id, unrecorded_p_known),
                             theta_from_p_known)


def pick_course_item(mastery: Iterable[tuple[str, float]],
                     items_by_topic: Mapping[str, Sequence[ItemCandidate]],
                     excluded_item_ids: Collection[str] = frozenset(), *, per_topic_limit: int = 50,
                     theta_from_p_known: ThetaMapping = ability_from_p_known) -> ItemPick | None:
    """Course-scoped recommendation (§3.4): weakest topic first, its most informative open item.

    ``mastery``: the student's ``(topic_id, p_known)`` records (sorted here, stably, by ``p_known``).
    ``excluded_item_ids``: items answered correctly in this course in the last 7 days. A topic with no
    remaining item (after exclusion, first ``per_topic_limit`` in order) passes to the next topic.
    """
    for topic_id, p_known in sorted(mastery, key=lambda record: record[1]):
        open_items = [item for item in items_by_topic.get(topic_id, ())
                      if item.item_id not in excluded_item_ids]
        if open_items:
            return _most_informative(open_items[:per_topic_limit], lambda _: p_known, theta_from_p_known)
    return None


def recommend_assignment_items(mastery: Sequence[MasteryRecord],
                               items_by_topic: Mapping[str, Sequence[ItemCandidate]], *, top_n: int = 5,
                               prerequisite_threshold: float = 0.6,
                               theta_from_p_known: ThetaMapping = ability_from_p_known) -> list[ItemPick]:
    """Assignment recommender (§3.5): the ``top_n`` most informative items over unblocked topics.

    A topic is skipped when a prerequisite's ``p_known`` is below 0.6; prerequisites are looked up
    among ``mastery`` only and a missing one counts as 0 (so it blocks). Equal information keeps
    discovery order (topics in ``mastery`` order, items in ``items_by_topic`` order).
    """
    p_known_by_topic = {record.topic_id: record.p_known for record in mastery}
    picks: list[ItemPick] = []
    for record in mastery:
        if any(p_known_by_topic.get(prerequisite, 0.0) < prerequisite_threshold
               for prerequisite in record.prerequisite_topic_ids):
            continue
        theta = theta_from_p_known(record.p_known)
        picks.extend(_pick(item, record.p_known, theta) for item in items_by_topic.get(record.topic_id, ()))
    picks.sort(key=lambda pick: pick.information, reverse=True)  # stable: ties keep discovery order
    return picks[:top_n]


def _fixed(value: float, digits: int) -> str:
    """JavaScript ``toFixed``: the exact binary value rounded half away from zero."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def practice_reasoning(pick: ItemPick) -> str:
    """``θ = <θ 2dp>, b = <b 2dp> → I(θ) = <I 3dp> (Fisher máx)`` (api.md §4.11)."""
    return (f"θ = {_fixed(pick.theta, 2)}, b = {_fixed(pick.item.b, 2)} → "
            f"I(θ) = {_fixed(pick.information, 3)} (Fisher máx)")


def course_reasoning(topic_name: str, pick: ItemPick) -> str:
    """``Tema: <topic> · p=<p 2dp> · θ=<θ 2dp> · Fisher=<I 3dp>`` (api.md §4.4)."""
    return (f"Tema: {topic_name} · p={_fixed(pick.p_known, 2)} · θ={_fixed(pick.theta, 2)} · "
            f"Fisher={_fixed(pick.information, 3)}")


# --- item calibration (§3.6) -------------------------------------------------------------------------------

MIN_CALIBRATION_OBSERVATIONS = 50
FIT_DISCRIMINATION_BOUNDS = (0.5, 3.0)
FIT_DIFFICULTY_BOUNDS = (-3.0, 3.0)
_PROBABILITY_FLOOR = 1e-9


@dataclass(frozen=True, slots=True)
class ItemCalibration:
    """Result of :func:`fit_2pl`. Readable as a mapping too (``result["a"]``)."""

    a: float
    b: float
    calibrated: bool
    log_likelihood: float | None = None
    observations: int = 0

    def __getitem__(self, key: str) -> Any:
        if key in _ITEM_CALIBRATION_FIELDS:
            return getattr(self, key)
        raise KeyError(key)

    def keys(self) -> tuple[str, ...]:
        return _ITEM_CALIBRATION_FIELDS

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in _ITEM_CALIBRATION_FIELDS}


_ITEM_CALIBRATION_FIELDS = ("a", "b", "calibrated", "log_likelihood", "observations")


def _observation_pair(observation: Any) -> tuple[float, float]:
    if isinstance(observation, Mapping):
        return float(observation["theta"]), 1.0 if observation["is_correct"] else 0.0
    theta, is_correct = observation
    return float(theta), 1.0 if is_correct else 0.0


def _clipped_probability(z: float) -> tuple[float, bool]:
    """σ(z) clipped to [1e-9, 1 − 1e-9]; the flag says whether the clip was active (flat there)."""
    p = 1.0 / (1.0 + math.exp(-z)) if z > -700.0 else 0.0
    if p < _PROBABILITY_FLOOR:
        return _PROBABILITY_FLOOR, True
    if p > 1.0 - _PROBABILITY_FLOOR:
        return 1.0 - _PROBABILITY_FLOOR, True
    return p, False


def item_log_likelihood(observations: Sequence[tuple[float, float]], a: float, b: float) -> float:
    """Σ y·ln P + (1 − y)·ln(1 − P) with P clipped to [1e-9, 1 − 1e-9] (the objective of §3.6)."""
    total = 0.0
    for theta, y in observations:
        p, _ = _clipped_probability(a * (theta - b))
        total += math.log(p) if y else math.log(1.0 - p)
    return total


def _derivatives(observations: Sequence[tuple[float, float]], a: float, b: float
                 ) -> tuple[float, float, float, float, float]:
    """Gradient (g_a, g_b) and Hessian (h_aa, h_ab, h_bb) of the log-likelihood at (a, b)."""
    g_a = g_b = h_aa = h_ab = h_bb = 0.0
    for theta, y in observations:
        distance = theta - b
        p, clipped = _clipped_probability(a * distance)
        if clipped:
            continue  # the clipped likelihood is flat in (a, b) there
        residual = y - p
        weight = p * (1.0 - p)
        g_a += residual * distance
        g_b -= residual * a
        h_aa -= weight * distance * distance
        h_bb -= weight * a * a
        h_ab += weight * a * distance - residual
    return g_a, g_b, h_aa, h_ab, h_bb


def _maximise_in_box(observations: Sequence[tuple[float, float]], start: tuple[float, float],
                     bounds: tuple[tuple[float, float], tuple[float, float]]) -> tuple[float, float]:
    """Projected Newton ascent with an active set and backtracking, for the two parameters (a, b).

    In (a, c = −a·b) the unclipped log-likelihood is a concave logistic regression and the box maps
    onto a convex polygon, so every local maximum in the box is the global one: any sound bounded
    ascent — L-BFGS-B as in the spec, or this — converges to the same (a, b).
    """
    point = [start[0], start[1]]
    value = item_log_likelihood(observations, *point)
    for _ in range(200):
        g_a, g_b, h_aa, h_ab, h_bb = _derivatives(observations, *point)
        gradient = (g_a, g_b)
        # A coordinate at a bound whose gradient points outwards stays fixed this iteration.
        free = [not ((point[i] <= bounds[i][0] and gradient[i] < 0)
                     or (point[i] >= bounds[i][1] and gradient[i] > 0)) for i in range(2)]
        if not any(free) or max(abs(gradient[i]) for i in range(2) if free[i]) < 1e-10:
            break
        direction = [0.0, 0.0]
        if all(free) and h_aa < 0 and h_aa * h_bb - h_ab * h_ab > 0:  # negative definite: Newton step
            determinant = h_aa * h_bb - h_ab * h_ab
            direction = [-(h_bb * g_a - h_ab * g_b) / determinant, -(h_aa * g_b - h_ab * g_a) / determinant]
        else:
            for i, curvature in enumerate((h_aa, h_bb)):
                if free[i]:
                    direction[i] = -gradient[i] / curvature if curvature < 0 else gradient[i]
        step = 1.0
        improved = False
        while step > 1e-12:
            candidate = [min(max(point[i] + step * direction[i], bounds[i][0]), bounds[i][1])
                         for i in range(2)]
            candidate_value = item_log_likelihood(observations, *candidate)
            if candidate_value > value:
                improved = True
                break
            step /= 2.0
        if not improved:
            break
        moved = max(abs(candidate[i] - point[i]) for i in range(2))
        point, value = candidate, candidate_value
        if moved < 1e-12:
            break
    return point[0], point[1]


def fit_2pl(observations: Iterable[Any], *,
            min_observations: int = MIN_CALIBRATION_OBSERVATIONS) -> ItemCalibration:
    """Maximum-likelihood (a, b) of one item from ``(θ, is_correct)`` observations (§3.6).

    Fewer than 50 observations → ``a = 1.0, b = 0.0``, not calibrated. Otherwise the bounded
    maximum over a ∈ [0.5, 3.0], b ∈ [−3, 3] from the start point (1.0, 0.0). θ is the caller's
    (the nightly job uses :func:`theta_for_item_calibration`). Observations may be pairs or
    mappings with ``theta`` and ``is_correct``.
    """
    pairs = [_observation_pair(observation) for observation in observations]
    if len(pairs) < min_observations:
        return ItemCalibration(DEFAULT_DISCRIMINATION, DEFAULT_DIFFICULTY, False, None, len(pairs))
    a, b = _maximise_in_box(pairs, (DEFAULT_DISCRIMINATION, DEFAULT_DIFFICULTY),
                            (FIT_DISCRIMINATION_BOUNDS, FIT_DIFFICULTY_BOUNDS))
    return ItemCalibration(a, b, True, item_log_likelihood(pairs, a, b), len(pairs))
