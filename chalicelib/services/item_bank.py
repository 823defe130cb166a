"""The exercise bank ("items", api.md §4.6): item views, teacher-authored items, generation requests."""
from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.domain.identity import Principal, Role
from chalicelib.domain.irt import difficulty_label
from chalicelib.messaging.messages import ExerciseGenerate
from chalicelib.messaging.sqs_publisher import OutgoingMessage, SqsPublisher
from chalicelib.services.topic_lookup import resolve_topic
from chalicelib.store import error_tags, exercises, topics
from chalicelib.store.database import Database

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def item_view(row: dict[str, Any]) -> dict[str, Any]:
    """An exercise as the item bank shows it, whichever content convention it was stored with."""
    content = row["content"] if isinstance(row["content"], dict) else {}
    prompt = content.get("prompt")
    if not (isinstance(prompt, str) and prompt):
        prompt = content.get("statement_latex") if isinstance(content.get("statement_latex"), str) else ""
    answer_latex = content.get("correct_answer_latex")
    if not isinstance(answer_latex, str):
        answer_latex = content.get("final_answer") if isinstance(content.get("final_answer"), str) else None
    expected = content.get("expectedAnswer")
    return {
        "id": row["id"], "topic_id": row["topic_id"], "topic_code": row["topic_code"],
        "topic_name": row["topic_name"],
        "content": {"prompt": prompt, "problem": prompt,
                    "expected_answer": float(expected) if _is_number(expected) else None,
                    "correct_answer_latex": answer_latex},
        "difficulty": difficulty_label(row["irt_b"]), "irt_a": row["irt_a"], "irt_b": row["irt_b"],
        "source": row["source"], "created_at": row["created_at"],
    }


def create_item(db: Database, principal: Principal, *, topic_id: str, prompt: str,
                expected_answer: float | None, irt_a: float, irt_b: float) -> dict[str, Any]:
    """A teacher-authored ACTIVE exercise of an existing topic; returns the raw Exercise row."""
    content: dict[str, Any] = {"prompt": prompt}
    if expected_answer is not None:
        content["expectedAnswer"] = expected_answer
    with db.transaction():
        if topics.get_topic(db, topic_id) is None:
            raise errors.NotFound(f"Topic {topic_id} not found")
        return exercises.insert_exercise(
            db, topic_id=topic_id, content=content, irt_a=irt_a, irt_b=irt_b, source="TEACHER_AUTHORED",
            created_by_teacher_id=principal.profile_id if principal.role is Role.TEACHER else None)


def list_items(db: Database, *, topic_reference: str | None, limit: int) -> list[dict[str, Any]]:
    """ACTIVE items of the topic a reference names (id, ``unit/code`` or unambiguous code), oldest first.

    No reference lists the whole bank; a reference that names no topic gives an empty list, an
    ambiguous one a 400 listing the candidates (DECISIONS.md §3).
    """
    topic_id = None
    if topic_reference is not None and topic_reference.strip():
        topic = resolve_topic(db, topic_reference, field="skillKey")
        if topic is None:
            return []
        topic_id = topic["id"]
    return [item_view(row) for row in exercises.list_active_items(db, topic_id=topic_id, limit=limit)]


def get_item(db: Database, exercise_id: str) -> dict[str, Any]:
    row = exercises.get_item(db, exercise_id)
    if row is None:
        raise errors.NotFound("Exercise not found")
    return item_view(row)


def get_irt(db: Database, exercise_id: str) -> dict[str, Any]:
    row = exercises.get_irt(db, exercise_id)
    if row is None:
        raise errors.NotFound("Exercise not found")
    return row


def request_generation(db: Database, publisher: SqsPublisher, *, subdomain_code: str, grade_level: int,
                       target_error_codes: list[str], count: int, trace_id: str) -> dict[str, Any]:
    """Queue an exercise-generation job for the AI engine (workers.md §7.7); nothing is written here.

    Every target code must be in the catalogue (404 otherwise), so no paid generation runs for a
    typo. The message carries the request's trace id.
    """
    codes = list(dict.fromkeys(target_error_codes))
    known = error_tags.existing_codes(db, codes)
    missing = [code for code in codes if code not in known]
    if missing:
        raise errors.NotFound(f"Error tag(s) not found: {', '.join(missing)}")
    message = ExerciseGenerate(subdomain_code=subdomain_code, grade_level=grade_level,
                               target_error_codes=codes, count=count, trace_id=trace_id)
    publisher.publish_best_effort("exercise_generate", OutgoingMessage(body=message, trace_id=trace_id))
    return {"generated": 0,
            "message": f"Generación de {count} ejercicio(s) encolada. Aparecerán en el banco en unos minutos."}
