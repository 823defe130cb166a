"""BKT (domain.md §2, DECISIONS.md §3): update, sequences, calibration, trend_7d, mastery levels."""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.bkt import (
    CALIBRATION_GRID,
    DEFAULT_BKT_PARAMS,
    BktParams,
    MasteryLevel,
    bkt_log_likelihood,
    bkt_trajectory,
    bkt_update,
    bkt_update_sequence,
    calibrate_bkt,
    mastery_level,
    parent_band,
    student_sequences,
    trend_7d,
)


# --- update -------------------------------------------------------------------------------------------
def test_update_with_defaults_matches_the_closed_form_by_hand():
    # correct: 0.9·0.3 / (0.27 + 0.2·0.7) = 0.27/0.41; then + (1 − post)·0.1
    assert bkt_update(0.3, 0.1, 0.1, 0.2, True) == pytest.approx(0.27 / 0.41 + (1 - 0.27 / 0.41) * 0.1)
    # incorrect: 0.1·0.3 / (0.03 + 0.8·0.7) = 0.03/0.59
    assert bkt_update(0.3, 0.1, 0.1, 0.2, False) == pytest.approx(0.03 / 0.59 + (1 - 0.03 / 0.59) * 0.1)
    assert bkt_update(0.3, 0.1, 0.1, 0.2, True) == pytest.approx(0.6926829268292683, abs=1e-15)
    assert bkt_update(0.3, 0.1, 0.1, 0.2, False) == pytest.approx(0.14576271186440679, abs=1e-15)


def test_zero_denominator_keeps_the_prior_and_still_learns():
    # p_slip = 1 and prior = 1: a correct answer has probability 0 under the model.
    assert bkt_update(1.0, 0.1, 1.0, 0.0, True) == 1.0  # post = prior = 1 (not 0 → 0.1, not NaN)
    assert bkt_update(0.0, 0.25, 0.3, 0.0, True) == 0.25  # post = prior = 0, then the learning step


def test_a_correct_answer_at_0_999_stays_above_0_99_and_defaults_converge_to_one():
    assert bkt_update(0.999, 0.1, 0.1, 0.2, True) > 0.99
    assert bkt_update_sequence(None, [True] * 20) > 0.99


def test_sequence_starts_at_p_l0_without_a_record_and_at_the_prior_with_one():
    params = BktParams(p_l0=0.5, p_transit=0.0, p_slip=0.1, p_guess=0.2)
    assert bkt_update_sequence(None, [], params) == 0.5
    assert bkt_update_sequence(0.8, [], params) == 0.8
    assert bkt_update_sequence(None, [True], params) == bkt_update(0.5, 0.0, 0.1, 0.2, True)
    assert bkt_update_sequence(0.8, [False], params) == bkt_update(0.8, 0.0, 0.1, 0.2, False)
    after_first = bkt_update(0.5, 0.0, 0.1, 0.2, True)
    assert bkt_trajectory(None, [True, False], params) == [
        after_first, bkt_update(after_first, 0.0, 0.1, 0.2, False)]


probabilities = st.floats(0.0, 1.0)
valid_params = st.builds(BktParams, probabilities, probabilities, st.floats(0.0, 0.5),
                         st.floats(0.0, 0.5)).filter(lambda p: p.p_slip + p.p_guess < 1)


@settings(max_examples=300, deadline=None)
@given(prior=probabilities, transit=probabilities, slip=probabilities, guess=probabilities,
       correct=st.booleans())
def test_p_known_stays_in_the_unit_interval_for_any_parameters(prior, transit, slip, guess, correct):
    p_known = bkt_update(prior, transit, slip, guess, correct)
    assert 0.0 <= p_known <= 1.0 and not math.isnan(p_known)


# Rounding can move a value by an ulp or so; monotonicity is asserted up to that.
ROUNDING = 1e-12


@settings(max_examples=200, deadline=None)
@given(params=valid_params, prior=probabilities, length=st.integers(1, 30))
def test_repeated_correct_answers_never_lower_p_known(params, prior, length):
    trajectory = [prior] + bkt_trajectory(prior, [True] * length, params)
    assert all(later >= earlier - ROUNDING for earlier, later in zip(trajectory, trajectory[1:]))


@settings(max_examples=200, deadline=None)
@given(params=valid_params, prior=probabilities, length=st.integers(1, 30))
def test_repeated_wrong_answers_never_raise_p_known_without_learning(params, prior, length):
    params = BktParams(params.p_l0, 0.0, params.p_slip, params.p_guess)
    trajectory = [prior] + bkt_trajectory(prior, [False] * length, params)
    assert all(later <= earlier + ROUNDING for earlier, later in zip(trajectory, trajectory[1:]))


def test_wrong_answers_can_raise_p_known_when_learning_is_on():
    # The previous property needs p_transit = 0: with learning, a wrong answer at low p_known rises.
    assert bkt_update(0.01, 0.3, 0.1, 0.2, False) > 0.01


# --- parameters, levels, bands --------------------------------------------------------------------
def test_default_parameters_are_the_spec_defaults_and_valid():
    assert (DEFAULT_BKT_PARAMS.p_l0, DEFAULT_BKT_PARAMS.p_transit, DEFAULT_BKT_PARAMS.p_slip,
            DEFAULT_BKT_PARAMS.p_guess) == (0.3, 0.1, 0.1, 0.2)
    assert DEFAULT_BKT_PARAMS.is_valid


@pytest.mark.parametrize(("params", "problem"), [
    (BktParams(p_l0=1.2), "p_l0 must lie in [0, 1]"),
    (BktParams(p_slip=0.6, p_guess=0.1), "p_slip must be ≤ 0.5"),
    (BktParams(p_slip=0.1, p_guess=0.55), "p_guess must be ≤ 0.5"),
    (BktParams(p_slip=0.5, p_guess=0.5), "p_slip + p_guess must be < 1"),
])
def test_invalid_parameters_are_reported(params, problem):
    assert problem in params.validation_errors() and not params.is_valid


def test_parameters_from_a_mapping_fill_missing_values_with_defaults():
    assert BktParams.from_mapping({"p_slip": 0.05, "p_guess": None}) == BktParams(0.3, 0.1, 0.05, 0.2)


@pytest.mark.parametrize(("p_known", "level"), [
    (0.0, MasteryLevel.AT_RISK), (0.3999, MasteryLevel.AT_RISK), (0.4, MasteryLevel.DEVELOPING),
    (0.6999, MasteryLevel.DEVELOPING), (0.7, MasteryLevel.PROFICIENT), (0.9499, MasteryLevel.PROFICIENT),
    (0.95, MasteryLevel.MASTERED), (1.0, MasteryLevel.MASTERED),
])
def test_mastery_levels_use_the_decided_cut_offs(p_known, level):
    assert mastery_level(p_known) is level


@pytest.mark.parametrize(("p_known", "band"), [(0.39, "low"), (0.4, "mid"), (0.69, "mid"), (0.7, "high")])
def test_parent_band(p_known, band):
    assert parent_band(p_known) == band


# --- trend_7d -------------------------------------------------------------------------------------
NOW = datetime(2025, 3, 20, 12, tzinfo=timezone.utc)


def test_trend_is_p_known_now_minus_p_known_seven_days_ago():
    history = [(NOW - timedelta(days=10), False), (NOW - timedelta(days=8), False),
               (NOW - timedelta(days=2), True), (NOW - timedelta(days=1), True), (NOW, True)]
    week_ago = bkt_update_sequence(None, [False, False])
    now = bkt_update_sequence(None, [False, False, True, True, True])
    assert trend_7d(history, NOW) == pytest.approx(now - week_ago)
    assert trend_7d(list(reversed(history)), NOW) == pytest.approx(now - week_ago)  # any order
    assert trend_7d(history, NOW, p_known_now=0.5) == pytest.approx(0.5 - week_ago)


def test_an_attempt_exactly_seven_days_old_counts_as_history():
    history = [(NOW - timedelta(days=7), True), (NOW, False)]
    expected = bkt_update_sequence(None, [True, False]) - bkt_update_sequence(None, [True])
    assert trend_7d(history, NOW) == pytest.approx(expected)


def test_trend_is_none_without_an_attempt_older_than_seven_days():
    assert trend_7d([(NOW - timedelta(days=6, hours=23), True), (NOW, True)], NOW) is None
    assert trend_7d([], NOW) is None


def test_attempts_after_now_are_ignored():
    history = [(NOW - timedelta(days=9), True), (NOW + timedelta(days=1), False)]
    assert trend_7d(history, NOW) == pytest.approx(0.0)


def test_trend_uses_the_topic_parameters():
    history = [(NOW - timedelta(days=9), False), (NOW, True)]
    slow, fast = BktParams(p_transit=0.0), BktParams(p_transit=0.4)
    assert trend_7d(history, NOW, fast) != pytest.approx(trend_7d(history, NOW, slow))


# --- calibration ----------------------------------------------------------------------------------------
def synthetic_observations(params: BktParams, students: int, answers: int, seed: int):
    """Answers simulated from the BKT generative model (no forgetting)."""
    rng = random.Random(seed)
    observations = []
    for student in range(students):
        known = rng.random() < params.p_l0
        for moment in range(answers):
            correct = rng.random() >= params.p_slip if known else rng.random() < params.p_guess
            observations.append((f"s{student}", correct, moment))
            known = known or rng.random() < params.p_transit
    return observations


@pytest.mark.parametrize(("truth", "seed"), [
    (BktParams(0.3, 0.15, 0.1, 0.2), 1),
    (BktParams(0.5, 0.25, 0.05, 0.3), 2),
    (BktParams(0.2, 0.1, 0.2, 0.15), 3),
])
def test_calibration_recovers_generating_parameters_within_one_grid_step(truth, seed):
    # 4,000 students × 6 answers; tolerance: one grid step (0.05) on every parameter.
    result = calibrate_bkt(synthetic_observations(truth, 4000, 6, seed))
    for name in ("p_l0", "p_transit", "p_slip", "p_guess"):
        assert abs(result[name] - getattr(truth, name)) <= 0.05 + 1e-9, name


def literal_grid_search(sequences, slip_guess_values):
    """§2.6 word for word: every grid point, literal score, strictly greatest wins."""
    best, best_score = None, -math.inf
    for l0 in CALIBRATION_GRID:
        for transit in CALIBRATION_GRID:
            for slip in slip_guess_values:
                for guess in slip_guess_values:
                    if slip + guess >= 1:
                        continue
                    score = bkt_log_likelihood(sequences, BktParams(l0, transit, slip, guess))
                    if score > best_score:
                        best, best_score = (l0, transit, slip, guess), score
    return best, best_score


def test_calibration_finds_the_same_winner_as_the_literal_grid_search():
    observations = synthetic_observations(BktParams(0.35, 0.2, 0.1, 0.25), 10, 4, seed=7)
    sequences = student_sequences(observations)
    expected_point, expected_score = literal_grid_search(sequences, [v for v in CALIBRATION_GRID if v <= 0.5])
    result = calibrate_bkt(observations)
    assert (result.p_l0, result.p_transit, result.p_slip, result.p_guess) == expected_point
    assert result.log_likelihood == expected_score


def test_ties_keep_the_first_grid_point():
    # One answer per student: p_transit never influences the score, so all 19 values tie exactly.
    observations = [(f"s{i}", i % 3 == 0, 0) for i in range(60)]
    assert calibrate_bkt(observations).p_transit == CALIBRATION_GRID[0]


def test_calibration_stays_in_the_valid_region_unless_asked_for_the_full_grid():
    # Students who answer right, then wrong forever: the model can only explain it with a high slip.
    observations = [(f"s{i}", moment == 0, moment) for i in range(40) for moment in range(8)]
    restricted = calibrate_bkt(observations)
    full = calibrate_bkt(observations, valid_region_only=False)
    assert restricted.params.is_valid
    assert full.p_slip > 0.5
    assert full.log_likelihood > restricted.log_likelihood


def test_observations_are_grouped_by_student_and_sorted_by_time():
    observations = [("b", True, 3), ("a", False, 2), ("b", False, 1), {"student_id": "a", "is_correct": True,
                                                                        "timestamp": 1}]
    assert student_sequences(observations) == [[False, True], [True, False]]


def test_calibration_of_no_data_returns_the_first_grid_point_with_zero_likelihood():
    result = calibrate_bkt([])
    assert result.to_dict() == {"p_l0": 0.05, "p_transit": 0.05, "p_slip": 0.05, "p_guess": 0.05,
                                "log_likelihood": 0.0}
