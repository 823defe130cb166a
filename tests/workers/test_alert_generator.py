"""alertGenerator against the embedded PostgreSQL: every rule of DECISIONS.md §4 with its scoping,
deduplication by the unique index, a fixed number of statements, the handler and the command."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib.services.alert_generation import generate_alerts
from chalicelib.store.database import Database
from tests.concurrency import run_together
from tests.factories import add_person, build_school

PROJECT = Path(__file__).resolve().parents[2]
NOW = datetime.now(timezone.utc)


# -- data -------------------------------------------------------------------------------------------

def set_mastery(db, student: str, topic: str, p_known: float, attempts: int = 1) -> None:
    db.execute("INSERT INTO student_topic_mastery (student_id, topic_id, p_known, attempts_count, updated_at)"
               " VALUES (:s, :t, :p, :n, now())", {"s": student, "t": topic, "p": p_known, "n": attempts})


def add_attempt(db, student: str, *, exercise: str | None = None, course: str | None = None,
                days_ago: float = 0, tag: str | None = None) -> str:
    return db.fetch_value(
        "INSERT INTO attempts (student_id, exercise_id, course_id, is_correct, error_tag_id, created_at)"
        " VALUES (:s, :e, :c, false, :tag, :at) RETURNING id",
        {"s": student, "e": exercise, "c": course, "tag": tag, "at": NOW - timedelta(days=days_ago)})


def add_tag(db, code: str) -> str:
    return db.fetch_value("INSERT INTO error_tags (id, code, description) VALUES (:id, :c, :c)"
                          " ON CONFLICT (code) DO UPDATE SET description = EXCLUDED.description RETURNING id",
                          {"id": f"tag-{code}", "c": code})


def other_subject(db) -> tuple[str, str]:
    """A LANG subject with one topic and one exercise: (topic id, exercise id)."""
    db.execute("INSERT INTO subjects (id, code, name) VALUES ('subject-lang', 'LANG', 'Lenguaje')")
    db.execute("INSERT INTO curricula (id, subject_id, name) VALUES ('curriculum-lang', 'subject-lang', 'BC')")
    db.execute("INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)"
               " VALUES ('lang-unit', 'curriculum-lang', 4, 1, 'U-LANG', 'Lectura')")
    db.execute("INSERT INTO topics (id, unit_id, code, name) VALUES ('lang-topic', 'lang-unit', 'T-LANG', 'Lectura')")
    db.execute("INSERT INTO exercises (id, topic_id, content) VALUES ('lang-ex', 'lang-topic', '{}')")
    return "lang-topic", "lang-ex"


def add_guide(db, school, *, status: str = "PUBLISHED", questions: int = 1, key: str = "g") -> tuple[str, list[str]]:
    guide = db.fetch_value(
        "INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key)"
        " VALUES (:id, :c, :t, :title, CAST(:status AS \"GuideStatus\"), 'guides/uploads/x.pdf') RETURNING id",
        {"id": f"{school.key}-{key}", "c": school.course_id, "t": school.teacher.profile_id,
         "title": f"Guía {key}", "status": status})
    ids = [db.fetch_value("INSERT INTO guide_questions (id, guide_id, sequence, statement_latex)"
                          " VALUES (:id, :g, :n, '12-5') RETURNING id", {"id": f"{guide}-q{n}", "g": guide, "n": n})
           for n in range(questions)]
    return guide, ids


def add_submission(db, guide: str, question: str, student: str, *, status: str = "GRADED",
                   attempt: str | None = None, override: str | None = None, number: int = 1) -> str:
    return db.fetch_value(
        "INSERT INTO guide_submissions (guide_id, guide_question_id, student_id, attempt_number, status, attempt_id,"
        " override_error_tag_id) VALUES (:g, :q, :s, :n, CAST(:status AS \"SubmissionStatus\"), :a, :o) RETURNING id",
        {"g": guide, "q": question, "s": student, "n": number, "status": status, "a": attempt, "o": override})


def alerts(db, alert_type: str | None = None) -> list[dict]:
    rows = db.fetch_all("SELECT * FROM teacher_alerts WHERE (CAST(:t AS text) IS NULL OR alert_type = :t)"
                        " ORDER BY alert_type, payload->>'dedup_ref'", {"t": alert_type})
    return rows


def students(school) -> list[str]:
    return [p.profile_id for p in school.students]


@pytest.fixture
def school(db):
    return build_school(db, "a", students=4, topics=3)


def recent_attempts_for_everyone(db, school) -> None:
    for student in students(school):
        add_attempt(db, student, exercise=school.exercise_ids[0])


# -- rules ------------------------------------------------------------------------------------------

def test_at_risk_student_counts_active_topics_of_the_course_subject(db, school):
    s0, s1, s2, s3 = students(school)
    t0, t1, t2 = school.topic_ids
    lang_topic, _ = other_subject(db)
    set_mastery(db, s0, t0, 0.2), set_mastery(db, s0, t2, 0.35), set_mastery(db, s0, t1, 0.9)
    set_mastery(db, s1, t0, 0.2), set_mastery(db, s1, t1, 0.1, attempts=0)  # second weak topic not active
    set_mastery(db, s2, t0, 0.2), set_mastery(db, s2, lang_topic, 0.1)  # other subject does not count
    set_mastery(db, s3, t0, 0.4), set_mastery(db, s3, t1, 0.39)
    recent_attempts_for_everyone(db, school)

    generate_alerts(db)

    [alert] = alerts(db, "AT_RISK_STUDENT")
    assert alert["student_id"] == s0 and alert["teacher_id"] == school.teacher.profile_id
    assert alert["course_id"] == school.course_id and alert["severity"] == "HIGH"
    assert alert["topic_id"] == t0  # first weak topic by code
    assert alert["payload"] == {
        "message": "Alumno a-student-0 tiene 2 temas con dominio bajo el umbral de 0.4.",
        "topics": [{"code": "T-A-0", "pKnown": 0.2}, {"code": "T-A-2", "pKnown": 0.35}], "dedup_ref": s0}


def test_student_drop_is_inactivity_in_the_course_subject(db, school):
    s0, s1, s2, s3 = students(school)
    _, lang_exercise = other_subject(db)
    add_attempt(db, s0, exercise=school.exercise_ids[1], days_ago=1)  # active
    add_attempt(db, s1, exercise=school.exercise_ids[1], days_ago=5)  # dropped
    add_attempt(db, s1, exercise=school.exercise_ids[0], days_ago=4)
    add_attempt(db, s2, exercise=lang_exercise, days_ago=0)  # recent, but another subject: dropped
    add_attempt(db, s3, course=school.course_id, days_ago=2)  # no exercise: its course's subject counts

    generate_alerts(db)

    dropped = {a["student_id"]: a for a in alerts(db, "STUDENT_DROP")}
    assert set(dropped) == {s1, s2}
    assert dropped[s1]["severity"] == "MED" and dropped[s1]["topic_id"] is None
    last = datetime.fromisoformat(dropped[s1]["payload"]["lastAttemptAt"].replace("Z", "+00:00"))
    assert abs(last - (NOW - timedelta(days=4))) < timedelta(milliseconds=2)
    assert dropped[s2]["payload"] == {"message": "Alumno a-student-2 lleva más de 3 días sin realizar intentos.",
                                      "lastAttemptAt": None, "dedup_ref": s2}


def test_unit_off_track_is_the_course_mean_over_all_mastery_rows(db, school):
    s0, s1, s2, s3 = students(school)
    t0, t1, _ = school.topic_ids
    for student, topic, p in ((s0, t0, 0.1), (s1, t0, 0.2), (s2, t1, 0.5), (s3, t1, 0.3)):
        set_mastery(db, student, topic, p, attempts=0)
    recent_attempts_for_everyone(db, school)

    generate_alerts(db)

    [alert] = alerts(db, "UNIT_OFF_TRACK")
    assert alert["topic_id"] is None and alert["student_id"] is None and alert["severity"] == "HIGH"
    assert alert["payload"]["unitId"] == school.unit_id and alert["payload"]["dedup_ref"] == school.unit_id
    assert alert["payload"]["avgPKnown"] == pytest.approx(0.275)
    assert alert["payload"]["message"] == "El dominio promedio del curso en la unidad Unidad a es 0.28."

    db.execute("UPDATE student_topic_mastery SET p_known = 0.4 WHERE student_id = :s", {"s": s0})
    db.execute("DELETE FROM teacher_alerts")
    generate_alerts(db)
    assert alerts(db, "UNIT_OFF_TRACK") == []  # mean 0.35


def test_common_error_in_topic_when_half_the_course_struggles(db, school):
    s0, s1, s2, s3 = students(school)
    t0, t1, _ = school.topic_ids
    set_mastery(db, s0, t0, 0.1), set_mastery(db, s1, t0, 0.3), set_mastery(db, s2, t0, 0.9)
    set_mastery(db, s0, t1, 0.1), set_mastery(db, s1, t1, 0.9)  # 1 of 4 students: no alert
    recent_attempts_for_everyone(db, school)

    generate_alerts(db)

    [alert] = alerts(db, "COMMON_ERROR_IN_TOPIC")
    assert alert["topic_id"] == t0 and alert["severity"] == "MED"
    assert alert["payload"] == {"course_id": school.course_id, "topic_code": "T-A-0", "struggling_students": 2,
                                "course_size": 4, "ratio": 0.5, "dedup_ref": t0}


def test_guide_grading_complete_goes_to_the_guide_creator(db, school):
    s0, s1, s2, s3 = students(school)
    guide, [q0, q1] = add_guide(db, school, questions=2)
    draft, [dq] = add_guide(db, school, status="REVIEW", key="draft")
    for student in (s0, s1, s2):
        add_submission(db, guide, q0, student)
    add_submission(db, guide, q1, s3, status="GRADING")
    for student in students(school):
        add_submission(db, draft, dq, student)  # not published: ignored
    recent_attempts_for_everyone(db, school)

    generate_alerts(db)
    assert alerts(db, "GUIDE_GRADING_COMPLETE") == []  # 3 of 4 graded

    db.execute("UPDATE guide_submissions SET status = 'GRADED' WHERE student_id = :s", {"s": s3})
    generate_alerts(db)
    [alert] = alerts(db, "GUIDE_GRADING_COMPLETE")
    assert alert["teacher_id"] == school.teacher.profile_id and alert["severity"] == "LOW"
    assert alert["payload"] == {"guide_id": guide, "title": "Guía g", "graded_students": 4, "course_size": 4,
                                "ratio": 1.0, "dedup_ref": guide}


def test_guide_common_error_uses_override_then_latest_report_then_the_attempt_tag(db, school):
    s0, s1, s2, s3 = students(school)
    guide, [question] = add_guide(db, school)
    borrow, carry, correct = add_tag(db, "BORROW_OMITTED"), add_tag(db, "CARRY_OMITTED"), add_tag(db, "CORRECT")
    reporter = add_person(db, "teacher", "reporter")
    # s0: attempt tagged CARRY, but a teacher override says BORROW.
    a0 = add_attempt(db, s0, tag=carry)
    add_submission(db, guide, question, s0, attempt=a0, override=borrow)
    # s1: attempt tagged CORRECT, latest field report says BORROW (an older one said CARRY).
    a1 = add_attempt(db, s1, tag=correct)
    add_submission(db, guide, question, s1, attempt=a1)
    for tag, age in ((carry, 2), (borrow, 1)):
        db.execute("INSERT INTO attempt_error_reports (attempt_id, error_tag_id, reported_by_id, created_at)"
                   " VALUES (:a, :t, :u, now() - make_interval(days => :d))",
                   {"a": a1, "t": tag, "u": reporter.user_id, "d": age})
    # s2: the attempt's own tag, CARRY. s3: CORRECT (never an alert).
    add_submission(db, guide, question, s2, attempt=add_attempt(db, s2, tag=carry))
    add_submission(db, guide, question, s3, attempt=add_attempt(db, s3, tag=correct))
    recent_attempts_for_everyone(db, school)

    generate_alerts(db)

    [alert] = alerts(db, "GUIDE_COMMON_ERROR")  # BORROW 2/4; CARRY 1/4 < 0.3; CORRECT ignored
    assert alert["severity"] == "MED" and alert["topic_id"] is None
    assert alert["payload"] == {"guide_id": guide, "guide_question_id": question, "error_code": "BORROW_OMITTED",
                                "n_students": 2, "course_size": 4, "ratio": 0.5,
                                "dedup_ref": f"{question}:BORROW_OMITTED"}


# -- scoping ----------------------------------------------------------------------------------------

def test_archived_and_teacherless_courses_are_skipped_and_the_lead_teacher_is_chosen(db, school):
    b = build_school(db, "b", students=1)
    c = build_school(db, "c", students=1)
    db.execute("UPDATE courses SET archived_at = now() WHERE id = :c", {"c": b.course_id})
    db.execute("DELETE FROM course_teachers WHERE course_id = :c", {"c": c.course_id})
    co_teacher = add_person(db, "teacher", "a-co")
    db.execute("UPDATE course_teachers SET role = 'ASSISTANT' WHERE course_id = :c", {"c": school.course_id})
    db.execute("INSERT INTO course_teachers (course_id, teacher_id, role, added_at)"
               " VALUES (:c, :t, 'LEAD', now() + interval '1 day')", {"c": school.course_id, "t": co_teacher.profile_id})

    report = generate_alerts(db)

    assert report.courses == 1
    dropped = alerts(db, "STUDENT_DROP")
    assert {a["course_id"] for a in dropped} == {school.course_id}
    assert {a["teacher_id"] for a in dropped} == {co_teacher.profile_id}
    assert len(dropped) == 4


def test_inactive_enrollments_are_not_judged(db, school):
    s0 = students(school)[0]
    db.execute("UPDATE enrollments SET status = 'LEFT' WHERE student_id <> :s", {"s": s0})
    generate_alerts(db)
    assert [a["student_id"] for a in alerts(db, "STUDENT_DROP")] == [s0]


# -- deduplication and cost -------------------------------------------------------------------------

def test_repeated_runs_raise_each_alert_once_per_day_resolved_or_not(db, school):
    s0, s1, *_ = students(school)
    t0, t1, _ = school.topic_ids
    set_mastery(db, s0, t0, 0.1), set_mastery(db, s0, t1, 0.1)
    first = generate_alerts(db)
    assert first.by_type == {"AT_RISK_STUDENT": 1, "STUDENT_DROP": 4, "UNIT_OFF_TRACK": 1}
    count = len(alerts(db))
    assert count == len(first.inserted) == 6

    db.execute("UPDATE teacher_alerts SET resolved_at = now()")
    db.execute("INSERT INTO teacher_alerts (teacher_id, course_id, alert_type, payload)"
               " VALUES (:t, :c, 'STUDENT_DROP', '{}')", {"t": school.teacher.profile_id, "c": school.course_id})
    second = generate_alerts(db)
    assert second.inserted == [] and second.candidates == 0  # found as raised before shipping them
    assert second.already_raised == first.candidates == 6
    assert len(alerts(db)) == count + 1  # only the manual alert was added

    # Tomorrow (UTC) the same situation raises the alerts again.
    db.execute("UPDATE teacher_alerts SET created_at = created_at - interval '1 day'")
    assert len(generate_alerts(db).inserted) == len(first.inserted)


def test_concurrent_runs_never_duplicate(database_url, school):
    def run(_: int) -> int:
        worker_db = Database.from_url(database_url)
        try:
            return len(generate_alerts(worker_db).inserted)
        finally:
            worker_db.close()

    results = run_together(3, run)
    check = Database.from_url(database_url)
    total = check.fetch_value("SELECT count(*) FROM teacher_alerts")
    distinct = check.fetch_value("SELECT count(DISTINCT (alert_type, payload->>'dedup_ref')) FROM teacher_alerts")
    check.close()
    assert sum(results) == total == distinct == 4  # the four students' STUDENT_DROP


def test_statement_count_does_not_grow_with_the_data(db, database_url):
    def statements_of_one_run() -> int:
        runner = Database.from_url(database_url)
        runner.connection  # connect first: the connection is not a statement
        before = runner.round_trips
        generate_alerts(runner)
        runner.close()
        return runner.round_trips - before

    build_school(db, "a", students=2, topics=2)
    small = statements_of_one_run()
    for key in "bcdef":
        school = build_school(db, key, students=6, topics=4)
        for student in students(school):
            for topic in school.topic_ids:
                set_mastery(db, student, topic, 0.1)
        add_guide(db, school, questions=3)
    db.execute("DELETE FROM teacher_alerts")
    large = statements_of_one_run()
    assert small == large == 2
    assert len(alerts(db)) > 30


# -- entry points -----------------------------------------------------------------------------------

SCHEDULED_EVENT = {"version": "0", "id": "e-1", "detail-type": "Scheduled Event", "source": "aws.events",
                   "account": "123456789012", "time": "2026-05-04T10:00:00Z", "region": "us-east-1",
                   "resources": ["arn:aws:events:us-east-1:123456789012:rule/alertGenerator"], "detail": {}}


def test_scheduled_handler_runs_the_generator(lambda_client, db, school):
    event = SCHEDULED_EVENT
    result = lambda_client.invoke("alertGenerator", event).payload
    assert result == {"courses": 1, "inserted": 4, "deduplicated": 0, "by_type": {"STUDENT_DROP": 4}}
    assert len(alerts(db, "STUDENT_DROP")) == 4
    assert lambda_client.invoke("alertGenerator", event).payload["inserted"] == 0


def test_fire_alerts_command_prints_what_it_raised(database_url, db, school, capsys):
    from chalicelib import cli

    def printed() -> list[str]:  # without the JSON log lines that share stdout
        return [line for line in capsys.readouterr().out.splitlines() if not line.startswith("{")]

    assert cli.main(["fire-alerts"]) == 0
    out = printed()
    assert sum(line.startswith("STUDENT_DROP") for line in out) == 4
    assert f"ref={students(school)[0]}" in "\n".join(out)
    assert out[-1] == "4 alert(s) raised (STUDENT_DROP 4); 0 already raised today; 1 course(s) scanned"
    cli.main(["fire-alerts"])
    assert printed() == ["0 alert(s) raised (none); 4 already raised today; 1 course(s) scanned"]


def test_cold_start_imports_no_ai_sdk_mongodb_or_boto3(database_url, school):
    script = textwrap.dedent("""
        import json, sys
        import app
        result = app.alert_generator(json.loads(sys.argv[1]), None)
        heavy = sorted(m for m in sys.modules
                       if m.split(".")[0] in ("anthropic", "pymongo", "boto3", "botocore", "bson")
                       or m.startswith("google.genai"))
        print(json.dumps({"result": result, "heavy": heavy}))
    """)
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "LOG_LEVEL": "error"}
    done = subprocess.run([sys.executable, "-c", script, json.dumps(SCHEDULED_EVENT)], cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout.strip().splitlines()[-1])
    assert output["result"]["inserted"] == 4
    assert output["heavy"] == []


def test_every_alert_type_is_recognised_as_raised_on_the_next_run(db, school):
    """The query's own dedup refs (used to skip alerts raised today) match the rules' refs."""
    s0, s1, s2, s3 = students(school)
    t0, t1, _ = school.topic_ids
    for student in (s0, s1):
        set_mastery(db, student, t0, 0.1), set_mastery(db, student, t1, 0.1)
    guide, [question] = add_guide(db, school)
    borrow = add_tag(db, "BORROW_OMITTED")
    for n, student in enumerate(students(school)):
        add_submission(db, guide, question, student, override=borrow if n < 2 else None)

    first = generate_alerts(db)
    assert set(first.by_type) == {"AT_RISK_STUDENT", "STUDENT_DROP", "UNIT_OFF_TRACK", "COMMON_ERROR_IN_TOPIC",
                                  "GUIDE_GRADING_COMPLETE", "GUIDE_COMMON_ERROR"}
    second = generate_alerts(db)
    assert second.candidates == 0 and second.inserted == []
    assert second.already_raised == len(first.inserted)
