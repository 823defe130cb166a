"""``/attempts`` end to end: the real app, embedded PostgreSQL and the moto server's queues."""
from __future__ import annotations

import json
import uuid

import pytest

from chalicelib import dependencies
from chalicelib.domain.bkt import bkt_update, mastery_level
from chalicelib.messaging.messages import AdhocSolve, AttemptTelemetry, LlmClassifyRequest
from tests.factories import add_exercise, add_person, add_routed_catalogue, build_school

P_L0, P_TRANSIT, P_SLIP, P_GUESS = 0.3, 0.1, 0.1, 0.2


@pytest.fixture
def school(db):
    school = build_school(db, "a")
    school.catalogue = add_routed_catalogue(db)
    return school


def attempt_body(student_id: str, **changes) -> dict:
    """53 − 26 answered 33: the borrow from the tens was omitted (ARITH_SUB rule 2)."""
    body = {"studentId": student_id, "topicCode": "ARITH/SUB", "expectedAnswer": 27, "studentAnswer": 33,
            "minuend": 53, "subtrahend": 26,
            "rawSteps": [{"expression": "53 - 26", "isFinal": False}, {"expression": "33", "isFinal": True}]}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def post(api, tokens, person, body, **headers):
    return api.post("/attempts", headers={**tokens.headers(**person.claims), **headers}, body=json.dumps(body))


def one_message(aws, queue: str) -> dict:
    messages = aws.receive_all(queue)
    assert len(messages) == 1, messages
    return messages[0]


# -- the happy paths ---------------------------------------------------------------------------------

def test_a_classified_attempt_is_stored_with_its_steps_and_mastery_and_streamed(db, api, tokens, aws, school):
    student = school.students[0]
    reply = post(api, tokens, student, attempt_body(student.profile_id, courseId=school.course_id),
                 **{"x-trace-id": "trace-123"})

    assert reply.status_code == 201, reply.json_body
    data = reply.json_body["data"]
    p_known = bkt_update(P_L0, P_TRANSIT, P_SLIP, P_GUESS, False)
    assert data == {"attemptId": data["attemptId"], "isCorrect": False,
                    "errorTagCode": "ARITH_SUB_BORROW_OMITTED_TENS_G3", "classifierSource": "RULE",
                    "confidence": 0.93, "pKnown": p_known, "masteryLevel": mastery_level(p_known).value}
    attempt_id = data["attemptId"]

    attempt = db.fetch_one("SELECT a.*, t.code AS tag FROM attempts a JOIN error_tags t ON t.id = a.error_tag_id"
                           " WHERE a.id = :id", {"id": attempt_id})
    assert attempt["student_id"] == student.profile_id and attempt["course_id"] == school.course_id
    assert (attempt["status"], attempt["classifier_source"], attempt["input_mode"]) == ("CLASSIFIED", "RULE", "DIGITAL")
    assert attempt["tag"] == "ARITH_SUB_BORROW_OMITTED_TENS_G3" and attempt["confidence"] == 0.93
    assert attempt["classified_at"] is not None and attempt["trace_id"] == "trace-123"
    assert attempt["final_answer"] == "33"
    assert db.fetch_value("SELECT count(*) FROM attempts") == 1
    steps = db.fetch_all("SELECT step_index, content_latex, is_correct FROM attempt_steps"
                         " WHERE attempt_id = :id ORDER BY step_index", {"id": attempt_id})
    assert steps == [{"step_index": 0, "content_latex": "53 - 26", "is_correct": None},
                     {"step_index": 1, "content_latex": "33", "is_correct": False}]
    mastery = db.fetch_one("SELECT * FROM student_topic_mastery")
    assert mastery["topic_id"] == school.catalogue.topic_ids["ARITH/SUB"]
    assert (mastery["p_known"], mastery["attempts_count"], mastery["trend_7d"]) == (p_known, 1, None)
    assert db.fetch_value("SELECT count(*) FROM mastery_observations WHERE attempt_id = :id", {"id": attempt_id}) == 1

    message = one_message(aws, "attempt_stream")
    assert json.loads(message["Body"]) == {
        "attemptId": attempt_id, "traceId": "trace-123", "studentId": student.profile_id,
        "courseId": school.course_id, "events": None,
        "rawSteps": [{"expression": "53 - 26", "isFinal": False}, {"expression": "33", "isFinal": True}]}
    assert message["Attributes"]["MessageGroupId"] == student.profile_id
    assert message["Attributes"]["MessageDeduplicationId"] == attempt_id
    assert message["MessageAttributes"]["trace_id"]["StringValue"] == "trace-123"
    AttemptTelemetry.model_validate_json(message["Body"])
    assert aws.receive_all("llm_classify") == []
    assert db.fetch_value("SELECT count(*) FROM attempt_outbox") == 0


def test_an_unclassified_attempt_goes_to_the_llm_queue_and_counts_once_as_incorrect(db, api, tokens, aws, school):
    student = school.students[0]
    exercise_id = add_exercise(db, "ex-sub", school.catalogue.topic_ids["ARITH/SUB"],
                               {"prompt": "Resta 53 - 26", "expectedAnswer": 27})
    reply = post(api, tokens, student, attempt_body(student.profile_id, studentAnswer=99, exerciseId=exercise_id,
                                                     topicCode="ignored-when-an-exercise-is-given"),
                 **{"x-trace-id": "trace-llm"})

    assert reply.status_code == 201, reply.json_body
    data = reply.json_body["data"]
    assert (data["errorTagCode"], data["isCorrect"], data["classifierSource"], data["confidence"]) == \
        ("UNCLASSIFIED", False, "LLM", 0.0)
    attempt = db.fetch_one("SELECT * FROM attempts WHERE id = :id", {"id": data["attemptId"]})
    assert (attempt["status"], attempt["classified_at"], attempt["exercise_id"]) == ("PENDING", None, exercise_id)
    mastery = db.fetch_one("SELECT p_known, attempts_count FROM student_topic_mastery")
    assert mastery == {"p_known": bkt_update(P_L0, P_TRANSIT, P_SLIP, P_GUESS, False), "attempts_count": 1}

    message = one_message(aws, "llm_classify")
    assert json.loads(message["Body"]) == {
        "id": data["attemptId"], "topic": "SUB", "domain_id": school.catalogue.domain_ids["ARITH"],
        "subdomain_code": "SUB", "problem_statement": "Resta 53 - 26", "canonical_solution": "27",
        "raw_steps": [{"expression": "53 - 26", "isFinal": False}, {"expression": "33", "isFinal": True}],
        "final_answer": "99", "student_id": student.profile_id, "trace_id": "trace-llm"}
    assert message["MessageAttributes"]["trace_id"]["StringValue"] == "trace-llm"
    LlmClassifyRequest.model_validate_json(message["Body"])
    assert len(aws.receive_all("attempt_stream")) == 1


def test_without_an_exercise_prompt_the_problem_statement_is_built_from_the_operands(db, api, tokens, aws, school):
    student = school.students[0]
    post(api, tokens, student, attempt_body(student.profile_id, studentAnswer=99, minuend=53.5, subtrahend=None))
    body = json.loads(one_message(aws, "llm_classify")["Body"])
    assert body["problem_statement"] == "53.5 -  = ?"


def test_a_right_answer_is_correct_with_full_confidence_and_raises_mastery(db, api, tokens, school):
    student = school.students[0]
    reply = post(api, tokens, student, attempt_body(student.profile_id, studentAnswer=27))
    data = reply.json_body["data"]
    assert (data["isCorrect"], data["errorTagCode"], data["confidence"]) == (True, "CORRECT", 1.0)
    assert data["pKnown"] == bkt_update(P_L0, P_TRANSIT, P_SLIP, P_GUESS, True)
    assert db.fetch_value("SELECT is_correct FROM attempt_steps WHERE step_index = 1") is True


def test_the_topic_decides_the_strategy(db, api, tokens, school):
    """The same numbers routed to signed-integer subtraction are judged by that strategy's rules."""
    student = school.students[0]
    as_whole_numbers = post(api, tokens, student, attempt_body(student.profile_id)).json_body["data"]
    as_integers = post(api, tokens, student, attempt_body(student.profile_id, topicCode="INT/SUB")).json_body["data"]
    assert as_whole_numbers["errorTagCode"] == "ARITH_SUB_BORROW_OMITTED_TENS_G3"
    assert as_integers["errorTagCode"] != as_whole_numbers["errorTagCode"]
    rows = db.fetch_all("SELECT topic_id, attempts_count FROM student_topic_mastery ORDER BY topic_id")
    assert rows == [{"topic_id": "topic-arith-sub", "attempts_count": 1}, {"topic_id": "topic-int-sub", "attempts_count": 1}]


def test_a_topic_without_a_strategy_takes_the_fallback(db, api, tokens, school):
    student = school.students[0]
    db.execute("UPDATE topics SET subdomain_id = NULL WHERE id = 'topic-arith-add'")  # routing key UNKNOWN
    right = post(api, tokens, student, attempt_body(student.profile_id, topicCode="ARITH/ADD", studentAnswer=27))
    wrong = post(api, tokens, student, attempt_body(student.profile_id, topicCode="ARITH/ADD"))
    assert right.json_body["data"]["errorTagCode"] == "CORRECT"
    assert wrong.json_body["data"]["errorTagCode"] == "UNCLASSIFIED"


def test_events_travel_in_the_telemetry_message(db, api, tokens, aws, school):
    student = school.students[0]
    events = [{"t": 0, "type": "keydown", "payload": {"key": "3"}}, {"t": 120, "type": "step", "payload": {}}]
    reply = post(api, tokens, student, attempt_body(student.profile_id, events=events))
    body = json.loads(one_message(aws, "attempt_stream")["Body"])
    assert body["events"] == events and body["attemptId"] == reply.json_body["data"]["attemptId"]


def test_a_topic_is_found_by_qualified_code_id_or_unambiguous_bare_code(db, api, tokens, school):
    student = school.students[0]
    for reference, topic_id in [("ARITH/SUB", "topic-arith-sub"), ("topic-int-sub", "topic-int-sub"),
                                ("ADDSUB", "topic-fract-addsub")]:
        reply = post(api, tokens, student, attempt_body(student.profile_id, topicCode=reference))
        assert reply.status_code == 201, reply.json_body
        assert db.fetch_value("SELECT topic_id FROM mastery_observations WHERE attempt_id = :id",
                              {"id": reply.json_body["data"]["attemptId"]}) == topic_id


def test_an_ambiguous_bare_code_is_refused_with_the_candidates(db, api, tokens, school):
    student = school.students[0]
    reply = post(api, tokens, student, attempt_body(student.profile_id, topicCode="SUB"))
    assert reply.status_code == 400
    detail = reply.json_body["details"][0]
    assert detail["field"] == "topicCode" and detail["candidates"] == ["ARITH/SUB", "INT/SUB"]
    assert "ARITH/SUB, INT/SUB" in reply.json_body["message"][0]
    assert db.fetch_value("SELECT count(*) FROM attempts") == 0


def test_an_unknown_topic_is_a_400(db, api, tokens, school):
    student = school.students[0]
    for reference in ["NOPE", "ARITH/NOPE", "NOPE/SUB", "/", "SUB/ARITH"]:
        reply = post(api, tokens, student, attempt_body(student.profile_id, topicCode=reference))
        assert reply.status_code == 400, reference
        assert reply.json_body["details"][0]["field"] == "topicCode"
    assert db.fetch_value("SELECT count(*) FROM attempts") == 0


def test_unknown_exercise_or_a_course_the_student_is_not_in_is_a_404(db, api, tokens, school):
    student = school.students[0]
    other = build_school(db, "b")
    unknown_exercise = post(api, tokens, student, attempt_body(student.profile_id, exerciseId="no-such-exercise"))
    foreign_course = post(api, tokens, student, attempt_body(student.profile_id, courseId=other.course_id))
    unknown_course = post(api, tokens, student, attempt_body(student.profile_id, courseId="no-such-course"))
    assert [r.status_code for r in (unknown_exercise, foreign_course, unknown_course)] == [404, 404, 404]
    assert db.fetch_value("SELECT count(*) FROM attempts") == 0


# -- bad input -----------------------------------------------------------------------------------------

BAD_INPUT = [
    ({"studentAnswer": "33"}, "studentAnswer"),             # a numeric string is not a number
    ({"studentAnswer": "treinta"}, "studentAnswer"),
    ({"expectedAnswer": True}, "expectedAnswer"),          # nor is a boolean
    ({"expectedAnswer": None}, "expectedAnswer"),          # missing operand of the comparison
    ({"studentAnswer": None}, "studentAnswer"),
    ({"minuend": "53"}, "minuend"),
    ({"topicCode": None}, "topicCode"),
    ({"topicCode": ""}, "topicCode"),
    ({"studentId": 7}, "studentId"),
    ({"rawSteps": None}, "rawSteps"),
    ({"rawSteps": "53 - 26"}, "rawSteps"),
    ({"rawSteps": [{"expression": "1"}]}, "rawSteps.0.isFinal"),
    ({"rawSteps": [{"expression": "1", "isFinal": True, "extra": 1}]}, "rawSteps.0.extra"),
    ({"rawSteps": [{"expression": "1", "isFinal": False}] * 101}, "rawSteps"),
    ({"rawSteps": [{"expression": "1" * 1001, "isFinal": True}]}, "rawSteps.0.expression"),
    ({"events": [{"t": 0, "type": "k", "payload": {}}] * 1001}, "events"),
    ({"events": [{"t": 0, "type": "k", "payload": {"x": "y" * 200_000}}]}, "events"),
    ({"events": [{"t": -1, "type": "k", "payload": {}}]}, "events.0.t"),
    ({"events": [{"t": 1, "type": "k", "payload": []}]}, "events.0.payload"),
    ({"surprise": 1}, "surprise"),
]


def test_bad_input_is_a_400_naming_the_field(db, api, tokens, school):
    student = school.students[0]
    for changes, field in BAD_INPUT:
        body = attempt_body(student.profile_id)
        body.update(changes)
        body = {key: value for key, value in body.items() if value is not None}
        reply = post(api, tokens, student, body)
        assert reply.status_code == 400, (changes, reply.json_body)
        assert field in [detail["field"] for detail in reply.json_body["details"]], (changes, reply.json_body)
    assert db.fetch_value("SELECT count(*) FROM attempts") == 0


def test_non_finite_numbers_are_refused(db, api, tokens, school):
    student = school.students[0]
    raw = json.dumps(attempt_body(student.profile_id)).replace('"studentAnswer": 33', '"studentAnswer": NaN')
    reply = api.post("/attempts", headers=tokens.headers(**student.claims), body=raw)
    assert reply.status_code == 400
    assert reply.json_body["details"][0]["field"] == "studentAnswer"


# -- who may post ----------------------------------------------------------------------------------------

def test_a_student_posting_for_another_student_gets_404(db, api, tokens, school):
    me, classmate = school.students
    reply = post(api, tokens, me, attempt_body(classmate.profile_id))
    assert reply.status_code == 404
    assert db.fetch_value("SELECT count(*) FROM attempts") == 0


def test_a_teacher_posts_for_their_students_only(db, api, tokens, school):
    other = build_school(db, "b")
    assert post(api, tokens, school.teacher, attempt_body(school.students[0].profile_id)).status_code == 201
    assert post(api, tokens, school.teacher, attempt_body(other.students[0].profile_id)).status_code == 404


def test_an_admin_posts_for_any_student_and_a_parent_may_not(db, api, tokens, school):
    admin = add_person(db, "admin", "root")
    assert post(api, tokens, admin, attempt_body(school.students[1].profile_id)).status_code == 201
    assert post(api, tokens, admin, attempt_body("no-such-student")).status_code == 404
    assert post(api, tokens, school.parent, attempt_body(school.students[0].profile_id)).status_code == 403


def test_no_token_is_a_401(db, api, school):
    reply = api.post("/attempts", headers={"Content-Type": "application/json"},
                     body=json.dumps(attempt_body(school.students[0].profile_id)))
    assert reply.status_code == 401


# -- trend_7d --------------------------------------------------------------------------------------------

def _past_observation(db, student_id: str, topic_id: str, p_known: float, days_ago: float) -> None:
    attempt_id = f"past-{uuid.uuid4().hex[:8]}"
    db.execute("INSERT INTO attempts (id, student_id, is_correct, created_at)"
               " VALUES (:id, :s, true, now() - make_interval(days => :d))",
               {"id": attempt_id, "s": student_id, "d": days_ago})
    db.execute("INSERT INTO mastery_observations (attempt_id, student_id, topic_id, is_correct, p_known, observed_at)"
               " VALUES (:a, :s, :t, true, :p, now() - make_interval(days => :d))",
               {"a": attempt_id, "s": student_id, "t": topic_id, "p": p_known, "d": days_ago})


def test_trend_7d_is_p_known_now_minus_p_known_seven_days_ago(db, api, tokens, school):
    student = school.students[0]
    topic_id = school.catalogue.topic_ids["ARITH/SUB"]
    _past_observation(db, student.profile_id, topic_id, 0.40, days_ago=9)
    _past_observation(db, student.profile_id, topic_id, 0.45, days_ago=8)   # the value 7 days ago
    _past_observation(db, student.profile_id, topic_id, 0.70, days_ago=2)   # inside the window: not used
    db.execute("INSERT INTO student_topic_mastery (student_id, topic_id, p_known, attempts_count)"
               " VALUES (:s, :t, 0.7, 3)", {"s": student.profile_id, "t": topic_id})

    post(api, tokens, student, attempt_body(student.profile_id, studentAnswer=27))

    p_now = bkt_update(0.7, P_TRANSIT, P_SLIP, P_GUESS, True)
    row = db.fetch_one("SELECT p_known, trend_7d, attempts_count FROM student_topic_mastery")
    assert row["p_known"] == p_now and row["attempts_count"] == 4
    assert row["trend_7d"] == pytest.approx(p_now - 0.45, abs=1e-12)


# -- the outbox ------------------------------------------------------------------------------------------

def test_a_failed_publish_keeps_the_message_and_status_sends_it_once_with_the_same_ids(
        db, api, tokens, aws, school, monkeypatch):
    student = school.students[0]
    good_url = aws.queue_urls["attempt_stream"]
    monkeypatch.setenv("SQS_ATTEMPT_STREAM_URL", f"{aws.endpoint}/123456789012/no-such-queue.fifo")
    dependencies.reset()

    reply = post(api, tokens, student, attempt_body(student.profile_id), **{"x-trace-id": "trace-outbox"})

    assert reply.status_code == 201, reply.json_body  # the attempt is stored and answered all the same
    attempt_id = reply.json_body["data"]["attemptId"]
    assert aws.receive_all("attempt_stream") == []
    pending = db.fetch_one("SELECT queue, deduplication_id, group_id, trace_id, last_error, publish_attempts"
                           " FROM attempt_outbox WHERE attempt_id = :id", {"id": attempt_id})
    assert pending["queue"] == "attempt_stream" and pending["deduplication_id"] == attempt_id
    assert pending["group_id"] == student.profile_id and pending["trace_id"] == "trace-outbox"
    assert pending["last_error"] and pending["publish_attempts"] == 1

    monkeypatch.setenv("SQS_ATTEMPT_STREAM_URL", good_url)
    dependencies.reset()
    status = api.get(f"/attempts/{attempt_id}/status", headers=tokens.headers(**student.claims))
    again = api.get(f"/attempts/{attempt_id}/status", headers=tokens.headers(**student.claims))

    assert status.status_code == 200 and again.status_code == 200
    message = one_message(aws, "attempt_stream")
    assert message["Attributes"]["MessageDeduplicationId"] == attempt_id
    assert message["Attributes"]["MessageGroupId"] == student.profile_id
    assert message["MessageAttributes"]["trace_id"]["StringValue"] == "trace-outbox"
    assert json.loads(message["Body"])["attemptId"] == attempt_id
    assert db.fetch_value("SELECT count(*) FROM attempt_outbox") == 0


def test_a_message_whose_lease_is_still_running_is_not_sent_twice(db, api, tokens, aws, school, monkeypatch):
    """A publisher that owns the row (its request is still publishing) is not raced by status."""
    student = school.students[0]
    monkeypatch.setenv("SQS_ATTEMPT_STREAM_URL", f"{aws.endpoint}/123456789012/no-such-queue.fifo")
    dependencies.reset()
    attempt_id = post(api, tokens, student, attempt_body(student.profile_id)).json_body["data"]["attemptId"]
    db.execute("UPDATE attempt_outbox SET claimed_until = now() + interval '1 minute'")
    monkeypatch.setenv("SQS_ATTEMPT_STREAM_URL", aws.queue_urls["attempt_stream"])
    dependencies.reset()

    api.get(f"/attempts/{attempt_id}/status", headers=tokens.headers(**student.claims))

    assert aws.receive_all("attempt_stream") == []
    assert db.fetch_value("SELECT count(*) FROM attempt_outbox") == 1


def test_without_a_configured_queue_nothing_is_kept_to_send(db, api, tokens, school):
    student = school.students[0]  # no `aws` fixture: no queue URL is set
    reply = post(api, tokens, student, attempt_body(student.profile_id, studentAnswer=99))
    assert reply.status_code == 201
    assert db.fetch_value("SELECT count(*) FROM attempt_outbox") == 0


# -- POST /attempts/solve-adhoc -------------------------------------------------------------------------

def test_solve_adhoc_stores_a_pending_attempt_and_queues_it(db, api, tokens, aws, school):
    student = school.students[0]
    body = {"studentId": student.profile_id, "problemLatex": "\\frac{1}{2} + \\frac{1}{3}",
            "studentFinalAnswer": "2/5", "courseId": school.course_id}
    reply = api.post("/attempts/solve-adhoc", headers={**tokens.headers(**student.claims), "x-trace-id": "trace-adhoc"},
                     body=json.dumps(body))

    assert reply.status_code == 201, reply.json_body
    attempt_id = reply.json_body["data"]["attemptId"]
    attempt = db.fetch_one("SELECT * FROM attempts WHERE id = :id", {"id": attempt_id})
    assert (attempt["input_mode"], attempt["status"], attempt["classifier_source"]) == ("SCAN_ADHOC", "PENDING", "LLM")
    assert (attempt["is_correct"], attempt["error_tag_id"], attempt["confidence"]) == (False, None, None)
    assert (attempt["exercise_id"], attempt["course_id"], attempt["trace_id"]) == (None, school.course_id, "trace-adhoc")
    message = one_message(aws, "adhoc_solve")
    assert json.loads(message["Body"]) == {
        "attempt_id": attempt_id, "problem_latex": "\\frac{1}{2} + \\frac{1}{3}", "student_steps": [],
        "student_final_answer": "2/5", "student_id": student.profile_id, "grade_level": 7, "trace_id": "trace-adhoc"}
    assert message["MessageAttributes"]["trace_id"]["StringValue"] == "trace-adhoc"
    AdhocSolve.model_validate_json(message["Body"])
    assert db.fetch_value("SELECT count(*) FROM attempt_outbox") == 0


def test_solve_adhoc_validates_and_checks_who_asks(db, api, tokens, aws, school):
    student, classmate = school.students
    base = {"studentId": student.profile_id, "problemLatex": "x", "studentFinalAnswer": "1"}

    def ask(person, **changes):
        return api.post("/attempts/solve-adhoc", headers=tokens.headers(**person.claims),
                        body=json.dumps({**base, **changes}))

    assert ask(student, gradeLevel=13).status_code == 400
    assert ask(student, studentSteps=[1, 2]).status_code == 400
    assert ask(student, problemLatex="").status_code == 400
    assert ask(student, studentId=classmate.profile_id).status_code == 404
    assert ask(student, courseId="no-such-course").status_code == 404
    assert ask(school.parent).status_code == 403
    assert api.post("/attempts/solve-adhoc", body=json.dumps(base),
                    headers={"Content-Type": "application/json"}).status_code == 401
    assert ask(school.teacher, studentSteps=["x = 1"], gradeLevel=5).status_code == 201
    body = json.loads(one_message(aws, "adhoc_solve")["Body"])
    assert (body["student_steps"], body["grade_level"]) == (["x = 1"], 5)


# -- GET /attempts/:id/status and /detail ----------------------------------------------------------------

@pytest.fixture
def graded_attempt(db, school):
    """A graded guide photo of student 0 whose tag the teacher overrode, with two photos."""
    student = school.students[0]
    db.execute("INSERT INTO attempts (id, student_id, course_id, is_correct, classifier_source, status,"
               " error_tag_id, confidence, input_mode)"
               " VALUES ('att-graded', :s, :c, false, 'LLM', 'CLASSIFIED',"
               " (SELECT id FROM error_tags WHERE code = 'ARITH_TRANSV_FACT_ERROR'), 0.7, 'PHOTO_GUIDE')",
               {"s": student.profile_id, "c": school.course_id})
    db.execute("INSERT INTO attempt_steps (attempt_id, step_index, content_latex, is_correct) VALUES"
               " ('att-graded', 1, '33', false), ('att-graded', 0, '53 - 26', NULL)")
    db.execute("INSERT INTO guides (id, course_id, created_by_teacher_id, title, source_pdf_key)"
               " VALUES ('guide-1', :c, :t, 'Guía', 'guides/uploads/g.pdf')",
               {"c": school.course_id, "t": school.teacher.profile_id})
    db.execute("INSERT INTO guide_questions (id, guide_id, sequence, statement_latex) VALUES ('q-1', 'guide-1', 1, '53-26')")
    db.execute("INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, status, photo_keys,"
               " transcription_latex, transcription_json, transcription_confidence, attempt_id, override_error_tag_id)"
               " VALUES ('sub-1', 'guide-1', 'q-1', :s, 'GRADED', :keys, '53 - 26 \\\\ 33', CAST(:tj AS jsonb), 0.91,"
               " 'att-graded', (SELECT id FROM error_tags WHERE code = 'ARITH_SUB_BORROW_OMITTED_TENS_G3'))",
               {"s": student.profile_id, "keys": ["submissions/sub-1/p1.jpg", "submissions/sub-1/p2.jpg"],
                "tj": json.dumps({"steps": ["53 - 26", "33"]})})
    return "att-graded"


def test_status_shows_the_teacher_override(db, api, tokens, school, graded_attempt):
    reply = api.get(f"/attempts/{graded_attempt}/status", headers=tokens.headers(**school.students[0].claims))
    assert reply.status_code == 200
    assert reply.json_body["data"] == {
        "attemptId": graded_attempt, "status": "CLASSIFIED", "isCorrect": False,
        "errorTagCode": "ARITH_SUB_BORROW_OMITTED_TENS_G3", "errorTagName": None, "classifierSource": "LLM",
        "confidence": 0.7}


def test_status_of_a_new_attempt(db, api, tokens, school):
    student = school.students[0]
    attempt_id = post(api, tokens, student, attempt_body(student.profile_id, studentAnswer=27)).json_body["data"]["attemptId"]
    data = api.get(f"/attempts/{attempt_id}/status", headers=tokens.headers(**student.claims)).json_body["data"]
    assert (data["status"], data["errorTagCode"], data["errorTagName"]) == ("CLASSIFIED", "CORRECT", "Correcto")


def test_detail_has_ordered_steps_and_the_submission_with_hour_long_photo_urls(db, api, tokens, aws, school,
                                                                               graded_attempt):
    reply = api.get(f"/attempts/{graded_attempt}/detail", headers=tokens.headers(**school.teacher.claims))
    assert reply.status_code == 200, reply.json_body
    data = reply.json_body["data"]
    assert data["errorTagCode"] == "ARITH_SUB_BORROW_OMITTED_TENS_G3" and data["errorTagName"] == ""
    assert data["steps"] == [{"stepIndex": 0, "contentLatex": "53 - 26", "isCorrect": None},
                             {"stepIndex": 1, "contentLatex": "33", "isCorrect": False}]
    submission = data["submission"]
    assert submission["transcriptionLatex"] == "53 - 26 \\\\ 33"
    assert submission["transcriptionJson"] == {"steps": ["53 - 26", "33"]}
    assert submission["transcriptionConfidence"] == 0.91
    bucket = aws.bucket_names["submissions"]
    assert len(submission["photoUrls"]) == 2
    for url, key in zip(submission["photoUrls"], ["submissions/sub-1/p1.jpg", "submissions/sub-1/p2.jpg"]):
        assert f"/{bucket}/{key}" in url and "X-Amz-Expires=3600" in url


def test_detail_without_a_submission_or_without_the_bucket(db, api, tokens, aws, school, graded_attempt, monkeypatch):
    student = school.students[0]
    attempt_id = post(api, tokens, student, attempt_body(student.profile_id)).json_body["data"]["attemptId"]
    plain = api.get(f"/attempts/{attempt_id}/detail", headers=tokens.headers(**student.claims)).json_body["data"]
    assert plain["submission"] is None and len(plain["steps"]) == 2
    monkeypatch.delenv("S3_SUBMISSIONS_BUCKET")
    dependencies.reset()
    graded = api.get(f"/attempts/{graded_attempt}/detail", headers=tokens.headers(**student.claims)).json_body["data"]
    assert graded["submission"]["photoUrls"] == []


def test_reading_an_attempt_by_role(db, api, tokens, school, graded_attempt):
    other = build_school(db, "b")
    admin = add_person(db, "admin", "root")
    for path in ("status", "detail"):
        url = f"/attempts/{graded_attempt}/{path}"

        def status_for(person):
            return api.get(url, headers=tokens.headers(**person.claims)).status_code

        assert status_for(school.students[0]) == 200        # own
        assert status_for(school.teacher) == 200            # teaches the student
        assert status_for(admin) == 200
        assert status_for(school.students[1]) == 404        # a classmate's attempt
        assert status_for(other.teacher) == 404             # foreign teacher
        assert status_for(school.parent) == 403             # parents never see attempts
        assert api.get(url).status_code == 401
        assert api.get(f"/attempts/no-such-attempt/{path}", headers=tokens.headers(**admin.claims)).status_code == 404


# -- POST /attempts/:id/report ---------------------------------------------------------------------------

def test_a_report_is_recorded_without_changing_the_attempt(db, api, tokens, school, graded_attempt):
    student = school.students[0]
    reply = api.post(f"/attempts/{graded_attempt}/report", headers=tokens.headers(**student.claims),
                     body=json.dumps({"errorTagCode": "ARITH_TRANSV_PLACE_VALUE_ERROR", "comment": "me equivoqué de columna"}))
    assert reply.status_code == 201, reply.json_body
    assert reply.json_body["data"] == {"attemptId": graded_attempt, "reported": True}
    report = db.fetch_one("SELECT r.*, t.code FROM attempt_error_reports r JOIN error_tags t ON t.id = r.error_tag_id")
    assert (report["attempt_id"], report["code"], report["source"]) == (graded_attempt, "ARITH_TRANSV_PLACE_VALUE_ERROR",
                                                                        "FIELD_REPORTED")
    assert report["reported_by_id"] == student.user_id and report["comment"] == "me equivoqué de columna"
    assert db.fetch_value("SELECT t.code FROM attempts a JOIN error_tags t ON t.id = a.error_tag_id") == \
        "ARITH_TRANSV_FACT_ERROR"


def test_report_errors_and_roles(db, api, tokens, school, graded_attempt):
    url = f"/attempts/{graded_attempt}/report"

    def report(person, body=None, path=url):
        return api.post(path, headers=tokens.headers(**person.claims),
                        body=json.dumps(body or {"errorTagCode": "ARITH_TRANSV_FACT_ERROR"}))

    assert report(school.students[0], {"errorTagCode": "NO_SUCH_TAG"}).status_code == 404
    assert report(school.students[0], {"errorTagCode": "X", "comment": "a" * 501}).status_code == 400
    assert report(school.students[0], {"comment": "sin código"}).status_code == 400
    assert report(school.students[0], path="/attempts/no-such/report").status_code == 404
    assert report(school.students[1]).status_code == 404
    assert report(school.parent).status_code == 403
    assert report(school.teacher).status_code == 201
    assert api.post(url, body=json.dumps({"errorTagCode": "X"}), headers={"Content-Type": "application/json"}).status_code == 401
    assert db.fetch_value("SELECT count(*) FROM attempt_error_reports") == 1


# -- the production entry path ---------------------------------------------------------------------------

def test_post_attempts_through_an_api_gateway_proxy_event(db, database_url, tokens, school, gateway):
    student = school.students[0]
    reply = gateway.post("/attempts", headers=tokens.headers(**student.claims),
                         body=json.dumps(attempt_body(student.profile_id)))
    assert reply.status == 201 and reply.json["data"]["errorTagCode"] == "ARITH_SUB_BORROW_OMITTED_TENS_G3"
    assert reply.headers["x-trace-id"] == reply.json["traceId"]
    assert db.fetch_value("SELECT trace_id FROM attempts") == reply.json["traceId"]
