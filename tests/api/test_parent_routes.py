"""/parent: linked children and a child's overview (api.md §4.13, DECISIONS.md §2)."""
from __future__ import annotations

import pytest

from tests.factories import add_alert, add_guide, add_person, add_submission, set_mastery


@pytest.fixture
def get(call):
    return lambda path, person=None: call("GET", path, person)


def test_children_lists_confirmed_links_only(get, db, schools):
    school_a = schools[0]
    db.execute("INSERT INTO parent_links (parent_id, student_id, relationship) VALUES (:p, :s, 'TUTOR')",
               {"p": school_a.parent.profile_id, "s": school_a.students[1].profile_id})
    response = get("/parent/children", school_a.parent)
    assert response.status == 200, response.body
    assert response.json["data"] == [{"studentId": school_a.students[0].profile_id,
                                      "displayName": "Alumno a-student-0", "relationship": "MADRE"}]


def test_a_new_parent_has_no_children(get, db, schools):
    assert get("/parent/children", add_person(db, "parent", "lonely")).json["data"] == []


@pytest.mark.parametrize("role", ["student", "teacher", "admin"])
def test_parent_routes_refuse_other_roles(get, db, schools, role):
    person = add_person(db, role, f"x-{role}")
    assert get("/parent/children", person).status == 403
    assert get(f"/parent/children/{schools[0].students[0].profile_id}", person).status == 403


def test_parent_routes_need_a_token(get, schools):
    assert get("/parent/children").status == 401
    assert get(f"/parent/children/{schools[0].students[0].profile_id}").status == 401


def test_overview_of_a_linked_child(get, db, schools):
    school_a, school_b = schools
    child = school_a.students[0]
    set_mastery(db, child.profile_id, school_a.topic_ids[0], 0.9)
    set_mastery(db, child.profile_id, school_a.topic_ids[1], 0.6)  # unit a: mean 0.75 → high
    # a unit of another grade counts only because the child practised there
    db.execute("INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)"
               " VALUES ('g6-unit', 'curriculum-math', 6, 1, 'U6', 'Sexto'), ('g6-other', 'curriculum-math', 6, 2,"
               " 'U6B', 'Sin práctica')")
    db.execute("INSERT INTO topics (id, unit_id, code, name) VALUES ('g6-t', 'g6-unit', 'T6', 'T6'),"
               " ('g6-o', 'g6-other', 'T6O', 'T6O')")
    set_mastery(db, child.profile_id, "g6-t", 0.5)
    older, older_questions = add_guide(db, school_a, "older", published_minutes_ago=60, questions=3)
    newer, newer_questions = add_guide(db, school_a, "newer", questions=1)
    add_guide(db, school_a, "draft", status="REVIEW")
    add_guide(db, school_b, "foreign")
    add_submission(db, older, older_questions[0], child)
    add_submission(db, older, older_questions[1], child, status="GRADING")
    add_submission(db, older, older_questions[2], school_a.students[1])
    db.execute("UPDATE guide_questions SET status = 'EXCLUDED' WHERE id = :q", {"q": newer_questions[0]})
    alert = add_alert(db, school_a, student=child)
    add_alert(db, school_a, student=child, resolved=True)
    add_alert(db, school_a, student=school_a.students[1])

    response = get(f"/parent/children/{child.profile_id}", school_a.parent)
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["student"] == {"id": child.profile_id, "displayName": "Alumno a-student-0"}
    assert data["units"] == [
        {"unitId": "a-unit", "code": "U-a", "name": "Unidad a", "band": "high"},
        {"unitId": "b-unit", "code": "U-b", "name": "Unidad b", "band": "low"},  # same curriculum and grade
        {"unitId": "g6-unit", "code": "U6", "name": "Sexto", "band": "mid"},
    ]
    assert [g["id"] for g in data["recentGuides"]] == [newer, older]
    assert data["recentGuides"][1] == {"id": older, "title": "Guía older", "status": "PUBLISHED", "dueAt": None,
                                       "gradedQuestions": 1, "totalQuestions": 3}
    assert (data["recentGuides"][0]["gradedQuestions"], data["recentGuides"][0]["totalQuestions"]) == (0, 0)
    assert data["alerts"] == [{"id": alert, "severity": "HIGH", "alertType": "AT_RISK_STUDENT",
                               "createdAt": data["alerts"][0]["createdAt"]}]
    assert data["alerts"][0]["createdAt"].endswith("Z")
    assert "pKnown" not in response.body and "0.75" not in response.body  # bands only, no raw mastery


def test_overview_limits_guides_and_alerts(get, db, schools):
    school_a = schools[0]
    child = school_a.students[0]
    for i in range(10):
        add_guide(db, school_a, f"g{i}", published_minutes_ago=i, questions=0)
        add_alert(db, school_a, student=child, age_minutes=i)
    data = get(f"/parent/children/{child.profile_id}", school_a.parent).json["data"]
    assert [g["id"] for g in data["recentGuides"]] == [f"guide-g{i}" for i in range(8)]
    assert len(data["alerts"]) == 5


def test_unlinked_unconfirmed_and_unknown_children_look_alike(get, db, schools):
    school_a, school_b = schools
    db.execute("INSERT INTO parent_links (parent_id, student_id, relationship) VALUES (:p, :s, 'PADRE')",
               {"p": school_a.parent.profile_id, "s": school_a.students[1].profile_id})
    answers = [get(f"/parent/children/{student_id}", school_a.parent)
               for student_id in (school_a.students[1].profile_id, school_b.students[0].profile_id, "nope")]
    assert {a.status for a in answers} == {404}
    assert {a.json["message"] for a in answers} == {"This child is not linked to your account"}
