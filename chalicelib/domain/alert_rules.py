"""Teacher alert rules of the hourly generator (DECISIONS.md §4, domain.md §4, workers.md §5).

Pure: thresholds, severities, deduplication references and payloads. The SQL of
``chalicelib/store/alerts_generation.py`` pre-selects candidates with the same thresholds (so that
only likely alerts leave the database); each function here makes the final decision — returning
``None`` when the rule does not fire — and shapes the alert.

Every alert carries ``payload.dedup_ref``, the subject of the alert (a student, unit, topic, guide
or ``<question id>:<code>``): with teacher, type, course and UTC day it forms the unique key of
``teacher_alerts_dedup_key``, so repeated or concurrent runs never duplicate an alert.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

AT_RISK_STUDENT = "AT_RISK_STUDENT"
STUDENT_DROP = "STUDENT_DROP"
UNIT_OFF_TRACK = "UNIT_OFF_TRACK"
COMMON_ERROR_IN_TOPIC = "COMMON_ERROR_IN_TOPIC"
GUIDE_GRADING_COMPLETE = "GUIDE_GRADING_COMPLETE"
GUIDE_COMMON_ERROR = "GUIDE_COMMON_ERROR"

LOW, MED, HIGH = "LOW", "MED", "HIGH"

# Tags that name no error a teacher could act on (domain.md §4.2).
IGNORED_ERROR_CODES = ("CORRECT", "UNCLASSIFIED", "TRANSVERSAL_LIKELY")


@dataclass(frozen=True)
class Thresholds:
    """The rule parameters: seed rules (DECISIONS.md §4) and domain.md §4.2 defaults."""

    at_risk_floor: float = 0.4  # p_known below this is a weak topic
    at_risk_min_topics: int = 2  # weak active topics that make a student at risk
    inactivity: timedelta = timedelta(days=3)  # STUDENT_DROP: no attempt in the subject for this long
    unit_off_track_floor: float = 0.3  # course-wide mean p_known of a unit
    topic_struggle_floor: float = 0.4  # COMMON_ERROR_IN_TOPIC: a student struggles below this
    topic_struggle_ratio: float = 0.5  # … and the alert fires when this share of the course struggles
    guide_completion_ratio: float = 0.9  # share of the course with a graded submission
    guide_common_error_ratio: float = 0.3  # share of the course showing the same error on a question


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class AlertDraft:
    """One alert to insert into ``teacher_alerts``."""

    teacher_id: str
    course_id: str
    alert_type: str
    severity: str
    payload: dict[str, Any]
    topic_id: str | None = None
    student_id: str | None = None

    @property
    def dedup_ref(self) -> str:
        return self.payload["dedup_ref"]


@dataclass(frozen=True)
class WeakTopic:
    topic_id: str
    code: str
    p_known: float


def severity_by_ratio(ratio: float) -> str:
    """domain.md §4.2: ≥ 0.66 HIGH, ≥ 0.4 MED, else LOW."""
    if ratio >= 0.66:
        return HIGH
    return MED if ratio >= 0.4 else LOW


def share(part: int, whole: int) -> float | None:
    """``part / whole``, or None when the whole is empty (a course without active students)."""
    return part / whole if whole > 0 else None


def question_error_ref(question_id: str, error_code: str) -> str:
    return f"{question_id}:{error_code}"


def _iso_z(value: datetime) -> str:
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def at_risk_student(*, teacher_id: str, course_id: str, student_id: str, display_name: str,
                    weak_topics: Sequence[WeakTopic], thresholds: Thresholds = THRESHOLDS) -> AlertDraft | None:
    """HIGH when the student's p_known is below the floor in at least two *active* topics of the
    course's subject (the caller passes only topics with at least one attempt)."""
    weak = sorted((t for t in weak_topics if t.p_known < thresholds.at_risk_floor), key=lambda t: t.code)
    if len(weak) < thresholds.at_risk_min_topics:
        return None
    message = (f"{display_name} tiene {len(weak)} temas con dominio bajo el umbral de "
               f"{thresholds.at_risk_floor:g}.")
    return AlertDraft(teacher_id, course_id, AT_RISK_STUDENT, HIGH, topic_id=weak[0].topic_id,
                      student_id=student_id, payload={
                          "message": message,
                          "topics": [{"code": t.code, "pKnown": t.p_known} for t in weak],
                          "dedup_ref": student_id})


def student_drop(*, teacher_id: str, course_id: str, student_id: str, display_name: str,
                 last_attempt_at: datetime | None, now: datetime,
                 thresholds: Thresholds = THRESHOLDS) -> AlertDraft | None:
    """MED when the student has no attempt in the course's subject, or none since ``now − 3 days``."""
    if last_attempt_at is not None and last_attempt_at >= now - thresholds.inactivity:
        return None
    days = thresholds.inactivity.days
    return AlertDraft(teacher_id, course_id, STUDENT_DROP, MED, student_id=student_id, payload={
        "message": f"{display_name} lleva más de {days} días sin realizar intentos.",
        "lastAttemptAt": _iso_z(last_attempt_at) if last_attempt_at else None,
        "dedup_ref": student_id})


def unit_off_track(*, teacher_id: str, course_id: str, unit_id: str, unit_name: str, avg_p_known: float,
                   thresholds: Thresholds = THRESHOLDS) -> AlertDraft | None:
    """HIGH when the mean p_known of all the course's mastery rows in a unit is below 0.3."""
    if avg_p_known >= thresholds.unit_off_track_floor:
        return None
    return AlertDraft(teacher_id, course_id, UNIT_OFF_TRACK, HIGH, payload={
        "message": f"El dominio promedio del curso en la unidad {unit_name} es {avg_p_known:.2f}.",
        "unitId": unit_id, "avgPKnown": avg_p_known, "dedup_ref": unit_id})


def common_error_in_topic(*, teacher_id: str, course_id: str, topic_id: str, topic_code: str,
                          struggling_students: int, course_size: int,
                          thresholds: Thresholds = THRESHOLDS) -> AlertDraft | None:
    """When at least half of the course's active students struggle in a topic; severity by ratio."""
    ratio = share(struggling_students, course_size)
    if ratio is None or ratio < thresholds.topic_struggle_ratio:
        return None
    return AlertDraft(teacher_id, course_id, COMMON_ERROR_IN_TOPIC, severity_by_ratio(ratio), topic_id=topic_id,
                      payload={"course_id": course_id, "topic_code": topic_code,
                               "struggling_students": struggling_students, "course_size": course_size,
                               "ratio": round(ratio, 3), "dedup_ref": topic_id})


def guide_grading_complete(*, teacher_id: str, course_id: str, guide_id: str, title: str, graded_students: int,
                           course_size: int, thresholds: Thresholds = THRESHOLDS) -> AlertDraft | None:
    """LOW when at least 90 % of the course has a graded submission of a published guide."""
    ratio = share(graded_students, course_size)
    if ratio is None or ratio < thresholds.guide_completion_ratio:
        return None
    return AlertDraft(teacher_id, course_id, GUIDE_GRADING_COMPLETE, LOW, payload={
        "guide_id": guide_id, "title": title, "graded_students": graded_students, "course_size": course_size,
        "ratio": round(ratio, 3), "dedup_ref": guide_id})


def guide_common_error(*, teacher_id: str, course_id: str, guide_id: str, question_id: str, error_code: str,
                       n_students: int, course_size: int,
                       thresholds: Thresholds = THRESHOLDS) -> AlertDraft | None:
    """When at least 30 % of the course made the same error on a guide question; severity by ratio."""
    ratio = share(n_students, course_size)
    if error_code in IGNORED_ERROR_CODES or ratio is None or ratio < thresholds.guide_common_error_ratio:
        return None
    return AlertDraft(teacher_id, course_id, GUIDE_COMMON_ERROR, severity_by_ratio(ratio), payload={
        "guide_id": guide_id, "guide_question_id": question_id, "error_code": error_code,
        "n_students": n_students, "course_size": course_size, "ratio": round(ratio, 3),
        "dedup_ref": question_error_ref(question_id, error_code)})
