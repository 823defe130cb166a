"""Mastery reads (api.md §4.4): a student's records, the course view, the heatmap, the recommender.

Access (DECISIONS.md §2): a student reads their own mastery, a teacher that of the students of the
courses they teach and those courses' views, an admin everything; parents never see raw numbers
(the routes refuse them). A foreign student or course answers 404.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import errors
from chalicelib.api.schemas.mastery import (
    CourseAttemptOut,
    CourseTopicOut,
    RecommendationOut,
    StudentCourseMasteryOut,
    TopicMasteryOut,
)
from chalicelib.api.schemas.practice import PracticeExercise
from chalicelib.domain import course_mastery as views
from chalicelib.domain.bkt import mastery_level
from chalicelib.domain.identity import Principal, Role
from chalicelib.domain.irt import ItemCandidate, course_reasoning, pick_course_item
from chalicelib.services import access
from chalicelib.store import mastery as mastery_store
from chalicelib.store.database import Database

RECOMMENDATION_ITEMS_PER_TOPIC = 50


# -- GET /mastery/:studentId -------------------------------------------------------------------------

def student_mastery(db: Database, principal: Principal, student_id: str) -> list[TopicMasteryOut]:
    """One entry per mastery record of the student (404 for a student the caller may not see)."""
    access.require_student(db, principal, student_id)
    return [TopicMasteryOut(student_id=r["student_id"], topic_id=r["topic_id"], topic_code=r["topic_code"],
                            topic_name=r["topic_name"], p_known=r["p_known"],
                            mastery_level=mastery_level(r["p_known"]).value, attempts_count=r["attempts_count"],
                            trend_7d=r["trend_7d"], last_attempt_at=r["last_attempt_at"])
            for r in mastery_store.student_mastery(db, student_id)]


# -- course view and heatmap ---------------------------------------------------------------------------

def _subdomain(row: dict[str, Any]) -> views.Subdomain | None:
    if row["subdomain_id"] is None:
        return None
    return views.Subdomain(row["subdomain_id"], row["subdomain_code"], row["subdomain_name"], row["domain_id"],
                           row["domain_code"], row["domain_name"])


def _course_inputs(db: Database, course_id: str, per_student: int
                   ) -> list[tuple[dict[str, Any], list[views.AttemptView], list[views.MasteryView]]]:
    roster = mastery_store.course_roster(db, course_id)
    attempts: dict[str, list[views.AttemptView]] = {}
    for row in mastery_store.recent_course_attempts(db, course_id, per_student):
        attempts.setdefault(row["student_id"], []).append(views.AttemptView(
            row["id"], row["is_correct"], row["error_tag_code"], row["error_tag_name"], row["classifier_source"],
            row["confidence"], row["created_at"], row["exercise_prompt"], _subdomain(row)))
    mastery: dict[str, list[views.MasteryView]] = {}
    for row in mastery_store.course_mastery(db, course_id):
        subdomain = _subdomain(row)
        assert subdomain is not None  # the query keeps placed topics only
        mastery.setdefault(row["student_id"], []).append(views.MasteryView(row["topic_id"], row["p_known"], subdomain))
    return [(student, attempts.get(student["student_id"], []), mastery.get(student["student_id"], []))
            for student in roster]


def course_mastery(db: Database, principal: Principal, course_id: str) -> list[StudentCourseMasteryOut]:
    """Per ACTIVE enrolment: live subdomains, the 20 latest attempts and the error frequencies
    (over the 50 latest attempts in the course)."""
    access.require_course(db, principal, course_id, manage=True)
    result = []
    for student, attempts, mastery in _course_inputs(db, course_id, views.COURSE_VIEW_ATTEMPTS):
        values = views.subdomain_values(attempts, mastery)
        result.append(StudentCourseMasteryOut(
            student_id=student["student_id"], display_name=student["display_name"],
            # "topics" of the course view are subdomains
            topics=[CourseTopicOut(topic_code=v.subdomain.code, topic_name=v.subdomain.name, p_known=v.p_known,
                                   attempts_count=v.attempts_count)
                    for v in views.ordered_for_course_view(values.values())],
            attempts=[CourseAttemptOut(id=a.id, exercise_prompt=views.prompt_text(a.exercise_prompt),
                                       is_correct=a.is_correct, error_tag_code=a.error_tag_code,
                                       error_tag_name=views.empty_as_null(a.error_tag_name),
                                       classifier_source=a.classifier_source, confidence=a.confidence,
                                       created_at=a.created_at)
                      for a in attempts[:views.COURSE_VIEW_HISTORY]],
            error_frequency=views.error_frequency(attempts),
        ))
    return result


def course_heatmap(db: Database, principal: Principal, course_id: str) -> views.Heatmap:
    """Students × domains of the course, from each student's 100 most recent attempts and all mastery."""
    access.require_course(db, principal, course_id, manage=True)
    return views.heatmap([(student["student_id"], student["display_name"], views.subdomain_values(attempts, mastery))
                          for student, attempts, mastery in _course_inputs(db, course_id, views.HEATMAP_ATTEMPTS)])


# -- GET /mastery/recommend/:courseId/:studentId -------------------------------------------------------

def _require_course_student(db: Database, principal: Principal, course_id: str, student_id: str) -> None:
    access.require_course(db, principal, course_id)
    if principal.role is Role.STUDENT:
        if principal.profile_id != student_id:
            raise errors.NotFound("Student not found")
    elif not mastery_store.is_enrolled(db, course_id, student_id):
        raise errors.NotFound("Student not found")


def _problem_text(content: Any) -> str:
    if isinstance(content, dict):
        for key in ("prompt", "problem"):
            if isinstance(content.get(key), str):
                return content[key]
    return "—"


def recommend_exercise(db: Database, principal: Principal, course_id: str, student_id: str) -> RecommendationOut:
    """The most informative open exercise of the student's weakest topic (domain.md §3.4).

    θ = logit(clamp(p_known, 0.01, 0.99)) (DECISIONS.md §3, :func:`chalicelib.domain.irt.ability_from_p_known`).
    404 when the student has no mastery record or every topic is exhausted.
    """
    _require_course_student(db, principal, course_id, student_id)
    records = mastery_store.recommendation_mastery(db, student_id)
    if not records:
        raise errors.NotFound("No available exercises for this student")
    rows = mastery_store.recommendation_candidates(db, student_id, course_id, RECOMMENDATION_ITEMS_PER_TOPIC)
    items_by_topic: dict[str, list[ItemCandidate]] = {}
    content_by_item: dict[str, Any] = {}
    for row in rows:
        items_by_topic.setdefault(row["topic_id"], []).append(
            ItemCandidate(row["id"], row["topic_id"], row["irt_a"], row["irt_b"]))
        content_by_item[row["id"]] = row["content"]
    pick = pick_course_item(_mastery_pairs(records), items_by_topic,
                            per_topic_limit=RECOMMENDATION_ITEMS_PER_TOPIC)
    if pick is None:
        raise errors.NotFound("No available exercises for this student")
    topic = next(r for r in records if r["topic_id"] == pick.item.topic_id)
    return RecommendationOut(
        exercise=PracticeExercise(id=pick.item.item_id, problem=_problem_text(content_by_item[pick.item.item_id]),
                                  topic_code=topic["topic_code"], topic_name=topic["topic_name"],
                                  irt_a=pick.item.a, irt_b=pick.item.b),
        student_theta=pick.theta,
        reasoning=course_reasoning(topic["topic_name"], pick),
    )


def _mastery_pairs(records: Iterable[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(r["topic_id"], r["p_known"]) for r in records]
