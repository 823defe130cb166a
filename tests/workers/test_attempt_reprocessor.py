"""attemptReprocessWorker through the real handler (``app.attempt_reprocess_worker``) against the
embedded PostgreSQL and the moto server: both message shapes, exactly-once under redelivery and
concurrency, poison messages, a database lost mid-batch and a refused publish."""
from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.messaging.messages import AttemptReprocess
from chalicelib.messaging.sqs_publisher import SqsPublisher
from chalicelib.services.attempt_reprocess import guide_attempt_id, reprocess
from chalicelib.settings import get_settings
from chalicelib.store.database import Database
from tests.concurrency import run_together
from tests.factories import add_exercise, add_routed_catalogue, build_school
from tests.workers.conftest import failed_ids, redeliveries, sqs_event, sqs_record

HANDLER = "attempt_reprocess_worker"


@pytest.fixture
def school(db):
    school = build_school(db, "a", students=3)
    school.catalogue = add_routed_catalogue(db)
    school.sub_topic = school.catalogue.topic_ids["ARITH/SUB"]
    school.exercise = add_exercise(db, "ex-sub", school.sub_topic, {"prompt": "53 - 26", "expectedAnswer": 27})
    return school


@pytest.fixture
def guide(db, school):
    """A published guide with a question on ARITH/SUB (current answer key 27) and one without topic."""
    guide_id = db.fetch_value(
        "INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key, assignment_id)"
        " VALUES ('guide-1', :c, :t, 'Guía', 'PUBLISHED', 'guides/uploads/g.pdf', NULL) RETURNING id",
        {"c": school.course_id, "t": school.teacher.profile_id})
    db.execute("INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, topic_id, domain_id, exercise_id)"
               " VALUES ('q-topic', :g, 1, '53 - 26', :t, 'domain-arith', :e),"
               "        ('q-free', :g, 2, '\\frac{1}{2} + \\frac{1}{3}', NULL, 'domain-fract', NULL)",
               {"g": guide_id, "t": school.sub_topic, "e": school.exercise})
    db.execute("INSERT INTO guide_solutions (guide_question_id, version, is_current, source, final_answer, steps_json)"
               " VALUES ('q-topic', 1, false, 'PDF_PROVIDED', '26', '{}'),"
               "        ('q-topic', 2, true, 'TEACHER_EDITED', '27', '{}')")
    return guide_id


def add_submission(db, school, question: str, student: int, *, confidence: float | None = 0.8) -> str:
    return db.fetch_value(
        "INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, status, transcription_confidence)"
        " VALUES (:id, 'guide-1', :q, :s, 'GRADING', :c) RETURNING id",
        {"id": f"sub-{question}-{student}", "q": question, "s": school.students[student].profile_id, "c": confidence})


def graded(submission: str, question: str, *, score: float, steps=("53 - 26", "27"), trace: str = "trace-g") -> dict:
    return {"attempt_id": None, "guide_submission_id": submission, "guide_question_id": question,
            "latex_steps": list(steps), "provider": "claude-haiku", "confidence": 0.91,
            "alignment_summary": {"path": "MAIN", "first_error_checkpoint": None if score >= 0.999 else 1,
                                  "score_0_1": score},
            "trace_id": trace}


def reread(attempt_id: str, steps=("53 - 26", "27"), *, provider="gemini", confidence=0.92) -> dict:
    return {"attempt_id": attempt_id, "latex_steps": list(steps), "provider": provider, "confidence": confidence,
            "trace_id": "trace-r"}


def digital_attempt(db, school, *, exercise: str | None = "ex-sub", student: int = 0) -> str:
    """An existing DIGITAL attempt (answered 33: wrong) with two steps."""
    attempt_id = db.fetch_value(
        "INSERT INTO attempts (student_id, exercise_id, course_id, is_correct, status, classifier_source, error_tag_id)"
        " VALUES (:s, :e, :c, false, 'CLASSIFIED', 'RULE', (SELECT id FROM error_tags WHERE code = 'BORROW_OMITTED_TENS'))"
        " RETURNING id", {"s": school.students[student].profile_id, "e": exercise, "c": school.course_id})
    db.execute("INSERT INTO attempt_steps (attempt_id, step_index, content_latex, is_correct)"
               " VALUES (:a, 0, '53 - 26', NULL), (:a, 1, '33', false)", {"a": attempt_id})
    return attempt_id


def invoke(lambda_client, *bodies, **record_options) -> dict:
    return lambda_client.invoke(HANDLER, sqs_event([sqs_record(b, **record_options) for b in bodies])).payload


def attempts_of(db, student: str) -> list[dict]:
    return db.fetch_all("SELECT a.*, t.code AS tag FROM attempts a LEFT JOIN error_tags t ON t.id = a.error_tag_id"
                        " WHERE a.student_id = :s ORDER BY a.created_at", {"s": student})


def steps_of(db, attempt_id: str) -> list[tuple]:
    return [(r["step_index"], r["content_latex"], r["is_correct"]) for r in db.fetch_all(
        "SELECT * FROM attempt_steps WHERE attempt_id = :a ORDER BY step_index", {"a": attempt_id})]


def mastery(db, student: str, topic: str) -> dict | None:
    return db.fetch_one("SELECT * FROM student_topic_mastery WHERE student_id = :s AND topic_id = :t",
                        {"s": student, "t": topic})


def llm_messages(aws) -> list[dict]:
    return [{"body": json.loads(m["Body"]), "trace": m["MessageAttributes"]["trace_id"]["StringValue"]}
            for m in aws.receive_all("llm_classify")]


# -- guide path -------------------------------------------------------------------------------------

def test_a_correct_guide_answer_becomes_one_classified_photo_attempt(lambda_client, db, aws, school, guide):
    submission = add_submission(db, school, "q-topic", 0)
    student = school.students[0].profile_id

    assert invoke(lambda_client, graded(submission, "q-topic", score=1.0)) == {"batchItemFailures": []}

    [attempt] = attempts_of(db, student)
    assert attempt["id"] == guide_attempt_id(submission)
    assert (attempt["input_mode"], attempt["status"], attempt["is_correct"]) == ("PHOTO_GUIDE", "CLASSIFIED", True)
    assert (attempt["classifier_source"], attempt["tag"], attempt["confidence"]) == ("RULE", "CORRECT", 0.91)
    assert attempt["ocr_confidence"] == 0.8  # the submission's confidence before this grading
    assert attempt["ocr_provider"] == "claude-haiku" and attempt["trace_id"] == "trace-g"
    assert (attempt["course_id"], attempt["exercise_id"], attempt["assignment_id"]) == (
        school.course_id, school.exercise, None)
    assert attempt["classified_at"] is not None
    assert steps_of(db, attempt["id"]) == [(0, "53 - 26", None), (1, "27", True)]
    row = mastery(db, student, school.sub_topic)
    assert row["attempts_count"] == 1 and row["p_known"] > 0.3

    closed = db.fetch_one("SELECT * FROM guide_submissions WHERE id = :s", {"s": submission})
    assert closed["status"] == "GRADED" and closed["attempt_id"] == attempt["id"]
    assert closed["transcription_latex"] == "53 - 26 \\\\ 27"
    assert (closed["transcription_confidence"], closed["score"], closed["is_correct"]) == (0.91, 1.0, True)
    assert closed["model_used"] == "claude-haiku" and closed["graded_at"] is not None
    assert closed["alignment_json"] == {"path": "MAIN", "first_error_checkpoint": None, "score_0_1": 1.0}
    assert llm_messages(aws) == []


def test_an_incorrect_guide_answer_waits_for_the_llm(lambda_client, db, aws, school, guide):
    submission = add_submission(db, school, "q-topic", 0, confidence=None)
    student = school.students[0].profile_id

    invoke(lambda_client, graded(submission, "q-topic", score=0.5, steps=("53 - 26", "33")))

    [attempt] = attempts_of(db, student)
    assert (attempt["status"], attempt["is_correct"], attempt["classifier_source"]) == ("PENDING", False, "LLM")
    assert attempt["error_tag_id"] is None and attempt["classified_at"] is None
    assert attempt["ocr_confidence"] == 0.91  # no earlier transcription confidence: the message's
    assert mastery(db, student, school.sub_topic)["p_known"] < 0.3  # counted once, as incorrect
    [message] = llm_messages(aws)
    assert message["trace"] == "trace-g"
    assert message["body"] == {
        "id": attempt["id"], "topic": "SUB", "domain_id": "domain-arith", "subdomain_code": "SUB",
        "problem_statement": "53 - 26", "canonical_solution": "27",
        "raw_steps": [{"expression": "53 - 26", "isFinal": False}, {"expression": "33", "isFinal": True}],
        "final_answer": "33", "student_id": student, "trace_id": "trace-g"}


def test_a_question_without_topic_updates_no_mastery(lambda_client, db, aws, school, guide):
    submission = add_submission(db, school, "q-free", 1)
    student = school.students[1].profile_id

    invoke(lambda_client, graded(submission, "q-free", score=0.0, steps=()))

    [attempt] = attempts_of(db, student)
    assert attempt["exercise_id"] is None and steps_of(db, attempt["id"]) == []
    assert db.fetch_value("SELECT count(*) FROM student_topic_mastery WHERE student_id = :s", {"s": student}) == 0
    [message] = llm_messages(aws)
    assert message["body"]["topic"] is None and message["body"]["domain_id"] == "domain-fract"
    assert message["body"]["subdomain_code"] is None and message["body"]["canonical_solution"] == ""
    assert message["body"]["final_answer"] == "" and message["body"]["raw_steps"] == []


# -- legacy OCR path --------------------------------------------------------------------------------

def test_a_reread_reclassifies_the_attempt_in_place(lambda_client, db, aws, school):
    attempt_id = digital_attempt(db, school)
    student = school.students[0].profile_id

    assert invoke(lambda_client, reread(attempt_id, ("53 - 26", "= 27"))) == {"batchItemFailures": []}

    [attempt] = attempts_of(db, student)  # no second attempt
    assert attempt["id"] == attempt_id and attempt["input_mode"] == "DIGITAL"
    assert (attempt["is_correct"], attempt["tag"], attempt["status"]) == (True, "CORRECT", "CLASSIFIED")
    assert (attempt["ocr_provider"], attempt["ocr_confidence"]) == ("gemini", 0.92)
    assert steps_of(db, attempt_id) == [(0, "53 - 26", None), (1, "= 27", True)]
    assert mastery(db, student, school.sub_topic) is None  # no BKT update on this path
    assert llm_messages(aws) == [] and aws.receive_all("attempt_stream") == []


def test_an_unclassified_reread_goes_to_the_llm(lambda_client, db, aws, school):
    attempt_id = digital_attempt(db, school, exercise=None)  # no exercise: fallback strategy, expected 0

    invoke(lambda_client, reread(attempt_id, ("x", "4a2")))

    attempt = db.fetch_one("SELECT * FROM attempts WHERE id = :a", {"a": attempt_id})
    assert attempt["status"] == "PENDING" and attempt["is_correct"] is False and attempt["final_answer"] == "42"
    [message] = llm_messages(aws)
    assert message["body"]["id"] == attempt_id and message["body"]["final_answer"] == "42"
    assert message["trace"] == "trace-r"


# -- idempotency -------------------------------------------------------------------------------------

def test_every_message_three_times_in_shuffled_order_changes_things_once(lambda_client, db, aws, school, guide):
    right = add_submission(db, school, "q-topic", 0)
    wrong = add_submission(db, school, "q-topic", 1)
    free = add_submission(db, school, "q-free", 2)
    legacy = digital_attempt(db, school, student=2)
    originals = [sqs_record(graded(right, "q-topic", score=1.0)),
                 sqs_record(graded(wrong, "q-topic", score=0.2, steps=("53 - 26", "33"))),
                 sqs_record(graded(free, "q-free", score=0.0)),
                 sqs_record(reread(legacy))]

    for batch in redeliveries(originals, times=3, batch_size=5):
        assert lambda_client.invoke(HANDLER, sqs_event(batch)).payload == {"batchItemFailures": []}

    assert db.fetch_value("SELECT count(*) FROM attempts") == 4  # three graded photos + the re-read one
    assert db.fetch_value("SELECT count(*) FROM attempts WHERE input_mode = 'PHOTO_GUIDE'") == 3
    assert db.fetch_value("SELECT sum(attempts_count) FROM student_topic_mastery") == 2
    assert db.fetch_value("SELECT count(*) FROM mastery_observations") == 2
    assert sorted(m["body"]["id"] for m in llm_messages(aws)) == sorted(
        [guide_attempt_id(wrong), guide_attempt_id(free)])
    assert db.fetch_value("SELECT count(*) FROM guide_submissions WHERE status = 'GRADED'") == 3


def test_concurrent_deliveries_of_one_grading_create_one_attempt(database_url, db, aws, school, guide):
    submission = add_submission(db, school, "q-topic", 0)
    message = AttemptReprocess.model_validate(graded(submission, "q-topic", score=1.0))

    def deliver(_: int) -> str:
        worker_db = Database.from_url(database_url)
        try:
            return reprocess(worker_db, SqsPublisher(get_settings()), message, trace_id="t").result
        finally:
            worker_db.close()

    outcomes = run_together(3, deliver)
    assert sorted(outcomes) == ["already_graded", "already_graded", "created"]
    assert db.fetch_value("SELECT count(*) FROM attempts") == 1
    assert db.fetch_value("SELECT attempts_count FROM student_topic_mastery") == 1


# -- failures ----------------------------------------------------------------------------------------

def test_poison_messages_fail_alone(lambda_client, db, aws, school, guide):
    submission = add_submission(db, school, "q-topic", 0)
    poison = [sqs_record("not json"),
              sqs_record({"latex_steps": [], "provider": "x", "confidence": 0.5}),  # no id at all
              sqs_record({**graded(submission, "q-topic", score=1.0), "alignment_summary": None}),
              sqs_record({**graded(submission, "q-topic", score=1.0), "confidence": 1.5}),
              sqs_record(["a", "list"])]
    good = sqs_record(graded(submission, "q-topic", score=1.0))

    response = lambda_client.invoke(HANDLER, sqs_event([poison[0], good, *poison[1:]])).payload

    assert failed_ids(response) == [r["messageId"] for r in poison]
    assert db.fetch_value("SELECT count(*) FROM attempts") == 1


def test_unknown_submissions_and_attempts_are_acknowledged(lambda_client, db, aws, school, guide):
    response = invoke(lambda_client, graded("no-such-submission", "q-topic", score=1.0), reread("no-such-attempt"))
    assert response == {"batchItemFailures": []}
    assert db.fetch_value("SELECT count(*) FROM attempts") == 0


def test_database_lost_for_the_whole_batch_fails_every_record(lambda_client, db, aws, school, guide, database_outage):
    submissions = [add_submission(db, school, "q-topic", n) for n in range(3)]
    batch = [sqs_record(graded(s, "q-topic", score=1.0)) for s in submissions]
    invoke(lambda_client, reread("warm-up-unknown"))  # the worker's connection is open

    database_outage()
    response = lambda_client.invoke(HANDLER, sqs_event(batch)).payload
    assert sorted(failed_ids(response)) == sorted(r["messageId"] for r in batch)
    database_outage.end()

    assert db.fetch_value("SELECT count(*) FROM attempts") == 0
    assert lambda_client.invoke(HANDLER, sqs_event(batch)).payload == {"batchItemFailures": []}
    assert db.fetch_value("SELECT count(*) FROM attempts") == 3


def test_connection_killed_mid_transaction_leaves_nothing_half_written(lambda_client, db, aws, school, guide):
    doomed_student = school.students[1].profile_id
    # The server kills the worker's session while it inserts this student's attempt.
    db.execute_script(f"""
        CREATE FUNCTION kill_session() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.student_id = '{doomed_student}' THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER kill_session BEFORE INSERT ON attempts FOR EACH ROW EXECUTE FUNCTION kill_session();
    """)
    submissions = [add_submission(db, school, "q-topic", n) for n in range(3)]
    batch = [sqs_record(graded(s, "q-topic", score=0.4, steps=("53 - 26", "33"))) for s in submissions]

    response = lambda_client.invoke(HANDLER, sqs_event(batch)).payload

    assert failed_ids(response) == [batch[1]["messageId"]]
    assert attempts_of(db, doomed_student) == []
    assert mastery(db, doomed_student, school.sub_topic) is None
    untouched = db.fetch_one("SELECT * FROM guide_submissions WHERE id = :s", {"s": submissions[1]})
    assert untouched["status"] == "GRADING" and untouched["attempt_id"] is None and untouched["score"] is None
    assert db.fetch_value("SELECT count(*) FROM attempts") == 2  # the records around it went through
    assert sorted(m["body"]["id"] for m in llm_messages(aws)) == sorted(
        guide_attempt_id(s) for s in (submissions[0], submissions[2]))

    db.execute_script("DROP TRIGGER kill_session ON attempts")
    assert lambda_client.invoke(HANDLER, sqs_event([batch[1]])).payload == {"batchItemFailures": []}
    assert len(attempts_of(db, doomed_student)) == 1


def test_a_refused_publish_rolls_the_grading_back(lambda_client, db, aws, school, guide, monkeypatch):
    from chalicelib import dependencies

    submission = add_submission(db, school, "q-topic", 0)
    record = sqs_record(graded(submission, "q-topic", score=0.3, steps=("53 - 26", "33")))
    monkeypatch.setenv("SQS_LLM_CLASSIFY_URL", aws.queue_urls["llm_classify"] + "-gone")
    dependencies.reset()

    assert failed_ids(lambda_client.invoke(HANDLER, sqs_event([record])).payload) == [record["messageId"]]
    assert db.fetch_value("SELECT count(*) FROM attempts") == 0
    assert db.fetch_value("SELECT status::text FROM guide_submissions WHERE id = :s", {"s": submission}) == "GRADING"

    monkeypatch.setenv("SQS_LLM_CLASSIFY_URL", aws.queue_urls["llm_classify"])
    dependencies.reset()
    assert lambda_client.invoke(HANDLER, sqs_event([record])).payload == {"batchItemFailures": []}
    assert [m["body"]["id"] for m in llm_messages(aws)] == [guide_attempt_id(submission)]


def test_trace_id_falls_back_to_the_message_attribute(lambda_client, db, aws, school, guide):
    submission = add_submission(db, school, "q-topic", 0)
    invoke(lambda_client, {**graded(submission, "q-topic", score=1.0), "trace_id": ""}, trace_id="attr-trace")
    assert db.fetch_value("SELECT trace_id FROM attempts") == "attr-trace"


def test_guide_attempt_ids_are_stable_per_submission():
    first = guide_attempt_id("sub-1")
    assert first == guide_attempt_id("sub-1") != guide_attempt_id("sub-2")
    assert str(uuid.UUID(first)) == first
