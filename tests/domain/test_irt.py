"""IRT 2PL (domain.md §3, DECISIONS.md §3): model, θ mappings, the three pickers, item calibration."""
from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.irt import (
    FIT_DIFFICULTY_BOUNDS,
    FIT_DISCRIMINATION_BOUNDS,
    ItemCandidate,
    MasteryRecord,
    ability_from_p_known,
    course_reasoning,
    difficulty_label,
    fisher_information,
    fit_2pl,
    irt_probability,
    item_log_likelihood,
    item_parameter_errors,
    pick_course_item,
    pick_practice_item,
    practice_reasoning,
    recommend_assignment_items,
    theta_for_assignment_recommender,
    theta_for_course_recommendation,
    theta_for_item_calibration,
    theta_for_practice,
)


# --- model -----------------------------------------------------------------------------------------
def test_probability_and_information_at_known_points():
    assert irt_probability(0.0, 1.0, 0.0) == 0.5
    assert irt_probability(1.0, 2.0, 0.5) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert fisher_information(0.3, 2.0, 0.3) == pytest.approx(1.0)  # a²/4 at θ = b
    assert irt_probability(-1000.0, 3.0, 3.0) == 0.0 and irt_probability(1000.0, 3.0, -3.0) == 1.0


thetas = st.floats(-6, 6)
discriminations = st.floats(0.1, 3.0)
difficulties = st.floats(-3, 3)


@settings(max_examples=300, deadline=None)
@given(theta=thetas, a=discriminations, b=difficulties)
def test_probability_is_monotone_in_theta_and_information_peaks_at_b(theta, a, b):
    p = irt_probability(theta, a, b)
    assert 0.0 <= p <= 1.0
    assert irt_probability(theta + 0.5, a, b) >= p
    assert irt_probability(theta, a, b + 0.5) <= p
    information = fisher_information(theta, a, b)
    peak = fisher_information(b, a, b)
    assert peak == pytest.approx(a * a / 4)
    assert 0.0 <= information <= peak + 1e-15
    # Symmetric around b.
    mirrored = fisher_information(b - (theta - b), a, b)
    assert fisher_information(theta, a, b) == pytest.approx(mirrored, abs=1e-12)


@pytest.mark.parametrize(("b", "label"), [(-0.41, "easy"), (-0.4, "easy"), (-0.39, "medium"),
                                          (0.69, "medium"), (0.7, "hard"), (3.0, "hard")])
def test_difficulty_labels(b, label):
    assert difficulty_label(b) == label


def test_item_parameter_ranges():
    assert item_parameter_errors(1.0, 0.0) == []
    assert item_parameter_errors(0.05, 3.5) == ["a must lie in [0.1, 3.0]", "b must lie in [-3, 3]"]


# --- θ mappings -------------------------------------------------------------------------------------
def test_the_single_convention_is_logit_of_p_known_clamped_to_1_and_99_percent():
    assert ability_from_p_known(0.5) == 0.0
    assert ability_from_p_known(0.3) == pytest.approx(math.log(0.3 / 0.7))
    assert ability_from_p_known(0.0) == pytest.approx(math.log(0.01 / 0.99))
    assert ability_from_p_known(1.0) == pytest.approx(math.log(0.99 / 0.01))


def test_the_legacy_mappings_stay_available():
    assert theta_for_practice(None) == pytest.approx(-0.8472978603872037)  # p = 0.3
    assert theta_for_practice(0.0) == pytest.approx(math.log(0.05 / 0.95))
    assert theta_for_practice(0.99) == pytest.approx(math.log(0.95 / 0.05))
    assert theta_for_course_recommendation(0.995) == pytest.approx(math.log(0.99 / 0.01))
    assert theta_for_assignment_recommender(0.42) == 0.42
    assert theta_for_item_calibration(0.25) == -0.5


@settings(max_examples=200, deadline=None)
@given(p=st.floats(0.0, 1.0), q=st.floats(0.0, 1.0))
def test_ability_is_monotone_and_bounded(p, q):
    low, high = sorted((p, q))
    assert ability_from_p_known(low) <= ability_from_p_known(high)
    assert abs(ability_from_p_known(p)) <= math.log(99) + 1e-12


# --- pickers ----------------------------------------------------------------------------------------
def items(*specs):
    return [ItemCandidate(item_id, topic, a, b) for item_id, topic, a, b in specs]


def test_practice_picks_the_most_informative_item_for_each_topic_ability():
    candidates = items(("far", "t1", 1.0, 2.5), ("near", "t1", 1.0, -0.8), ("sharp", "t2", 2.0, 1.4))
    pick = pick_practice_item(candidates, {"t1": 0.3, "t2": 0.8})
    # t2: θ = logit(0.8) ≈ 1.386 right at b = 1.4 with a = 2 → I ≈ 1.0, beats t1's ≈ 0.25.
    assert pick.item.item_id == "sharp"
    assert pick.theta == pytest.approx(math.log(4)) and pick.information == pytest.approx(1.0, abs=1e-3)


def test_practice_without_record_assumes_0_3_and_ties_keep_the_first():
    candidates = items(("first", "t9", 1.0, 0.0), ("second", "t9", 1.0, 0.0))
    pick = pick_practice_item(candidates, {})
    assert pick.item.item_id == "first" and pick.p_known == 0.3
    assert pick_practice_item([], {}) is None


def test_practice_can_use_the_previous_backends_mapping():
    candidates = items(("x", "t1", 1.0, 0.0))
    assert pick_practice_item(candidates, {"t1": 0.999}, theta_from_p_known=theta_for_practice).theta == (
        pytest.approx(math.log(0.95 / 0.05)))
    assert pick_practice_item(candidates, {"t1": 0.999}).theta == pytest.approx(math.log(0.99 / 0.01))


def test_course_pick_takes_the_weakest_topic_with_an_open_item():
    mastery = [("strong", 0.9), ("weakest", 0.1), ("weak", 0.4)]
    catalogue = {"weakest": items(("done", "weakest", 1.0, 0.0)),
                 "weak": items(("w1", "weak", 1.0, 2.0), ("w2", "weak", 1.0, -0.4)),
                 "strong": items(("s1", "strong", 1.0, 2.0))}
    pick = pick_course_item(mastery, catalogue, excluded_item_ids={"done"})
    assert pick.item.item_id == "w2" and pick.p_known == 0.4  # θ = logit(0.4) ≈ −0.405, b = −0.4
    assert pick_course_item(mastery, catalogue, excluded_item_ids={"done", "w1", "w2", "s1"}) is None
    assert pick_course_item([], catalogue) is None


def test_course_pick_considers_only_the_first_fifty_open_items_of_a_topic():
    catalogue = {"t": items(*[(f"i{n}", "t", 1.0, 3.0) for n in range(50)], ("best", "t", 1.0, 0.0))}
    assert pick_course_item([("t", 0.5)], catalogue).item.item_id == "i0"
    assert pick_course_item([("t", 0.5)], catalogue, excluded_item_ids={"i0"}).item.item_id == "best"


def test_assignment_recommender_skips_blocked_topics_and_keeps_the_top_n_by_information():
    mastery = [MasteryRecord("base", 0.7), MasteryRecord("next", 0.5, ("base",)),
               MasteryRecord("blocked", 0.5, ("base", "missing")), MasteryRecord("weak_base", 0.2),
               MasteryRecord("after_weak", 0.5, ("weak_base",))]
    catalogue = {topic: items(*[(f"{topic}-{n}", topic, 1.0, b) for n, b in enumerate((-2.0, 0.0, 0.85))])
                 for topic in ("base", "next", "blocked", "weak_base", "after_weak")}
    picks = recommend_assignment_items(mastery, catalogue, top_n=4)
    chosen = [pick.item.item_id for pick in picks]
    assert not {"blocked", "after_weak"} & {item.split("-")[0] for item in chosen}
    assert len(chosen) == 4
    assert [pick.information for pick in picks] == sorted((pick.information for pick in picks), reverse=True)
    # θ(0.5) = 0 = b gives exactly a²/4; θ(0.7) ≈ 0.847 against b = 0.85 falls just short of it.
    assert chosen[:2] == ["next-1", "base-2"]


def test_assignment_recommender_keeps_discovery_order_on_ties():
    mastery = [MasteryRecord("a", 0.5), MasteryRecord("b", 0.5)]
    catalogue = {"a": items(("a1", "a", 1.0, 0.0)), "b": items(("b1", "b", 1.0, 0.0))}
    assert [p.item.item_id for p in recommend_assignment_items(mastery, catalogue)] == ["a1", "b1"]
    assert recommend_assignment_items([], catalogue) == []


def test_candidates_from_wire_shaped_mappings():
    wire = {"id": "e1", "topic_id": "t", "irtA": 1.5, "irtB": None}
    assert ItemCandidate.from_mapping(wire) == ItemCandidate("e1", "t", 1.5, 0.0)


def test_reasoning_strings_use_the_api_formats_and_javascript_rounding():
    pick = pick_practice_item(items(("x", "t", 1.0, 0.125)), {"t": 0.5})
    assert practice_reasoning(pick) == "θ = 0.00, b = 0.13 → I(θ) = 0.249 (Fisher máx)"
    assert course_reasoning("Resta", pick) == "Tema: Resta · p=0.50 · θ=0.00 · Fisher=0.249"


# --- fit_2pl -----------------------------------------------------------------------------------------
def simulated_answers(a, b, count, seed, spread=2.0):
    rng = random.Random(seed)
    answers = []
    for _ in range(count):
        theta = rng.uniform(-spread, spread)
        answers.append((theta, rng.random() < irt_probability(theta, a, b)))
    return answers


@pytest.mark.parametrize(("a", "b", "seed"), [(1.5, 0.3, 1), (0.8, -1.0, 2), (2.5, 0.5, 3), (1.0, 1.2, 4)])
def test_fit_recovers_generating_parameters(a, b, seed):
    # 6,000 answers; tolerance: 10 % on a, 0.1 on b.
    result = fit_2pl(simulated_answers(a, b, 6000, seed))
    assert result.calibrated
    assert result["a"] == pytest.approx(a, rel=0.10)
    assert result["b"] == pytest.approx(b, abs=0.10)


def test_fewer_than_fifty_observations_are_not_calibrated():
    result = fit_2pl(simulated_answers(2.0, 1.0, 49, 5))
    assert (result.a, result.b, result.calibrated) == (1.0, 0.0, False)
    assert fit_2pl(simulated_answers(2.0, 1.0, 50, 5)).calibrated


def test_fit_reaches_the_maximum_of_the_box():
    answers = simulated_answers(1.7, -0.6, 200, seed=6, spread=1.0)
    result = fit_2pl(answers)
    best_on_grid = max(item_log_likelihood(answers, 0.5 + 0.05 * i, -3 + 0.05 * j)
                       for i in range(51) for j in range(121))
    assert result.log_likelihood >= best_on_grid - 1e-9
    assert FIT_DISCRIMINATION_BOUNDS[0] <= result.a <= FIT_DISCRIMINATION_BOUNDS[1]
    assert FIT_DIFFICULTY_BOUNDS[0] <= result.b <= FIT_DIFFICULTY_BOUNDS[1]


def test_fit_stops_at_the_bounds_when_the_data_push_beyond():
    always_right = [{"theta": theta / 10, "is_correct": True} for theta in range(-10, 10)] * 3
    result = fit_2pl(always_right)
    assert (result.a, result.b) == (3.0, -3.0)
