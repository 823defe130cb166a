"""/practice: quick assignment and the next-exercise recommender (api.md §4.11, DECISIONS.md §2–3)."""
from __future__ import annotations

import math

import pytest

from tests.factories import add_person, set_mastery


# -- POST /practice/assign -----------------------------------------------------------------------

def test_assign_practice_without_due_date_omits_it(call, db, schools):
    school_a = schools[0]
    pupil = school_a.students[0].profile_id
    body = {"studentId": pupil, "itemIds": [school_a.exercise_ids[1], school_a.exercise_ids[0]]}
    response = call("POST", "/practice/assign", school_a.teacher, body)
    assert response.status == 201, response.body
    data = response.json["data"]
    assert data == {"id": data["id"], "studentId": pupil, "itemIds": body["itemIds"]}
    stored = db.fetch_one("SELECT title, reason, course_id, created_by_teacher_id FROM assignments")
    assert stored == {"title": "Práctica asignada", "reason": "TEACHER_MANUAL", "course_id": None,
                      "created_by_teacher_id": school_a.teacher.profile_id}
    assert db.fetch_value("SELECT array_agg(exercise_id ORDER BY sequence) FROM assignment_exercises") == \
        body["itemIds"]
    assert db.fetch_value("SELECT student_id FROM assignment_targets") == pupil


def test_assign_practice_with_due_date(call, schools):
    school_a = schools[0]
    body = {"studentId": school_a.students[0].profile_id, "itemIds": [school_a.exercise_ids[0]],
            "dueAt": "2030-05-02T15:30:00-04:00"}
    assert call("POST", "/practice/assign", school_a.teacher, body).json["data"]["dueAt"] == \
        "2030-05-02T19:30:00.000Z"


@pytest.mark.parametrize("body, field", [
    ({"itemIds": ["x"]}, "studentId"),
    ({"studentId": "s", "itemIds": []}, "itemIds"),
    ({"studentId": "s", "itemIds": "x"}, "itemIds"),
    ({"studentId": 7, "itemIds": ["x"]}, "studentId"),
    ({"studentId": "s", "itemIds": [""]}, "itemIds.0"),
    ({"studentId": "s", "itemIds": ["x"], "dueAt": "31/12/2030"}, "dueAt"),
    ({"studentId": "s", "itemIds": ["x"], "title": "mine"}, "title"),
])
def test_assign_validates_the_body(call, schools, body, field):
    response = call("POST", "/practice/assign", schools[0].teacher, body)
    assert response.status == 400, response.body
    assert field in {d["field"] for d in response.json["details"]}


def test_assign_to_foreign_student_or_unknown_item_is_404(call, db, schools):
    school_a, school_b = schools
    assert call("POST", "/practice/assign", school_a.teacher,
                {"studentId": school_b.students[0].profile_id, "itemIds": [school_a.exercise_ids[0]]}).status == 404
    assert call("POST", "/practice/assign", school_a.teacher,
                {"studentId": school_a.students[0].profile_id, "itemIds": ["nope"]}).status == 404
    assert db.fetch_value("SELECT count(*) FROM assignments") == 0


def test_assign_is_for_teachers_only(call, schools):
    school_a = schools[0]
    body = {"studentId": school_a.students[0].profile_id, "itemIds": [school_a.exercise_ids[0]]}
    assert call("POST", "/practice/assign", school_a.students[0], body).status == 403
    assert call("POST", "/practice/assign", school_a.parent, body).status == 403
    assert call("POST", "/practice/assign", None, body).status == 401


# -- GET /practice/recommend-next ------------------------------------------------------------------

def test_recommends_the_most_informative_item_with_the_logit_convention(call, db, schools):
    school_a = schools[0]
    pupil = school_a.students[0]
    t0 = school_a.topic_ids[0]
    set_mastery(db, pupil.profile_id, t0, 0.99)
    # logit(0.99) = 4.595: an item at b = 4.6 is almost at the information peak (0.25). With the
    # original clamp to 0.95 (θ = 2.944) it would give only 0.134 and lose to a-ex-1 (θ = logit 0.3).
    db.execute("INSERT INTO exercises (id, topic_id, content, irt_a, irt_b) VALUES ('hard-item-1', :t, '{}', 1.0, 4.6)",
               {"t": t0})
    response = call("GET", "/practice/recommend-next", pupil, query={"studentId": pupil.profile_id})
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["exercise"] == {"id": "hard-item-1", "problem": "Ejercicio hard-ite", "topicCode": "T-A-0",
                                "topicName": "Tema 0", "irtA": 1.0, "irtB": 4.6}
    assert data["studentTheta"] == pytest.approx(math.log(0.99 / 0.01))
    assert data["reasoning"] == "θ = 4.60, b = 4.60 → I(θ) = 0.250 (Fisher máx)"


def test_unrecorded_topics_use_p_known_0_3_and_prompt_is_the_problem(call, db, schools):
    school_a = schools[0]
    pupil = school_a.students[0].profile_id
    set_mastery(db, pupil, school_a.topic_ids[0], 0.97)  # θ ≈ 3.48: a-ex-0 (b = 0) is nearly useless
    data = call("GET", "/practice/recommend-next", school_a.teacher, query={"studentId": pupil}).json["data"]
    assert data["exercise"]["id"] == "a-ex-1" and data["exercise"]["problem"] == "1 + 1"
    assert data["studentTheta"] == pytest.approx(math.log(0.3 / 0.7))
    assert data["reasoning"] == "θ = -0.85, b = 0.00 → I(θ) = 0.210 (Fisher máx)"


def test_domain_filter(call, db, schools):
    school_a = schools[0]
    pupil = school_a.students[0].profile_id
    db.execute("INSERT INTO domains (id, code, name) VALUES ('dom-arith', 'ARITH', 'Aritmética')")
    db.execute("UPDATE topics SET domain_id = 'dom-arith' WHERE id = :t", {"t": school_a.topic_ids[1]})
    data = call("GET", "/practice/recommend-next", school_a.teacher,
                query={"studentId": pupil, "domainId": "dom-arith"}).json["data"]
    assert data["exercise"]["id"] == "a-ex-1"
    empty = call("GET", "/practice/recommend-next", school_a.teacher, query={"studentId": pupil, "domainId": "none"})
    assert empty.status == 404 and empty.json["message"] == "No active exercises found for domain none"


def test_no_active_exercises_is_404(call, db, schools):
    school_a = schools[0]
    db.execute("UPDATE exercises SET status = 'RETIRED'")
    response = call("GET", "/practice/recommend-next", school_a.teacher,
                    query={"studentId": school_a.students[0].profile_id})
    assert response.status == 404 and response.json["message"] == "No active exercises found"


def test_recommend_next_access(call, db, schools):
    school_a, school_b = schools
    pupil = school_a.students[0].profile_id
    admin = add_person(db, "admin", "root")
    assert call("GET", "/practice/recommend-next", admin, query={"studentId": pupil}).status == 200
    for outsider in (school_b.teacher, school_a.students[1]):
        response = call("GET", "/practice/recommend-next", outsider, query={"studentId": pupil})
        assert response.status == 404 and response.json["message"] == f"Student {pupil} not found"
    assert call("GET", "/practice/recommend-next", school_a.parent, query={"studentId": pupil}).status == 403
    assert call("GET", "/practice/recommend-next", None, query={"studentId": pupil}).status == 401
    missing = call("GET", "/practice/recommend-next", school_a.teacher, query={})
    assert missing.status == 400 and missing.json["details"][0]["field"] == "studentId"
