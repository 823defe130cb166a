"""SQL of guide submissions: the student side (quiz, submissions, completion, results) and the
teacher's view of them (results matrix, submission detail, error-tag override).

The effective error tag of a submission is the teacher override when set, else the tag of the
linked attempt (api.md §1.9, DECISIONS.md §3): ``COALESCE(override_error_tag_id, attempt tag)``.
"""
from __future__ import annotations

from typing import Any

from chalicelib.store.database import Database

_EFFECTIVE_TAG_JOIN = """
LEFT JOIN attempts a ON a.id = s.attempt_id
LEFT JOIN error_tags et ON et.id = COALESCE(s.override_error_tag_id, a.error_tag_id)
"""

# -- student side ------------------------------------------------------------------------------

_PUBLISHED_GUIDE_FOR_STUDENT = """
SELECT g.*,
       EXISTS (SELECT 1 FROM enrollments e
               WHERE e.course_id = g.course_id AND e.student_id = :student_id AND e.status = 'ACTIVE')
         AS caller_enrolled
FROM guides g
WHERE g.id = :guide_id AND g.status = 'PUBLISHED'
"""


def published_guide_for_student(db: Database, guide_id: str, student_id: str) -> dict[str, Any] | None:
    """The guide when it is PUBLISHED (else None), with ``caller_enrolled`` (ACTIVE enrolment)."""
    return db.fetch_one(_PUBLISHED_GUIDE_FOR_STUDENT, {"guide_id": guide_id, "student_id": student_id})


_STUDENT_GUIDES = """
SELECT g.id, g.title, g.description, g.due_at,
       (SELECT count(*) FROM guide_questions q WHERE q.guide_id = g.id AND q.status = 'APPROVED')
         AS total_questions,
       (SELECT count(DISTINCT s.guide_question_id) FROM guide_submissions s
        WHERE s.guide_id = g.id AND s.student_id = :student_id AND s.status = 'GRADED') AS graded_questions
FROM guides g
JOIN enrollments e ON e.course_id = g.course_id AND e.student_id = :student_id AND e.status = 'ACTIVE'
WHERE g.status = 'PUBLISHED'
ORDER BY g.due_at ASC NULLS LAST, g.published_at DESC, g.id
"""


def student_guides(db: Database, student_id: str) -> list[dict[str, Any]]:
    return db.fetch_all(_STUDENT_GUIDES, {"student_id": student_id})


# One row per (approved question, own submission); questions without submissions appear once with
# NULL submission columns. Grouped by the service.
_QUIZ_ROWS = """
SELECT q.id, q.sequence, q.label, q.statement_latex, q.statement_json, q.figure_keys, q.points,
       s.id AS submission_id, s.attempt_number, s.status AS submission_status, s.score, s.is_correct,
       s.graded_at
FROM guide_questions q
LEFT JOIN guide_submissions s ON s.guide_question_id = q.id AND s.student_id = :student_id
WHERE q.guide_id = :guide_id AND q.status = 'APPROVED'
ORDER BY q.sequence, s.attempt_number DESC
"""


def quiz_rows(db: Database, guide_id: str, student_id: str) -> list[dict[str, Any]]:
    return db.fetch_all(_QUIZ_ROWS, {"guide_id": guide_id, "student_id": student_id})


def approved_question(db: Database, guide_id: str, question_id: str) -> dict[str, Any] | None:
    return db.fetch_one("SELECT id FROM guide_questions WHERE id = :question_id AND guide_id = :guide_id"
                        " AND status = 'APPROVED'", {"guide_id": guide_id, "question_id": question_id})


# The re-submission cap and the attempt number decided and written in one statement
# (domain.md §5.4): FAILED submissions keep their number but do not count against the cap. Two
# concurrent creations collide on the (question, student, attempt number) unique key instead of
# both passing the cap.
_INSERT_SUBMISSION = """
WITH mine AS (
  SELECT count(*) FILTER (WHERE status <> 'FAILED') AS counted, COALESCE(max(attempt_number), 0) AS last_number
  FROM guide_submissions WHERE guide_question_id = :question_id AND student_id = :student_id
)
INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, attempt_number, status, photo_keys,
                               trace_id, updated_at)
SELECT :id, :guide_id, :question_id, :student_id, mine.last_number + 1, 'UPLOADED', CAST(:photo_keys AS text[]),
       :trace_id, now()
FROM mine WHERE mine.counted <= :max_resubmissions
RETURNING *
"""


def insert_submission(db: Database, *, submission_id: str, guide_id: str, question_id: str, student_id: str,
                      photo_keys: list[str], trace_id: str, max_resubmissions: int) -> dict[str, Any] | None:
    """The new ``UPLOADED`` submission; None when the student reached the re-submission cap."""
    return db.fetch_one(_INSERT_SUBMISSION, {
        "id": submission_id, "guide_id": guide_id, "question_id": question_id, "student_id": student_id,
        "photo_keys": photo_keys, "trace_id": trace_id, "max_resubmissions": max_resubmissions})


def own_submission(db: Database, submission_id: str, student_id: str) -> dict[str, Any] | None:
    return db.fetch_one("SELECT * FROM guide_submissions WHERE id = :id AND student_id = :student_id",
                        {"id": submission_id, "student_id": student_id})


# complete: only an UPLOADED submission changes (→ TRANSCRIBING, recording the current solution
# version). A repeated or concurrent call matches no row, so the caller publishes only when this
# returned one (DECISIONS.md §3).
_MARK_GRADING_ENQUEUED = """
UPDATE guide_submissions s
SET status = 'TRANSCRIBING',
    solution_version = (SELECT max(gs.version) FROM guide_solutions gs
                        WHERE gs.guide_question_id = s.guide_question_id AND gs.is_current),
    updated_at = now()
WHERE s.id = :id AND s.student_id = :student_id AND s.status = 'UPLOADED'
RETURNING s.*
"""


def mark_grading_enqueued(db: Database, submission_id: str, student_id: str) -> dict[str, Any] | None:
    return db.fetch_one(_MARK_GRADING_ENQUEUED, {"id": submission_id, "student_id": student_id})


_SUBMISSION_STATUS = f"""
SELECT s.id, s.status, s.score, s.is_correct, s.graded_at,
       et.code AS error_tag_code, et.name AS error_tag_name, et.diagnostic_hint
FROM guide_submissions s
{_EFFECTIVE_TAG_JOIN}
WHERE s.id = :id AND s.student_id = :student_id
"""


def submission_status(db: Database, submission_id: str, student_id: str) -> dict[str, Any] | None:
    return db.fetch_one(_SUBMISSION_STATUS, {"id": submission_id, "student_id": student_id})


_STUDENT_RESULTS = f"""
SELECT q.id AS question_id, q.sequence, q.label, q.points,
       s.status, s.score, s.is_correct, et.code AS error_tag_code, et.name AS error_tag_name,
       CASE WHEN :show_solution AND s.status = 'GRADED' THEN
         (SELECT to_json(gs.*) FROM guide_solutions gs
          WHERE gs.guide_question_id = q.id AND gs.is_current ORDER BY gs.version DESC LIMIT 1)
       END AS solution
FROM guide_questions q
LEFT JOIN LATERAL (SELECT * FROM guide_submissions ls
                   WHERE ls.guide_question_id = q.id AND ls.student_id = :student_id
                   ORDER BY ls.attempt_number DESC LIMIT 1) s ON true
{_EFFECTIVE_TAG_JOIN}
WHERE q.guide_id = :guide_id AND q.status = 'APPROVED'
ORDER BY q.sequence
"""


def student_results(db: Database, guide_id: str, student_id: str, *, show_solution: bool) -> list[dict[str, Any]]:
    """Per approved question: the student's latest submission, its effective tag and — only when
    ``show_solution`` and that submission is GRADED — the current solution (``solution``, JSON)."""
    return db.fetch_all(_STUDENT_RESULTS, {"guide_id": guide_id, "student_id": student_id,
                                           "show_solution": show_solution})


# -- teacher side ------------------------------------------------------------------------------

_ENROLLED_STUDENTS = """
SELECT st.id, st.display_name
FROM enrollments e JOIN students st ON st.id = e.student_id
WHERE e.course_id = :course_id AND e.status = 'ACTIVE'
ORDER BY st.display_name, st.id
"""


def enrolled_students(db: Database, course_id: str) -> list[dict[str, Any]]:
    return db.fetch_all(_ENROLLED_STUDENTS, {"course_id": course_id})


def approved_questions(db: Database, guide_id: str) -> list[dict[str, Any]]:
    return db.fetch_all("SELECT id, sequence, label, points FROM guide_questions"
                        " WHERE guide_id = :guide_id AND status = 'APPROVED' ORDER BY sequence",
                        {"guide_id": guide_id})


_LATEST_CELLS = f"""
SELECT DISTINCT ON (s.guide_question_id, s.student_id)
       s.id AS submission_id, s.guide_question_id AS question_id, s.student_id, s.status, s.score,
       s.is_correct, s.attempt_number, et.code AS error_tag_code, et.name AS error_tag_name,
       s.override_error_tag_id IS NOT NULL AS is_overridden,
       (g.due_at IS NOT NULL AND s.created_at > g.due_at) AS is_late
FROM guide_submissions s
JOIN guides g ON g.id = s.guide_id
{_EFFECTIVE_TAG_JOIN}
WHERE s.guide_id = :guide_id
ORDER BY s.guide_question_id, s.student_id, s.attempt_number DESC
"""


def latest_cells(db: Database, guide_id: str) -> list[dict[str, Any]]:
    """The latest submission (highest attempt number) per (question, student) of a guide."""
    return db.fetch_all(_LATEST_CELLS, {"guide_id": guide_id})


_SUBMISSION_DETAIL = f"""
SELECT s.*, q.sequence AS question_sequence, q.label AS question_label, q.statement_latex,
       et.code AS error_tag_code, et.name AS error_tag_name,
       s.override_error_tag_id IS NOT NULL AS is_overridden
FROM guide_submissions s
JOIN guide_questions q ON q.id = s.guide_question_id
{_EFFECTIVE_TAG_JOIN}
WHERE s.id = :submission_id AND s.guide_id = :guide_id
"""


def submission_detail(db: Database, guide_id: str, submission_id: str) -> dict[str, Any] | None:
    return db.fetch_one(_SUBMISSION_DETAIL, {"guide_id": guide_id, "submission_id": submission_id})


def error_tag_by_code(db: Database, code: str) -> dict[str, Any] | None:
    return db.fetch_one("SELECT id, code, name FROM error_tags WHERE code = :code", {"code": code})


_SET_OVERRIDE = """
UPDATE guide_submissions
SET override_error_tag_id = :tag_id,
    override_by_id = CASE WHEN CAST(:tag_id AS text) IS NULL THEN NULL ELSE :teacher_id END,
    override_at = CASE WHEN CAST(:tag_id AS text) IS NULL THEN NULL ELSE now() END,
    updated_at = now()
WHERE id = :submission_id AND guide_id = :guide_id
RETURNING id
"""


def set_override(db: Database, *, guide_id: str, submission_id: str, tag_id: str | None,
                 teacher_id: str) -> bool:
    """Set (or, with ``tag_id`` None, clear) the teacher override; False when no such submission."""
    return db.fetch_one(_SET_OVERRIDE, {"guide_id": guide_id, "submission_id": submission_id, "tag_id": tag_id,
                                        "teacher_id": teacher_id}) is not None
