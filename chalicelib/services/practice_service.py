"""Practice: a teacher's quick assignment and the next most informative exercise (api.md §4.11).

The recommender picks, among up to 500 active exercises, the one of greatest Fisher information at
the student's ability, θ = logit(clamp(p_known, 0.01, 0.99)) (DECISIONS.md §3, domain.md §3.3).
"""
from __future__ import annotations

import datetime as dt

from chalicelib import errors
from chalicelib.api.schemas.practice import PracticeAssignOut, PracticeExercise, RecommendNextOut
from chalicelib.domain import irt
from chalicelib.domain.identity import Principal
from chalicelib.services import access, assignment_service
from chalicelib.store import recommendations
from chalicelib.store.database import Database

PRACTICE_TITLE = "Práctica asignada"
MAX_CANDIDATES = 500


def assign_practice(db: Database, principal: Principal, *, student_id: str, item_ids: list[str],
                    due_at: dt.datetime | None = None) -> PracticeAssignOut:
    """Assign exercises to one student of the caller's courses ("Práctica asignada")."""
    created = assignment_service.create_assignment(
        db, principal, exercise_ids=item_ids, student_ids=[student_id], title=PRACTICE_TITLE,
        reason=assignment_service.REASON_TEACHER_MANUAL, due_at=due_at)
    return PracticeAssignOut(id=created["id"], student_id=student_id, item_ids=list(item_ids),
                             due_at=created["due_at"])


def recommend_next(db: Database, principal: Principal, *, student_id: str,
                   domain_id: str | None = None) -> RecommendNextOut:
    """The exercise of greatest information for the student (only topics of ``domain_id`` if given)."""
    access.require_student(db, principal, student_id, message=f"Student {student_id} not found")
    rows = recommendations.practice_candidates(db, student_id, domain_id, MAX_CANDIDATES)
    if not rows:
        raise errors.NotFound(f"No active exercises found for domain {domain_id}" if domain_id
                              else "No active exercises found")
    candidates = [irt.ItemCandidate(r["id"], r["topic_id"], r["irt_a"], r["irt_b"]) for r in rows]
    p_known_by_topic = {r["topic_id"]: r["p_known"] for r in rows if r["p_known"] is not None}
    pick = irt.pick_practice_item(candidates, p_known_by_topic)
    assert pick is not None  # there was at least one candidate
    row = next(r for r in rows if r["id"] == pick.item.item_id)
    exercise = PracticeExercise(id=row["id"], problem=row["prompt"] or f"Ejercicio {row['id'][:8]}",
                                topic_code=row["topic_code"], topic_name=row["topic_name"],
                                irt_a=row["irt_a"], irt_b=row["irt_b"])
    return RecommendNextOut(exercise=exercise, student_theta=pick.theta, reasoning=irt.practice_reasoning(pick))
