"""/alerts: open alerts of a course, manual alerts, resolving (api.md §4.12, DECISIONS.md §2–4)."""
from __future__ import annotations


import pytest

from tests.factories import add_alert, add_person

ALERT_VIEW_KEYS = {"id", "teacherId", "courseId", "topicId", "studentId", "alertType", "severity", "payload",
                   "createdAt", "resolvedAt"}


# -- GET /alerts ----------------------------------------------------------------------------------

def test_lists_open_alerts_of_the_course_newest_first(call, db, schools):
    school_a, school_b = schools
    old = add_alert(db, school_a, student=school_a.students[0], age_minutes=60, topic_id=school_a.topic_ids[0])
    new = add_alert(db, school_a, alert_type="UNIT_OFF_TRACK", severity="MED", payload={"unitId": "u"})
    add_alert(db, school_a, resolved=True)
    add_alert(db, school_b)
    response = call("GET", "/alerts", school_a.teacher, query={"courseId": school_a.course_id})
    assert response.status == 200, response.body
    data = response.json["data"]
    assert [a["id"] for a in data] == [new, old]
    assert set(data[0]) == ALERT_VIEW_KEYS
    assert data[0]["payload"] == {"unitId": "u"} and data[0]["studentId"] is None
    assert data[1]["studentId"] == school_a.students[0].profile_id
    assert data[1]["topicId"] == school_a.topic_ids[0] and data[1]["resolvedAt"] is None
    assert data[1]["createdAt"].endswith("Z")


def test_course_id_wins_over_classroom_id(call, db, schools):
    school_a, school_b = schools
    mine = add_alert(db, school_a)
    query = {"courseId": school_a.course_id, "classroomId": school_b.course_id}
    assert [a["id"] for a in call("GET", "/alerts", school_a.teacher, query=query).json["data"]] == [mine]
    legacy = call("GET", "/alerts", school_a.teacher, query={"classroomId": school_a.course_id}).json["data"]
    assert [a["id"] for a in legacy] == [mine]


def test_no_course_gives_an_empty_list(call, db, schools):
    add_alert(db, schools[0])
    assert call("GET", "/alerts", schools[0].teacher).json["data"] == []


def test_foreign_course_is_404_and_other_roles_403(call, db, schools):
    school_a, school_b = schools
    add_alert(db, school_b)
    assert call("GET", "/alerts", school_a.teacher, query={"courseId": school_b.course_id}).status == 404
    for person in (school_a.students[0], school_a.parent):
        assert call("GET", "/alerts", person, query={"courseId": school_a.course_id}).status == 403
    assert call("GET", "/alerts", None, query={"courseId": school_a.course_id}).status == 401
    admin = add_person(db, "admin", "root")
    assert len(call("GET", "/alerts", admin, query={"courseId": school_b.course_id}).json["data"]) == 1


def test_query_ids_are_length_checked(call, schools):
    assert call("GET", "/alerts", schools[0].teacher, query={"courseId": "x" * 201}).status == 400


# -- POST /alerts ---------------------------------------------------------------------------------

def test_creates_a_manual_alert_with_defaults(call, db, schools):
    school_a = schools[0]
    body = {"courseId": school_a.course_id, "teacherId": school_a.teacher.profile_id,
            "alertType": "COMMON_ERROR_IN_TOPIC"}
    response = call("POST", "/alerts", school_a.teacher, body)
    assert response.status == 201, response.body
    alert = response.json["data"]
    assert set(alert) == ALERT_VIEW_KEYS
    assert alert["severity"] == "MED" and alert["payload"] == {} and alert["resolvedAt"] is None
    assert db.fetch_one("SELECT alert_type, payload FROM teacher_alerts WHERE id = :id", {"id": alert["id"]}) == {
        "alert_type": "COMMON_ERROR_IN_TOPIC", "payload": {}}


def test_creates_an_alert_about_a_student_and_topic(call, schools):
    school_a = schools[0]
    body = {"courseId": school_a.course_id, "teacherId": school_a.teacher.profile_id,
            "alertType": "AT_RISK_STUDENT", "severity": "HIGH", "topicId": school_a.topic_ids[1],
            "studentId": school_a.students[1].profile_id, "payload": {"note": "revisar"}}
    alert = call("POST", "/alerts", school_a.teacher, body).json["data"]
    assert (alert["severity"], alert["topicId"], alert["studentId"], alert["payload"]) == (
        "HIGH", school_a.topic_ids[1], school_a.students[1].profile_id, {"note": "revisar"})


@pytest.mark.parametrize("change, message", [
    ({"teacherId": "teacher-b-teacher"}, "Teacher not found"),
    ({"topicId": "nope"}, "Topic not found"),
    ({"studentId": "student-b-student-0"}, "Student not found"),
])
def test_unknown_or_foreign_references_are_404(call, schools, change, message):
    school_a = schools[0]
    body = {"courseId": school_a.course_id, "teacherId": school_a.teacher.profile_id,
            "alertType": "STUDENT_DROP", **change}
    response = call("POST", "/alerts", school_a.teacher, body)
    assert response.status == 404 and response.json["message"] == message


def test_alert_for_a_foreign_course_is_404(call, db, schools):
    school_a, school_b = schools
    body = {"courseId": school_b.course_id, "teacherId": school_b.teacher.profile_id, "alertType": "STUDENT_DROP"}
    assert call("POST", "/alerts", school_a.teacher, body).status == 404
    assert db.fetch_value("SELECT count(*) FROM teacher_alerts") == 0


@pytest.mark.parametrize("body, field", [
    ({"teacherId": "t", "alertType": "STUDENT_DROP"}, "courseId"),
    ({"courseId": "c", "teacherId": "t", "alertType": "WHATEVER"}, "alertType"),
    ({"courseId": "c", "teacherId": "t", "alertType": "STUDENT_DROP", "severity": "CRITICAL"}, "severity"),
    ({"courseId": "c", "teacherId": "t", "alertType": "STUDENT_DROP", "payload": [1]}, "payload"),
    ({"courseId": "c", "teacherId": "t", "alertType": "STUDENT_DROP", "payload": {"x": "y" * 9000}}, "payload"),
    ({"courseId": 5, "teacherId": "t", "alertType": "STUDENT_DROP"}, "courseId"),
    ({"courseId": "c", "teacherId": "t", "alertType": "STUDENT_DROP", "resolvedAt": "now"}, "resolvedAt"),
])
def test_create_validates_the_body(call, schools, body, field):
    response = call("POST", "/alerts", schools[0].teacher, body)
    assert response.status == 400
    assert field in {d["field"] for d in response.json["details"]}


def test_students_and_parents_cannot_create_alerts(call, schools):
    school_a = schools[0]
    body = {"courseId": school_a.course_id, "teacherId": school_a.teacher.profile_id, "alertType": "STUDENT_DROP"}
    assert call("POST", "/alerts", school_a.students[0], body).status == 403
    assert call("POST", "/alerts", school_a.parent, body).status == 403
    assert call("POST", "/alerts", None, body).status == 401


# -- PATCH /alerts/:id/resolve ----------------------------------------------------------------------

def test_resolving_sets_resolved_at_once(call, db, schools):
    school_a = schools[0]
    alert_id = add_alert(db, school_a)
    response = call("PATCH", f"/alerts/{alert_id}/resolve", school_a.teacher)
    assert response.status == 200, response.body
    resolved = response.json["data"]
    assert set(resolved) == ALERT_VIEW_KEYS and resolved["resolvedAt"] is not None
    assert db.fetch_value("SELECT resolved_by FROM teacher_alerts WHERE id = :id", {"id": alert_id}) == \
        school_a.teacher.user_id
    again = call("PATCH", f"/alerts/{alert_id}/resolve", school_a.teacher).json["data"]
    assert again["resolvedAt"] == resolved["resolvedAt"]
    assert call("GET", "/alerts", school_a.teacher, query={"courseId": school_a.course_id}).json["data"] == []


def test_resolving_unknown_or_foreign_alerts_is_404(call, db, schools):
    school_a, school_b = schools
    foreign = add_alert(db, school_b)
    unknown = call("PATCH", "/alerts/nope/resolve", school_a.teacher)
    hidden = call("PATCH", f"/alerts/{foreign}/resolve", school_a.teacher)
    assert unknown.status == hidden.status == 404
    assert unknown.json["message"] == hidden.json["message"] == "Alert not found"
    assert db.fetch_value("SELECT resolved_at FROM teacher_alerts WHERE id = :id", {"id": foreign}) is None
    assert call("PATCH", f"/alerts/{foreign}/resolve", school_b.students[0]).status == 403
