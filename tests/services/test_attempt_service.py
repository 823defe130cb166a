"""The attempt service's entry points for other paths, the SQL twin of BKT, and the outbox command."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import cli, dependencies
from chalicelib.domain.bkt import bkt_update
from chalicelib.domain.rule_engine import classify
from chalicelib.services import attempt_service
from chalicelib.services.attempt_service import AttemptRecord
from chalicelib.store import attempts as attempt_store
from chalicelib.store.database import IntegrityViolation
from tests.factories import add_exercise, add_routed_catalogue, build_school


@pytest.fixture
def school(db):
    school = build_school(db, "a")
    school.catalogue = add_routed_catalogue(db)
    return school


# -- bkt_update() in SQL is chalicelib.domain.bkt.bkt_update --------------------------------------------

# Inputs below 1e-150 are taken as 0 in SQL (PostgreSQL errors on underflow); see migration 0011.
probabilities = st.one_of(st.sampled_from([0.0, 1.0, 0.5, 0.3, 0.1, 0.2, 0.05, 0.95]),
                          st.floats(min_value=1e-150, max_value=1.0))
updates = st.lists(st.tuples(probabilities, probabilities, probabilities, probabilities, st.booleans()),
                   min_size=1, max_size=200)


@pytest.fixture
def sql_bkt(db):
    def run(cases):
        rows = db.fetch_all(
            "SELECT bkt_update(c.prior, c.t, c.s, c.g, c.ok) AS p FROM unnest(CAST(:p AS float8[]),"
            " CAST(:t AS float8[]), CAST(:s AS float8[]), CAST(:g AS float8[]), CAST(:ok AS bool[]))"
            " WITH ORDINALITY AS c(prior, t, s, g, ok, n) ORDER BY c.n",
            {"p": [c[0] for c in cases], "t": [c[1] for c in cases], "s": [c[2] for c in cases],
             "g": [c[3] for c in cases], "ok": [c[4] for c in cases]})
        return [row["p"] for row in rows]
    return run


def test_sql_bkt_update_is_bit_identical_to_the_domain_function(sql_bkt):
    @settings(max_examples=40, deadline=None)
    @given(updates)
    def check(cases):
        assert sql_bkt(cases) == [bkt_update(*case) for case in cases]

    check()


def test_sql_bkt_update_keeps_the_prior_on_a_zero_denominator(sql_bkt):
    # slip 0 and prior 0 with a correct answer, or guess 1 with a wrong one: 0/0 → posterior = prior.
    cases = [(0.0, 0.1, 0.0, 0.0, True), (0.0, 0.0, 0.5, 1.0, False), (1.0, 0.0, 1.0, 0.0, True)]
    assert sql_bkt(cases) == [bkt_update(*case) for case in cases] == [0.1, 0.0, 1.0]


def test_sql_bkt_update_survives_values_that_would_underflow(sql_bkt):
    cases = [(1e-200, 0.0, 1e-200, 0.2, False), (5e-324, 0.1, 0.1, 0.2, False), (0.3, 1e-320, 0.1, 0.2, True)]
    assert sql_bkt(cases) == pytest.approx([bkt_update(*case) for case in cases], abs=1e-140)


# -- record_attempt --------------------------------------------------------------------------------------

def test_record_attempt_writes_the_attempt_its_steps_and_one_bkt_update(db, school):
    student = school.students[0].profile_id
    topic = school.catalogue.topic_ids["ARITH/SUB"]
    record = AttemptRecord(student_id=student, is_correct=True, classifier_source="RULE", status="CLASSIFIED",
                           input_mode="PHOTO_GUIDE", trace_id="trace-g", error_tag_code="CORRECT", confidence=0.97,
                           topic_id=topic, course_id=school.course_id, ocr_confidence=0.9, ocr_provider="claude-haiku",
                           steps=[("53 - 26", None), ("27", True)], attempt_id="rec-1")
    with db.transaction():
        result = attempt_service.record_attempt(db, record)

    assert result.attempt_id == "rec-1"
    assert result.p_known == bkt_update(0.3, 0.1, 0.1, 0.2, True) and result.trend_7d is None
    row = db.fetch_one("SELECT a.*, t.code FROM attempts a JOIN error_tags t ON t.id = a.error_tag_id")
    assert (row["id"], row["input_mode"], row["status"], row["code"], row["trace_id"]) == \
        ("rec-1", "PHOTO_GUIDE", "CLASSIFIED", "CORRECT", "trace-g")
    assert row["classified_at"] is not None and row["ocr_provider"] == "claude-haiku"
    assert db.fetch_all("SELECT step_index, content_latex, is_correct FROM attempt_steps ORDER BY step_index") == [
        {"step_index": 0, "content_latex": "53 - 26", "is_correct": None},
        {"step_index": 1, "content_latex": "27", "is_correct": True}]
    assert db.fetch_value("SELECT attempts_count FROM student_topic_mastery") == 1

    with pytest.raises(IntegrityViolation):  # the same attempt can never feed BKT twice
        attempt_store.apply_bkt_observation(db, attempt_id="rec-1", student_id=student, topic_id=topic,
                                            is_correct=True)
    with pytest.raises(IntegrityViolation):
        attempt_service.record_attempt(db, record)
    assert db.fetch_value("SELECT attempts_count FROM student_topic_mastery") == 1
    assert db.fetch_value("SELECT count(*) FROM attempts") == 1


def test_record_attempt_without_a_topic_updates_no_mastery_and_joins_the_callers_transaction(db, school):
    student = school.students[0].profile_id
    pending = AttemptRecord(student_id=student, is_correct=False, classifier_source="LLM", status="PENDING",
                            input_mode="PHOTO_GUIDE", trace_id="t")
    result = attempt_service.record_attempt(db, pending)
    assert result.p_known is None
    assert db.fetch_one("SELECT status, classified_at FROM attempts") == {"status": "PENDING", "classified_at": None}
    assert db.fetch_value("SELECT count(*) FROM student_topic_mastery") == 0

    with pytest.raises(RuntimeError), db.transaction():
        attempt_service.record_attempt(db, AttemptRecord(
            student_id=student, is_correct=True, classifier_source="RULE", status="CLASSIFIED",
            input_mode="PHOTO_GUIDE", trace_id="t", topic_id=school.catalogue.topic_ids["ARITH/SUB"]))
        raise RuntimeError("the caller fails later in its unit of work")
    assert db.fetch_value("SELECT count(*) FROM attempts") == 1
    assert db.fetch_value("SELECT count(*) FROM student_topic_mastery") == 0


# -- reclassify_attempt ----------------------------------------------------------------------------------

@pytest.fixture
def digital_attempt(db, school):
    """A digital attempt on an ARITH/SUB exercise (expected 27) with a BKT update and three steps."""
    exercise = add_exercise(db, "ex-1", school.catalogue.topic_ids["ARITH/SUB"],
                            {"prompt": "53 - 26", "expectedAnswer": 27})
    attempt_service.record_attempt(db, AttemptRecord(
        student_id=school.students[0].profile_id, is_correct=False, classifier_source="LLM", status="PENDING",
        input_mode="DIGITAL", trace_id="t0", error_tag_code="UNCLASSIFIED", confidence=0.0,
        topic_id=school.catalogue.topic_ids["ARITH/SUB"], exercise_id=exercise, attempt_id="att-1",
        steps=[("a", None), ("b", None), ("c", False)]))
    return "att-1"


def _mastery_snapshot(db):
    return db.fetch_all("SELECT p_known, attempts_count FROM student_topic_mastery"), \
        db.fetch_value("SELECT count(*) FROM mastery_observations")


def test_reclassify_in_place_without_bkt(db, school, digital_attempt):
    before = _mastery_snapshot(db)
    with db.transaction():
        result = attempt_service.reclassify_attempt(db, digital_attempt, steps=["53 - 26 = 27", "27"],
                                                    student_answer=27, ocr_provider="gemini", ocr_confidence=0.93,
                                                    trace_id="t1")

    assert (result.classification.error_tag, result.status, result.already_applied) == ("CORRECT", "CLASSIFIED", False)
    assert result.llm_request is None
    row = db.fetch_one("SELECT * FROM attempts WHERE id = :id", {"id": digital_attempt})
    assert (row["is_correct"], row["status"], row["classifier_source"], row["ocr_provider"], row["ocr_confidence"]) == \
        (True, "CLASSIFIED", "RULE", "gemini", 0.93)
    assert row["classified_at"] is not None and row["final_answer"] == "27"
    assert db.fetch_all("SELECT step_index, content_latex, is_correct FROM attempt_steps ORDER BY step_index") == [
        {"step_index": 0, "content_latex": "53 - 26 = 27", "is_correct": None},
        {"step_index": 1, "content_latex": "27", "is_correct": True}]
    assert db.fetch_value("SELECT count(*) FROM attempts") == 1
    assert _mastery_snapshot(db) == before  # no second mastery update

    again = attempt_service.reclassify_attempt(db, digital_attempt, steps=["x"], student_answer=1,
                                               ocr_provider="gemini", ocr_confidence=0.93, trace_id="t2")
    assert again.already_applied and again.classification is None
    assert db.fetch_value("SELECT count(*) FROM attempt_steps") == 2


def test_reclassify_to_unclassified_returns_the_llm_request(db, school, digital_attempt):
    result = attempt_service.reclassify_attempt(db, digital_attempt, steps=["53 - 26", "99"], student_answer=99,
                                                ocr_provider="claude", ocr_confidence=0.8, trace_id="t3")
    expected = classify({"expected_answer": 27, "student_answer": 99, "steps": [{"expression": "53 - 26"}]},
                        "ARITH_SUB")
    assert result.classification.error_tag == expected.error_tag == "UNCLASSIFIED"
    assert result.status == "PENDING"
    assert json.loads(result.llm_request.model_dump_json()) == {
        "id": digital_attempt, "topic": "SUB", "domain_id": school.catalogue.domain_ids["ARITH"],
        "subdomain_code": "SUB", "problem_statement": "53 - 26", "canonical_solution": "27",
        "raw_steps": [{"expression": "53 - 26", "isFinal": False}, {"expression": "99", "isFinal": True}],
        "final_answer": "99", "student_id": school.students[0].profile_id, "trace_id": "t3"}
    assert db.fetch_one("SELECT status, classified_at FROM attempts") == {"status": "PENDING", "classified_at": None}


def test_reclassify_an_unknown_attempt(db, school):
    assert attempt_service.reclassify_attempt(db, "nope", steps=[], student_answer=0, ocr_provider="g",
                                              ocr_confidence=1.0, trace_id="t") is None


# -- the republish command ------------------------------------------------------------------------------

def test_the_republish_command_sends_what_a_failed_publish_left(db, database_url, tokens, aws, school, monkeypatch,
                                                                 api, capsys):
    student = school.students[0]
    monkeypatch.setenv("SQS_LLM_CLASSIFY_URL", f"{aws.endpoint}/123456789012/no-such-queue")
    dependencies.reset()
    body = {"studentId": student.profile_id, "topicCode": "ARITH/SUB", "expectedAnswer": 27, "studentAnswer": 99,
            "rawSteps": []}
    attempt_id = api.post("/attempts", headers=tokens.headers(**student.claims),
                          body=json.dumps(body)).json_body["data"]["attemptId"]
    assert len(aws.receive_all("attempt_stream")) == 1  # the other queue was reached
    assert db.fetch_value("SELECT queue FROM attempt_outbox") == "llm_classify"

    assert cli.main(["republish-outbox"]) == 1  # still failing: the row stays
    assert db.fetch_value("SELECT publish_attempts FROM attempt_outbox") == 2

    monkeypatch.setenv("SQS_LLM_CLASSIFY_URL", aws.queue_urls["llm_classify"])
    dependencies.reset()
    assert cli.main(["republish-outbox"]) == 0
    assert "1 message(s) published" in capsys.readouterr().out
    messages = aws.receive_all("llm_classify")
    assert [json.loads(m["Body"])["id"] for m in messages] == [attempt_id]
    assert db.fetch_value("SELECT count(*) FROM attempt_outbox") == 0
    assert cli.main(["republish-outbox"]) == 0 and aws.receive_all("llm_classify") == []
