"""``/mastery`` end to end against embedded PostgreSQL: values, ordering, limits and who may read."""
from __future__ import annotations

import json
import math

import pytest

from chalicelib.domain.bkt import bkt_update, mastery_level
from chalicelib.domain.irt import fisher_information
from tests.factories import add_exercise, add_person, add_routed_catalogue, build_school


@pytest.fixture
def school(db):
    school = build_school(db, "a")
    school.catalogue = add_routed_catalogue(db)
    topics = school.catalogue.topic_ids
    school.exercises = {
        "sub": add_exercise(db, "ex-arith-sub", topics["ARITH/SUB"], {"prompt": "53 - 26", "expectedAnswer": 27}),
        "add": add_exercise(db, "ex-arith-add", topics["ARITH/ADD"], {"prompt": 38}),
        "int": add_exercise(db, "ex-int-sub", topics["INT/SUB"], {"statement_latex": "-3 - 4"}),
    }
    return school


def insert_attempt(db, key: str, student_id: str, *, course_id: str | None, exercise_id: str | None,
                   is_correct: bool, tag: str | None, minutes_ago: float, classifier: str = "RULE") -> str:
    return db.fetch_value(
        "INSERT INTO attempts (id, student_id, course_id, exercise_id, is_correct, classifier_source, status,"
        " confidence, error_tag_id, created_at)"
        " VALUES (:id, :s, :c, :e, :ok, :src, 'CLASSIFIED', 0.9, (SELECT id FROM error_tags WHERE code = :tag),"
        "         now() - make_interval(mins => :m)) RETURNING id",
        {"id": key, "s": student_id, "c": course_id, "e": exercise_id, "ok": is_correct, "src": classifier,
         "tag": tag, "m": minutes_ago})


def set_mastery(db, student_id: str, topic_id: str, p_known: float) -> None:
    db.execute("INSERT INTO student_topic_mastery (student_id, topic_id, p_known, attempts_count)"
               " VALUES (:s, :t, :p, 1)", {"s": student_id, "t": topic_id, "p": p_known})


def get(api, tokens, person, path):
    return api.get(path, headers=tokens.headers(**person.claims))


# -- GET /mastery/:studentId ---------------------------------------------------------------------------

def test_student_mastery_lists_every_record_updated_by_attempts(db, api, tokens, school):
    student = school.students[0]
    for topic_code, answer in (("ARITH/SUB", 27), ("ARITH/SUB", 27), ("INT/SUB", 5)):
        body = {"studentId": student.profile_id, "topicCode": topic_code, "expectedAnswer": 27,
                "studentAnswer": answer, "rawSteps": []}
        assert api.post("/attempts", headers=tokens.headers(**student.claims), body=json.dumps(body)).status_code == 201

    reply = get(api, tokens, student, f"/mastery/{student.profile_id}")

    assert reply.status_code == 200
    twice_right = bkt_update(bkt_update(0.3, 0.1, 0.1, 0.2, True), 0.1, 0.1, 0.2, True)
    once_wrong = bkt_update(0.3, 0.1, 0.1, 0.2, False)
    rows = {row["topicId"]: row for row in reply.json_body["data"]}
    assert rows["topic-arith-sub"]["pKnown"] == twice_right
    assert rows["topic-arith-sub"]["masteryLevel"] == mastery_level(twice_right).value == "PROFICIENT"
    assert rows["topic-arith-sub"]["attemptsCount"] == 2
    assert rows["topic-int-sub"] | {"lastAttemptAt": None} == {
        "studentId": student.profile_id, "topicId": "topic-int-sub", "topicCode": "SUB", "topicName": "Tema INT SUB",
        "pKnown": once_wrong, "masteryLevel": "AT_RISK", "attemptsCount": 1, "lastAttemptAt": None}
    assert rows["topic-int-sub"]["lastAttemptAt"].endswith("Z")
    assert "trend7d" not in rows["topic-int-sub"]  # no history 7 days back: omitted, not null


def test_student_mastery_by_role(db, api, tokens, school):
    other = build_school(db, "b")
    admin = add_person(db, "admin", "root")
    student = school.students[0]
    set_mastery(db, student.profile_id, school.catalogue.topic_ids["ARITH/SUB"], 0.5)
    path = f"/mastery/{student.profile_id}"
    assert get(api, tokens, student, path).status_code == 200
    assert len(get(api, tokens, school.teacher, path).json_body["data"]) == 1
    assert get(api, tokens, admin, path).status_code == 200
    assert get(api, tokens, school.students[1], path).status_code == 404
    assert get(api, tokens, other.teacher, path).status_code == 404
    assert get(api, tokens, school.parent, path).status_code == 403  # parents never see raw numbers
    assert api.get(path).status_code == 401
    assert get(api, tokens, admin, "/mastery/no-such-student").status_code == 404
    assert get(api, tokens, school.students[1], f"/mastery/{school.students[1].profile_id}").json_body["data"] == []


# -- GET /mastery/course/:courseId ---------------------------------------------------------------------

@pytest.fixture
def course_history(db, school):
    """Student 0: mastery on ARITH/SUB (0.6) and INT/SUB (0.2); attempts in the course — one placed by
    its exercise (ARITH/SUB), one placed by its tag in FRACT/ADDSUB where there is no mastery, one
    whose tag a teacher overrode, one unplaced; plus one attempt in another course. Student 1 has a
    placeholder name and nothing else."""
    s0, s1 = (s.profile_id for s in school.students)
    topics = school.catalogue.topic_ids
    set_mastery(db, s0, topics["ARITH/SUB"], 0.6)
    set_mastery(db, s0, topics["INT/SUB"], 0.2)
    course = school.course_id
    ex = school.exercises
    insert_attempt(db, "t1", s0, course_id=course, exercise_id=ex["sub"], is_correct=False,
                   tag="ARITH_SUB_BORROW_OMITTED_TENS_G3", minutes_ago=50)
    insert_attempt(db, "t2", s0, course_id=course, exercise_id=ex["add"], is_correct=False,
                   tag="FRACT_ADDSUB_SUM_NUMERATOR_AND_DENOMINATOR_G5", minutes_ago=40)
    insert_attempt(db, "t3", s0, course_id=course, exercise_id=ex["add"], is_correct=True, tag="CORRECT",
                   minutes_ago=30)
    insert_attempt(db, "t4", s0, course_id=course, exercise_id=None, is_correct=False,
                   tag="ARITH_TRANSV_FACT_ERROR", minutes_ago=20)  # tag without subdomain, no exercise
    insert_attempt(db, "t5", s0, course_id=course, exercise_id=ex["sub"], is_correct=False,
                   tag="ARITH_TRANSV_FACT_ERROR", minutes_ago=10)
    insert_attempt(db, "elsewhere", s0, course_id=None, exercise_id=ex["int"], is_correct=False,
                   tag="ARITH_TRANSV_FACT_ERROR", minutes_ago=5)
    # t5's tag is overridden by the teacher on the linked guide submission.
    db.execute("INSERT INTO guides (id, course_id, created_by_teacher_id, title, source_pdf_key)"
               " VALUES ('g', :c, :t, 'Guía', 'k.pdf')", {"c": course, "t": school.teacher.profile_id})
    db.execute("INSERT INTO guide_questions (id, guide_id, sequence, statement_latex) VALUES ('q', 'g', 1, 'x')")
    db.execute("INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, attempt_id,"
               " override_error_tag_id) VALUES ('gs', 'g', 'q', :s, 't5',"
               " (SELECT id FROM error_tags WHERE code = 'ARITH_SUB_BORROW_OMITTED_TENS_G3'))", {"s": s0})
    db.execute("UPDATE students SET display_name = 'Nuevo Alumno' WHERE id = :s", {"s": s1})
    db.execute("UPDATE enrollments SET joined_at = now() - interval '1 day' WHERE student_id = :s", {"s": s1})


def test_course_view(db, api, tokens, school, course_history):
    s0, s1 = school.students
    reply = get(api, tokens, school.teacher, f"/mastery/course/{school.course_id}")

    assert reply.status_code == 200, reply.json_body
    first, second = reply.json_body["data"]
    assert (first["studentId"], first["displayName"]) == (s1.profile_id, "a-student-1")  # joined first; placeholder
    assert first["topics"] == [] and first["attempts"] == [] and first["errorFrequency"] == []
    assert (second["studentId"], second["displayName"]) == (s0.profile_id, "Alumno a-student-0")
    # Ordered by domain name ("Dominio ARITH" < "Dominio FRACT" < "Dominio INT"), then code. ARITH ADD
    # holds t3 (tag CORRECT has no subdomain: placed by its exercise) and has no mastery record, so its
    # value is the accuracy there; ARITH SUB counts t1 (by its exercise) and t5 (by its overridden tag)
    # and takes the mastery record's value; FRACT ADDSUB holds t2 (by its tag); INT SUB only mastery.
    assert second["topics"] == [
        {"topicCode": "ADD", "topicName": "Subdominio ARITH ADD", "pKnown": 1.0, "attemptsCount": 1},
        {"topicCode": "SUB", "topicName": "Subdominio ARITH SUB", "pKnown": 0.6, "attemptsCount": 2},
        {"topicCode": "ADDSUB", "topicName": "Subdominio FRACT ADDSUB", "pKnown": 0.0, "attemptsCount": 1},
        {"topicCode": "SUB", "topicName": "Subdominio INT SUB", "pKnown": 0.2, "attemptsCount": 0},
    ]
    assert [a["id"] for a in second["attempts"]] == ["t5", "t4", "t3", "t2", "t1"]
    t5 = second["attempts"][0]
    assert t5 == {"id": "t5", "exercisePrompt": "53 - 26", "isCorrect": False,
                  "errorTagCode": "ARITH_SUB_BORROW_OMITTED_TENS_G3", "errorTagName": None, "classifierSource": "RULE",
                  "confidence": 0.9, "createdAt": t5["createdAt"]}
    assert t5["createdAt"].endswith("Z")
    assert second["attempts"][1]["exercisePrompt"] == ""     # no exercise
    assert second["attempts"][2]["exercisePrompt"] == "38"   # a numeric prompt, as text
    assert second["errorFrequency"] == [  # ties keep the order met (newest first)
        {"errorTagCode": "ARITH_SUB_BORROW_OMITTED_TENS_G3", "errorTagName": None, "count": 2, "percentage": 0.5},
        {"errorTagCode": "ARITH_TRANSV_FACT_ERROR", "errorTagName": None, "count": 1, "percentage": 0.25},
        {"errorTagCode": "FRACT_ADDSUB_SUM_NUMERATOR_AND_DENOMINATOR_G5", "errorTagName": None, "count": 1,
         "percentage": 0.25},
    ]


def test_the_course_view_reads_the_50_latest_attempts_and_returns_20(db, api, tokens, school):
    student = school.students[0]
    for minute in range(60):  # the 10 oldest are wrong with a tag, the rest right
        insert_attempt(db, f"h{minute:02d}", student.profile_id, course_id=school.course_id,
                       exercise_id=school.exercises["sub"], is_correct=minute < 50, tag="CORRECT" if minute < 50 else
                       "ARITH_TRANSV_FACT_ERROR", minutes_ago=minute)
    row = next(r for r in get(api, tokens, school.teacher, f"/mastery/course/{school.course_id}").json_body["data"]
               if r["studentId"] == student.profile_id)
    assert [a["id"] for a in row["attempts"]] == [f"h{m:02d}" for m in range(20)]
    assert row["errorFrequency"] == []  # the wrong ones are older than the 50 read
    assert row["topics"] == [{"topicCode": "SUB", "topicName": "Subdominio ARITH SUB", "pKnown": 1.0,
                              "attemptsCount": 50}]


def test_the_classroom_route_is_the_course_view(db, api, tokens, school, course_history):
    course = get(api, tokens, school.teacher, f"/mastery/course/{school.course_id}").json_body["data"]
    classroom = get(api, tokens, school.teacher, f"/mastery/classroom/{school.course_id}").json_body["data"]
    assert classroom == course


@pytest.mark.parametrize("suffix", ["", "/heatmap"])
def test_course_views_by_role(db, api, tokens, school, suffix):
    other = build_school(db, "b")
    admin = add_person(db, "admin", "root")
    for prefix in ("/mastery/course/", "/mastery/classroom/") if not suffix else ("/mastery/course/",):
        path = f"{prefix}{school.course_id}{suffix}"
        assert get(api, tokens, school.teacher, path).status_code == 200
        assert get(api, tokens, admin, path).status_code == 200
        assert get(api, tokens, other.teacher, path).status_code == 404
        assert get(api, tokens, school.students[0], path).status_code == 403
        assert get(api, tokens, school.parent, path).status_code == 403
        assert api.get(path).status_code == 401
        assert get(api, tokens, admin, f"{prefix}no-such-course{suffix}").status_code == 404


# -- GET /mastery/course/:courseId/heatmap -------------------------------------------------------------

def test_heatmap(db, api, tokens, school, course_history):
    s0, s1 = school.students
    reply = get(api, tokens, school.teacher, f"/mastery/course/{school.course_id}/heatmap")

    assert reply.status_code == 200, reply.json_body
    data = reply.json_body["data"]
    assert data["courseId"] == school.course_id
    ids = school.catalogue.domain_ids
    assert data["units"] == [
        {"id": ids["ARITH"], "code": "ARITH", "name": "Dominio ARITH", "sequence": 1},
        {"id": ids["FRACT"], "code": "FRACT", "name": "Dominio FRACT", "sequence": 2},
        {"id": ids["INT"], "code": "INT", "name": "Dominio INT", "sequence": 3},
    ]
    empty, full = data["students"]
    assert empty == {"studentId": s1.profile_id, "displayName": "a-student-1", "units": [], "topics": []}
    sub = school.catalogue.subdomain_ids
    # Encounter order: placed attempts newest first (t5 ARITH SUB, t3 ARITH ADD, t2 FRACT ADDSUB), then mastery.
    assert full["topics"] == [
        {"topicId": sub["ARITH_SUB"], "unitId": ids["ARITH"], "topicCode": "SUB", "topicName": "Subdominio ARITH SUB",
         "pKnown": 0.6},
        {"topicId": sub["ARITH_ADD"], "unitId": ids["ARITH"], "topicCode": "ADD", "topicName": "Subdominio ARITH ADD",
         "pKnown": 1.0},
        {"topicId": sub["FRACT_ADDSUB"], "unitId": ids["FRACT"], "topicCode": "ADDSUB",
         "topicName": "Subdominio FRACT ADDSUB", "pKnown": 0.0},
        {"topicId": sub["INT_SUB"], "unitId": ids["INT"], "topicCode": "SUB", "topicName": "Subdominio INT SUB",
         "pKnown": 0.2},
    ]
    assert full["units"] == [{"unitId": ids["ARITH"], "pKnown": 0.8, "topicCount": 2},
                             {"unitId": ids["FRACT"], "pKnown": 0.0, "topicCount": 1},
                             {"unitId": ids["INT"], "pKnown": 0.2, "topicCount": 1}]


def test_the_heatmap_reads_the_100_most_recent_attempts(db, api, tokens, school):
    student = school.students[0]
    insert_attempt(db, "oldest", student.profile_id, course_id=school.course_id, exercise_id=school.exercises["int"],
                   is_correct=True, tag=None, minutes_ago=1000)
    for minute in range(100):
        insert_attempt(db, f"r{minute:03d}", student.profile_id, course_id=school.course_id,
                       exercise_id=school.exercises["sub"], is_correct=True, tag=None, minutes_ago=minute)
    data = get(api, tokens, school.teacher, f"/mastery/course/{school.course_id}/heatmap").json_body["data"]
    row = next(r for r in data["students"] if r["studentId"] == student.profile_id)
    assert [t["topicCode"] for t in row["topics"]] == ["SUB"]  # the 101st (INT/SUB) is not read
    assert [u["code"] for u in data["units"]] == ["ARITH"]


# -- GET /mastery/recommend/:courseId/:studentId --------------------------------------------------------

@pytest.fixture
def recommendable(db, school):
    """Student 0 is weakest on INT/SUB (0.2) then ARITH/SUB (0.7). INT/SUB has two items."""
    s0 = school.students[0].profile_id
    topics = school.catalogue.topic_ids
    set_mastery(db, s0, topics["ARITH/SUB"], 0.7)
    set_mastery(db, s0, topics["INT/SUB"], 0.2)
    add_exercise(db, "int-easy", topics["INT/SUB"], {"prompt": "-1 - 1"}, a=1.0, b=-1.4)
    add_exercise(db, "int-hard", topics["INT/SUB"], {"problem": "-9 - 7"}, a=1.2, b=2.0)
    return s0


def test_recommend_picks_the_most_informative_item_of_the_weakest_topic(db, api, tokens, school, recommendable):
    reply = get(api, tokens, school.students[0], f"/mastery/recommend/{school.course_id}/{recommendable}")

    assert reply.status_code == 200, reply.json_body
    data = reply.json_body["data"]
    theta = math.log(0.2 / 0.8)
    informations = {"ex-int-sub": fisher_information(theta, 1.0, 0.0), "int-easy": fisher_information(theta, 1.0, -1.4),
                    "int-hard": fisher_information(theta, 1.2, 2.0)}
    best = max(informations, key=informations.get)
    assert best == "int-easy"
    assert data["exercise"] == {"id": "int-easy", "problem": "-1 - 1", "topicCode": "SUB", "topicName": "Tema INT SUB",
                                "irtA": 1.0, "irtB": -1.4}
    assert data["studentTheta"] == pytest.approx(theta)
    assert data["reasoning"] == f"Tema: Tema INT SUB · p=0.20 · θ=-1.39 · Fisher={informations[best]:.3f}"


def test_recommend_skips_items_answered_correctly_in_the_course_this_week(db, api, tokens, school, recommendable):
    for key, exercise in (("r1", "int-easy"), ("r2", "ex-int-sub")):
        insert_attempt(db, key, recommendable, course_id=school.course_id, exercise_id=exercise, is_correct=True,
                       tag="CORRECT", minutes_ago=60)
    insert_attempt(db, "r3", recommendable, course_id=school.course_id, exercise_id="int-hard", is_correct=True,
                   tag="CORRECT", minutes_ago=8 * 24 * 60)  # more than 7 days ago: not excluded
    data = get(api, tokens, school.teacher, f"/mastery/recommend/{school.course_id}/{recommendable}").json_body["data"]
    assert data["exercise"]["id"] == "int-hard" and data["exercise"]["problem"] == "-9 - 7"

    insert_attempt(db, "r4", recommendable, course_id=school.course_id, exercise_id="int-hard", is_correct=True,
                   tag="CORRECT", minutes_ago=1)
    data = get(api, tokens, school.teacher, f"/mastery/recommend/{school.course_id}/{recommendable}").json_body["data"]
    assert data["exercise"]["id"] == "ex-arith-sub"  # INT/SUB exhausted: the next topic
    assert data["studentTheta"] == pytest.approx(math.log(0.7 / 0.3))


def test_recommend_without_records_or_items_is_a_404(db, api, tokens, school):
    student = school.students[0]
    path = f"/mastery/recommend/{school.course_id}/{student.profile_id}"
    assert get(api, tokens, student, path).status_code == 404
    set_mastery(db, student.profile_id, school.catalogue.topic_ids["FRACT/ADDSUB"], 0.5)  # a topic without items
    reply = get(api, tokens, student, path)
    assert reply.status_code == 404 and reply.json_body["message"] == "No available exercises for this student"


def test_recommend_by_role(db, api, tokens, school, recommendable):
    other = build_school(db, "b")
    admin = add_person(db, "admin", "root")
    path = f"/mastery/recommend/{school.course_id}/{recommendable}"
    assert get(api, tokens, school.students[0], path).status_code == 200
    assert get(api, tokens, school.teacher, path).status_code == 200
    assert get(api, tokens, admin, path).status_code == 200
    assert get(api, tokens, school.students[1], path).status_code == 404       # someone else's
    assert get(api, tokens, other.teacher, path).status_code == 404
    assert get(api, tokens, other.students[0], f"/mastery/recommend/{school.course_id}/{other.students[0].profile_id}"
               ).status_code == 404                                               # not enrolled in that course
    assert get(api, tokens, school.teacher, f"/mastery/recommend/{school.course_id}/{other.students[0].profile_id}"
               ).status_code == 404
    assert get(api, tokens, school.parent, path).status_code == 403
    assert api.get(path).status_code == 401
