"""The pure alert rules: thresholds, severities, dedup references and payload shapes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import alert_rules as rules
from chalicelib.domain.alert_rules import Thresholds, WeakTopic

NOW = datetime(2026, 5, 4, 10, 30, tzinfo=timezone.utc)
IDS = {"teacher_id": "t-1", "course_id": "c-1"}


@pytest.mark.parametrize(("ratio", "severity"), [
    (1.0, "HIGH"), (0.66, "HIGH"), (0.659, "MED"), (0.4, "MED"), (0.399, "LOW"), (0.0, "LOW")])
def test_severity_by_ratio(ratio, severity):
    assert rules.severity_by_ratio(ratio) == severity


def test_at_risk_needs_two_weak_topics_below_the_floor():
    weak = [WeakTopic("tp-b", "T-B", 0.2), WeakTopic("tp-a", "T-A", 0.39), WeakTopic("tp-c", "T-C", 0.4)]
    alert = rules.at_risk_student(**IDS, student_id="s-1", display_name="Ana", weak_topics=weak)
    assert alert.alert_type == "AT_RISK_STUDENT" and alert.severity == "HIGH"
    assert alert.topic_id == "tp-a" and alert.student_id == "s-1"  # first weak topic by code
    assert alert.payload == {"message": "Ana tiene 2 temas con dominio bajo el umbral de 0.4.",
                             "topics": [{"code": "T-A", "pKnown": 0.39}, {"code": "T-B", "pKnown": 0.2}],
                             "dedup_ref": "s-1"}
    assert rules.at_risk_student(**IDS, student_id="s-1", display_name="Ana", weak_topics=weak[:1]) is None
    assert rules.at_risk_student(**IDS, student_id="s-1", display_name="Ana",
                                 weak_topics=[weak[0], weak[2]]) is None  # 0.4 is not below 0.4


def test_student_drop_after_three_days_or_without_attempts():
    never = rules.student_drop(**IDS, student_id="s-1", display_name="Luis", last_attempt_at=None, now=NOW)
    assert never.severity == "MED" and never.topic_id is None and never.student_id == "s-1"
    assert never.payload == {"message": "Luis lleva más de 3 días sin realizar intentos.", "lastAttemptAt": None,
                             "dedup_ref": "s-1"}
    old = NOW - timedelta(days=3, seconds=1)
    assert rules.student_drop(**IDS, student_id="s-1", display_name="Luis", last_attempt_at=old,
                              now=NOW).payload["lastAttemptAt"] == "2026-05-01T10:29:59.000Z"
    assert rules.student_drop(**IDS, student_id="s-1", display_name="Luis", last_attempt_at=NOW - timedelta(days=3),
                              now=NOW) is None


def test_unit_off_track_below_0_3():
    alert = rules.unit_off_track(**IDS, unit_id="u-1", unit_name="Fracciones", avg_p_known=0.2567)
    assert alert.severity == "HIGH" and alert.topic_id is None and alert.student_id is None
    assert alert.payload == {"message": "El dominio promedio del curso en la unidad Fracciones es 0.26.",
                             "unitId": "u-1", "avgPKnown": 0.2567, "dedup_ref": "u-1"}
    assert rules.unit_off_track(**IDS, unit_id="u-1", unit_name="x", avg_p_known=0.3) is None


def test_common_error_in_topic_by_share_of_the_course():
    alert = rules.common_error_in_topic(**IDS, topic_id="tp-1", topic_code="T-1", struggling_students=2,
                                        course_size=3)
    assert alert.severity == "HIGH" and alert.topic_id == "tp-1"
    assert alert.payload == {"course_id": "c-1", "topic_code": "T-1", "struggling_students": 2, "course_size": 3,
                             "ratio": 0.667, "dedup_ref": "tp-1"}
    assert rules.common_error_in_topic(**IDS, topic_id="tp-1", topic_code="T-1", struggling_students=5,
                                       course_size=10).severity == "MED"
    assert rules.common_error_in_topic(**IDS, topic_id="tp-1", topic_code="T-1", struggling_students=4,
                                       course_size=9) is None
    assert rules.common_error_in_topic(**IDS, topic_id="tp-1", topic_code="T-1", struggling_students=0,
                                       course_size=0) is None


def test_guide_grading_complete_at_ninety_percent():
    alert = rules.guide_grading_complete(**IDS, guide_id="g-1", title="Guía 1", graded_students=9, course_size=10)
    assert alert.severity == "LOW"
    assert alert.payload == {"guide_id": "g-1", "title": "Guía 1", "graded_students": 9, "course_size": 10,
                             "ratio": 0.9, "dedup_ref": "g-1"}
    assert rules.guide_grading_complete(**IDS, guide_id="g-1", title="x", graded_students=8, course_size=10) is None


def test_guide_common_error_ignores_special_codes():
    alert = rules.guide_common_error(**IDS, guide_id="g-1", question_id="q-1", error_code="BORROW_OMITTED_TENS",
                                     n_students=3, course_size=10)
    assert alert.severity == "LOW" and alert.dedup_ref == "q-1:BORROW_OMITTED_TENS"
    assert alert.payload["ratio"] == 0.3 and alert.payload["n_students"] == 3
    for code in ("CORRECT", "UNCLASSIFIED", "TRANSVERSAL_LIKELY"):
        assert rules.guide_common_error(**IDS, guide_id="g-1", question_id="q-1", error_code=code, n_students=10,
                                        course_size=10) is None
    assert rules.guide_common_error(**IDS, guide_id="g-1", question_id="q-1", error_code="X", n_students=2,
                                    course_size=10) is None


def test_thresholds_are_parameters():
    strict = Thresholds(at_risk_min_topics=3)
    weak = [WeakTopic("a", "A", 0.1), WeakTopic("b", "B", 0.1)]
    assert rules.at_risk_student(**IDS, student_id="s", display_name="x", weak_topics=weak, thresholds=strict) is None
