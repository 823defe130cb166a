"""SQL of the guide aggregate: guides, their questions and versioned solutions, publishing.

Repositories never commit; the guide services own the transactions. Status changes are
compare-and-set (``WHERE status = :expected``) so that a concurrent change is seen as a conflict;
the service decides the move with ``chalicelib.domain.guide_states`` before calling them.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.store.database import Database

# -- guides ------------------------------------------------------------------------------------

_INSERT_GUIDE = """
INSERT INTO guides (id, course_id, created_by_teacher_id, title, description, status, source_pdf_key,
                    due_at, trace_id, updated_at)
VALUES (:id, :course_id, :teacher_id, :title, :description, 'UPLOADED', :source_pdf_key, :due_at,
        :trace_id, now())
RETURNING *
"""


def insert_guide(db: Database, *, guide_id: str, course_id: str, teacher_id: str, title: str,
                 description: str | None, due_at: dt.datetime | None, source_pdf_key: str,
                 trace_id: str) -> dict[str, Any]:
    return db.fetch_one(_INSERT_GUIDE, {
        "id": guide_id, "course_id": course_id, "teacher_id": teacher_id, "title": title,
        "description": description, "source_pdf_key": source_pdf_key, "due_at": due_at,
        "trace_id": trace_id})


# The guide with what every teacher route needs to decide: whether the caller teaches its course,
# and the course's grade (for the ingest message). FOR UPDATE/SHARE lock only the guide row.
_GUIDE_FOR_TEACHER = """
SELECT g.*, c.grade_level AS course_grade_level,
       EXISTS (SELECT 1 FROM course_teachers ct
               WHERE ct.course_id = g.course_id AND ct.teacher_id = :teacher_id) AS caller_teaches
FROM guides g JOIN courses c ON c.id = g.course_id
WHERE g.id = :guide_id
"""
_LOCKS = {None: "", "update": " FOR UPDATE OF g", "share": " FOR SHARE OF g"}


def guide_for_teacher(db: Database, guide_id: str, teacher_id: str, *,
                      lock: str | None = None) -> dict[str, Any] | None:
    """The guide row plus ``course_grade_level`` and ``caller_teaches``; None when unknown."""
    return db.fetch_one(_GUIDE_FOR_TEACHER + _LOCKS[lock], {"guide_id": guide_id, "teacher_id": teacher_id})


_CHANGE_STATUS = """
UPDATE guides
SET status = CAST(:new_status AS "GuideStatus"),
    failure_reason = CASE WHEN :clear_failure THEN NULL ELSE failure_reason END,
    archived_at = CASE WHEN CAST(:new_status AS "GuideStatus") = 'ARCHIVED' THEN now() ELSE archived_at END,
    updated_at = now()
WHERE id = :guide_id AND status = CAST(:expected AS "GuideStatus")
RETURNING *
"""


def change_status(db: Database, guide_id: str, *, expected: str, new_status: str,
                  clear_failure: bool = False) -> dict[str, Any] | None:
    """Move the guide from ``expected`` to ``new_status``; None when its status was not ``expected``."""
    return db.fetch_one(_CHANGE_STATUS, {"guide_id": guide_id, "expected": expected, "new_status": new_status,
                                         "clear_failure": clear_failure})


# Column of each editable guide field. Only these names ever reach the SET list; values are
# parameters. A published guide's assignment follows its title and due date.
GUIDE_EDITABLE_COLUMNS = {
    "title": "title",
    "description": "description",
    "due_at": "due_at",
    "max_resubmissions": "max_resubmissions",
    "show_solution_after_grade": "show_solution_after_grade",
}


def update_guide(db: Database, guide_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Set the given fields (keys of :data:`GUIDE_EDITABLE_COLUMNS`); the assignment follows."""
    assignments = ", ".join(f"{GUIDE_EDITABLE_COLUMNS[name]} = :{name}" for name in changes)
    sql = f"""
WITH updated AS (
  UPDATE guides SET {assignments}{', ' if assignments else ''}updated_at = now()
  WHERE id = :guide_id RETURNING *
), assignment AS (
  UPDATE assignments a SET title = u.title, due_at = u.due_at
  FROM updated u WHERE a.id = u.assignment_id AND (a.title, a.due_at) IS DISTINCT FROM (u.title, u.due_at)
  RETURNING a.id
)
SELECT * FROM updated
"""
    return db.fetch_one(sql, {"guide_id": guide_id, **changes})


_LIST_GUIDES = """
SELECT g.*,
       (SELECT count(*) FROM guide_questions q WHERE q.guide_id = g.id) AS question_total,
       (SELECT count(*) FROM guide_submissions s WHERE s.guide_id = g.id) AS submission_total,
       count(*) OVER () AS total_rows
FROM guides g
WHERE g.archived_at IS NULL
  AND g.course_id IN (SELECT ct.course_id FROM course_teachers ct WHERE ct.teacher_id = :teacher_id)
  AND (CAST(:course_id AS text) IS NULL OR g.course_id = :course_id)
  AND (CAST(:status AS text) IS NULL OR g.status = CAST(:status AS "GuideStatus"))
ORDER BY g.created_at DESC, g.id
LIMIT :limit OFFSET :offset
"""
_COUNT_GUIDES = """
SELECT count(*) FROM guides g
WHERE g.archived_at IS NULL
  AND g.course_id IN (SELECT ct.course_id FROM course_teachers ct WHERE ct.teacher_id = :teacher_id)
  AND (CAST(:course_id AS text) IS NULL OR g.course_id = :course_id)
  AND (CAST(:status AS text) IS NULL OR g.status = CAST(:status AS "GuideStatus"))
"""


def list_guides(db: Database, *, teacher_id: str, course_id: str | None, status: str | None,
                limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """A page of the teacher's unarchived guides (newest first) and the total count."""
    params = {"teacher_id": teacher_id, "course_id": course_id, "status": status, "limit": limit,
              "offset": offset}
    rows = db.fetch_all(_LIST_GUIDES, params)
    if rows:
        return rows, int(rows[0]["total_rows"])
    if offset == 0:
        return rows, 0
    # A page past the end: the window count is not available, count separately.
    return rows, int(db.fetch_value(_COUNT_GUIDES, params) or 0)


# -- questions and solutions -------------------------------------------------------------------

_QUESTIONS_WITH_CONTEXT = """
SELECT q.*,
       CASE WHEN t.id IS NOT NULL THEN json_build_object('id', t.id, 'code', t.code, 'name', t.name) END AS topic,
       CASE WHEN d.id IS NOT NULL THEN json_build_object('id', d.id, 'code', d.code, 'name', d.name) END AS domain,
       CASE WHEN sd.id IS NOT NULL
            THEN json_build_object('id', sd.id, 'code', sd.code, 'name', sd.name) END AS subdomain,
       to_json(s.*) AS current_solution
FROM guide_questions q
LEFT JOIN topics t ON t.id = q.topic_id
LEFT JOIN domains d ON d.id = q.domain_id
LEFT JOIN subdomains sd ON sd.id = q.subdomain_id
LEFT JOIN LATERAL (SELECT * FROM guide_solutions gs
                   WHERE gs.guide_question_id = q.id AND gs.is_current
                   ORDER BY gs.version DESC LIMIT 1) s ON true
WHERE q.guide_id = :guide_id
ORDER BY q.sequence
"""


def questions_with_context(db: Database, guide_id: str) -> list[dict[str, Any]]:
    """Every question of a guide by sequence, with topic/domain/subdomain refs and the current
    solution (``current_solution``, a dict with snake_case keys, or None)."""
    return db.fetch_all(_QUESTIONS_WITH_CONTEXT, {"guide_id": guide_id})


_QUESTION_IN_GUIDE = """
SELECT q.* FROM guide_questions q WHERE q.id = :question_id AND q.guide_id = :guide_id
"""


def question_in_guide(db: Database, guide_id: str, question_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    return db.fetch_one(_QUESTION_IN_GUIDE + (" FOR UPDATE" if lock else ""),
                        {"guide_id": guide_id, "question_id": question_id})


_SUBDOMAIN_WITH_TOPIC = """
SELECT sd.id, sd.domain_id, sd.code,
       (SELECT t.id FROM topics t
        LEFT JOIN units u ON u.id = t.unit_id
        LEFT JOIN domains d ON d.id = sd.domain_id
        WHERE t.subdomain_id = sd.id AND t.code = sd.code
        ORDER BY (u.code = d.code) DESC, t.id LIMIT 1) AS taxonomy_topic_id
FROM subdomains sd WHERE sd.id = :subdomain_id
"""


def subdomain_with_taxonomy_topic(db: Database, subdomain_id: str) -> dict[str, Any] | None:
    """The subdomain and its taxonomy topic (topic code = subdomain code, preferably in the unit
    named after the domain — domain.md §1.4); ``taxonomy_topic_id`` None when there is none."""
    return db.fetch_one(_SUBDOMAIN_WITH_TOPIC, {"subdomain_id": subdomain_id})


def topic_classification(db: Database, topic_id: str) -> dict[str, Any] | None:
    return db.fetch_one("SELECT id, domain_id, subdomain_id FROM topics WHERE id = :id", {"id": topic_id})


QUESTION_EDITABLE_COLUMNS = {
    "statement_latex": "statement_latex",
    "label": "label",
    "points": "points",
    "status": "status",
    "topic_id": "topic_id",
    "domain_id": "domain_id",
    "subdomain_id": "subdomain_id",
    "topic_source": "topic_source",
    "topic_confidence": "topic_confidence",
}


def update_question(db: Database, question_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Set the given fields (keys of :data:`QUESTION_EDITABLE_COLUMNS`) and return the row."""
    sets = []
    for name in changes:
        column = QUESTION_EDITABLE_COLUMNS[name]
        value = f'CAST(:{name} AS "GuideQuestionStatus")' if name == "status" else f":{name}"
        sets.append(f"{column} = {value}")
    sets.append("updated_at = now()")
    return db.fetch_one(f"UPDATE guide_questions SET {', '.join(sets)} WHERE id = :question_id RETURNING *",
                        {"question_id": question_id, **changes})


# Demote the current version(s) and insert max(version)+1 as current, in one statement. The
# question row is locked by the caller, so two edits of one question queue up instead of colliding.
_INSERT_TEACHER_SOLUTION = """
WITH demoted AS (
  UPDATE guide_solutions SET is_current = false
  WHERE guide_question_id = :question_id AND is_current
  RETURNING version
), next_version AS (
  SELECT COALESCE(max(version), 0) + 1 AS version FROM guide_solutions WHERE guide_question_id = :question_id
)
INSERT INTO guide_solutions (id, guide_question_id, version, is_current, source, final_answer, steps_json,
                             solution_latex, expected_error_tags, created_by_teacher_id)
SELECT :id, :question_id, next_version.version, true, 'TEACHER_EDITED', :final_answer,
       CAST(:steps_json AS jsonb), :solution_latex, CAST(:expected_error_tags AS text[]), :teacher_id
FROM next_version
RETURNING *
"""


def insert_teacher_solution(db: Database, *, solution_id: str, question_id: str, final_answer: str,
                            steps_json: str, solution_latex: str | None, expected_error_tags: list[str],
                            teacher_id: str) -> dict[str, Any]:
    """A ``TEACHER_EDITED`` version that becomes the current one (``steps_json`` as JSON text)."""
    return db.fetch_one(_INSERT_TEACHER_SOLUTION, {
        "id": solution_id, "question_id": question_id, "final_answer": final_answer, "steps_json": steps_json,
        "solution_latex": solution_latex, "expected_error_tags": expected_error_tags, "teacher_id": teacher_id})


# -- publishing --------------------------------------------------------------------------------

_QUESTIONS_FOR_PUBLISH = """
SELECT q.id, q.sequence, q.status, q.topic_id,
       s.steps_json AS current_steps_json, s.final_answer AS current_final_answer
FROM guide_questions q
LEFT JOIN LATERAL (SELECT steps_json, final_answer FROM guide_solutions gs
                   WHERE gs.guide_question_id = q.id AND gs.is_current
                   ORDER BY gs.version DESC LIMIT 1) s ON true
WHERE q.guide_id = :guide_id
ORDER BY q.sequence
"""


def questions_for_publish(db: Database, guide_id: str) -> list[dict[str, Any]]:
    return db.fetch_all(_QUESTIONS_FOR_PUBLISH, {"guide_id": guide_id})


# Everything publishing writes, in one statement (domain.md §5.3): the GUIDE assignment with a
# PENDING target per ACTIVE enrolment, one exercise per APPROVED question with a topic (in sequence
# order, linked back to the question and listed in the assignment), and the guide itself, moved
# from REVIEW only. Foreign keys between the rows inserted here are checked at the end of the
# statement, so parents and children can be written together. (Data-modifying CTEs run whether
# or not the final SELECT reads them.)
_PUBLISH = """
WITH assignment AS (
  INSERT INTO assignments (id, course_id, created_by_teacher_id, title, reason, kind, due_at)
  VALUES (:assignment_id, :course_id, :teacher_id, :title, 'TEACHER_MANUAL', 'GUIDE', :due_at)
  RETURNING id
), targets AS (
  INSERT INTO assignment_targets (assignment_id, student_id, status)
  SELECT :assignment_id, e.student_id, 'PENDING' FROM enrollments e
  WHERE e.course_id = :course_id AND e.status = 'ACTIVE'
  RETURNING student_id
), approved AS MATERIALIZED (
  SELECT q.id AS question_id, q.topic_id, q.statement_latex, COALESCE(q.figure_keys, '{}') AS figure_keys,
         s.final_answer, gen_random_uuid()::text AS exercise_id,
         (row_number() OVER (ORDER BY q.sequence) - 1)::int AS position
  FROM guide_questions q
  LEFT JOIN LATERAL (SELECT final_answer FROM guide_solutions gs
                     WHERE gs.guide_question_id = q.id AND gs.is_current
                     ORDER BY gs.version DESC LIMIT 1) s ON true
  WHERE q.guide_id = :guide_id AND q.status = 'APPROVED' AND q.topic_id IS NOT NULL
), exercises_created AS (
  INSERT INTO exercises (id, topic_id, source, created_by_teacher_id, content, irt_a, irt_b, status)
  SELECT exercise_id, topic_id, 'GUIDE_EXTRACTED', :teacher_id,
         jsonb_build_object('statement_latex', statement_latex, 'figures', to_jsonb(figure_keys),
                            'final_answer', final_answer),
         1.0, 0.0, 'ACTIVE'
  FROM approved
  RETURNING id
), listed AS (
  INSERT INTO assignment_exercises (assignment_id, exercise_id, sequence)
  SELECT :assignment_id, exercise_id, position FROM approved
  RETURNING exercise_id
), linked AS (
  UPDATE guide_questions q SET exercise_id = a.exercise_id, updated_at = now()
  FROM approved a WHERE q.id = a.question_id
  RETURNING q.id
), published AS (
  UPDATE guides SET status = 'PUBLISHED', published_at = now(), assignment_id = :assignment_id,
                    updated_at = now()
  WHERE id = :guide_id AND status = 'REVIEW'
  RETURNING *
)
SELECT p.*,
       (SELECT count(*) FROM exercises_created) AS materialized_exercises,
       (SELECT count(*) FROM targets) AS students_assigned
FROM published p
"""


def publish(db: Database, *, guide_id: str, assignment_id: str, course_id: str, teacher_id: str, title: str,
            due_at: dt.datetime | None) -> dict[str, Any] | None:
    """Publish a guide in ``REVIEW``: the guide row plus ``materialized_exercises`` and
    ``students_assigned``; None (nothing to keep: roll back) when the guide was no longer in REVIEW."""
    return db.fetch_one(_PUBLISH, {"guide_id": guide_id, "assignment_id": assignment_id, "course_id": course_id,
                                   "teacher_id": teacher_id, "title": title, "due_at": due_at})
