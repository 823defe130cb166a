"""/classrooms: courses, invite codes, joining, archiving (api.md §4.7, DECISIONS.md §2–3)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.concurrency import run_together
from tests.conftest import ProxyClient
from tests.factories import add_person


COURSE_ROW_KEYS = {"id", "schoolId", "subjectId", "name", "gradeLevel", "letter", "academicYear",
                   "externalId", "createdAt", "archivedAt"}


# -- POST /classrooms -----------------------------------------------------------------------------

def test_teacher_creates_a_course_in_their_school_with_a_derived_name(call, db, schools):
    school_b = schools[1]
    response = call("POST", "/classrooms", school_b.teacher, {"gradeLevel": 5, "letter": "c"})
    assert response.status == 201, response.body
    course = response.json["data"]
    assert set(course) == COURSE_ROW_KEYS
    assert course["name"] == "5° básico C · Matemáticas"
    assert course["schoolId"] == school_b.school_id  # the teacher's school, not the first one
    assert course["letter"] == "c" and course["gradeLevel"] == 5
    assert course["academicYear"] == dt.datetime.now(dt.timezone.utc).year
    assert course["archivedAt"] is None and course["createdAt"].endswith("Z")
    link = db.fetch_one("SELECT teacher_id, role FROM course_teachers WHERE course_id = :c", {"c": course["id"]})
    assert link == {"teacher_id": school_b.teacher.profile_id, "role": "LEAD"}


@pytest.mark.parametrize("grade, letter, expected", [
    (4, None, "4° básico · Matemáticas"), (9, "a", "I medio A · Matemáticas"),
    (12, None, "IV medio · Matemáticas"),
])
def test_derived_names(call, schools, grade, letter, expected):
    body = {"gradeLevel": grade, **({"letter": letter} if letter else {}), "name": "   "}
    assert call("POST", "/classrooms", schools[0].teacher, body).json["data"]["name"] == expected


def test_given_name_is_trimmed_and_defaults_apply(call, schools):
    course = call("POST", "/classrooms", schools[0].teacher, {"name": "  Taller  ", "letter": " "}).json["data"]
    assert course["name"] == "Taller" and course["gradeLevel"] == 4 and course["letter"] is None


def test_teacher_without_courses_gets_the_first_school(call, db, schools):
    newcomer = add_person(db, "teacher", "new-teacher")
    course = call("POST", "/classrooms", newcomer, {}).json["data"]
    assert course["schoolId"] == db.fetch_value("SELECT id FROM schools ORDER BY created_at, id LIMIT 1")


def test_unknown_subject_is_404(call, schools):
    response = call("POST", "/classrooms", schools[0].teacher, {"subjectCode": "ART"})
    assert response.status == 404 and response.json["message"] == 'Subject "ART" not found — run seed first'


@pytest.mark.parametrize("body, field", [
    ({"gradeLevel": 13}, "gradeLevel"), ({"gradeLevel": "4"}, "gradeLevel"), ({"name": "x" * 201}, "name"),
    ({"letter": "ABCDEFGHIJK"}, "letter"), ({"colour": "red"}, "colour"),
])
def test_create_validates_the_body(call, schools, body, field):
    response = call("POST", "/classrooms", schools[0].teacher, body)
    assert response.status == 400
    assert [d["field"] for d in response.json["details"]] == [field]


@pytest.mark.parametrize("role", ["student", "parent", "admin"])
def test_only_teachers_create_courses(call, db, schools, role):
    person = add_person(db, role, f"x-{role}")
    assert call("POST", "/classrooms", person, {}).status == 403


def test_create_needs_a_token(call, schools):
    assert call("POST", "/classrooms", None, {}).status == 401


# -- lists and reads -----------------------------------------------------------------------------

def test_mine_lists_taught_courses_without_archived_ones(call, db, schools):
    school_a = schools[0]
    second = call("POST", "/classrooms", school_a.teacher, {"name": "Segundo"}).json["data"]
    archived = call("POST", "/classrooms", school_a.teacher, {"name": "Viejo"}).json["data"]
    call("DELETE", f"/classrooms/{archived['id']}", school_a.teacher)
    names = [c["name"] for c in call("GET", "/classrooms/mine", school_a.teacher).json["data"]]
    assert names == ["4° básico B a", "Segundo"]
    assert second["id"] != archived["id"]


def test_mine_is_empty_for_other_roles(call, schools):
    assert call("GET", "/classrooms/mine", schools[0].students[0]).json["data"] == []
    assert call("GET", "/classrooms/mine", schools[0].parent).json["data"] == []


def test_student_mine_lists_active_enrolments(call, db, schools):
    school_a, school_b = schools
    pupil = school_a.students[0]
    db.execute("INSERT INTO enrollments (course_id, student_id, status) VALUES (:c, :s, 'DROPPED')",
               {"c": school_b.course_id, "s": pupil.profile_id})
    data = call("GET", "/classrooms/student/mine", pupil).json["data"]
    assert [c["id"] for c in data] == [school_a.course_id]
    assert call("GET", "/classrooms/student/mine", school_a.teacher).json["data"] == []


@pytest.mark.parametrize("who", ["teacher", "student"])
def test_course_is_visible_to_its_teacher_and_students(call, schools, who):
    school_a = schools[0]
    person = school_a.teacher if who == "teacher" else school_a.students[1]
    response = call("GET", f"/classrooms/{school_a.course_id}", person)
    assert response.status == 200 and response.json["data"]["id"] == school_a.course_id


def test_foreign_and_unknown_courses_are_404(call, schools):
    school_a, school_b = schools
    foreign = call("GET", f"/classrooms/{school_b.course_id}", school_a.teacher)
    unknown = call("GET", "/classrooms/nope", school_a.teacher)
    assert foreign.status == unknown.status == 404
    assert foreign.json["message"] == unknown.json["message"]
    assert call("GET", f"/classrooms/{school_b.course_id}", school_a.students[0]).status == 404


def test_admin_sees_any_course_and_parents_are_refused(call, db, schools):
    admin = add_person(db, "admin", "root")
    assert call("GET", f"/classrooms/{schools[1].course_id}", admin).status == 200
    assert call("GET", f"/classrooms/{schools[0].course_id}", schools[0].parent).status == 403


# -- invites and joining --------------------------------------------------------------------------

def test_invite_and_join(call, db, schools, monkeypatch):
    from chalicelib import dependencies

    monkeypatch.setenv("PUBLIC_APP_URL", "https://app.superprofes.app/")
    dependencies.reset()
    school_a = schools[0]
    invite = call("POST", f"/classrooms/{school_a.course_id}/invite", school_a.teacher)
    assert invite.status == 201, invite.body
    code = invite.json["data"]["code"]
    assert invite.json["data"] == {"code": code, "url": f"https://app.superprofes.app/join?code={code}"}
    assert len(code) == 25 and code.startswith("c")
    row = db.fetch_one("SELECT course_id, created_by, expires_at, max_uses, use_count FROM classroom_invites")
    assert row == {"course_id": school_a.course_id, "created_by": school_a.teacher.profile_id,
                   "expires_at": None, "max_uses": None, "use_count": 0}

    newcomer = add_person(db, "student", "newcomer")
    joined = call("POST", "/classrooms/join", newcomer, {"code": code})
    assert joined.status == 201 and joined.json["data"]["id"] == school_a.course_id
    assert set(joined.json["data"]) == COURSE_ROW_KEYS
    assert db.fetch_value("SELECT status FROM enrollments WHERE student_id = :s",
                          {"s": newcomer.profile_id}) == "ACTIVE"
    assert db.fetch_value("SELECT use_count FROM classroom_invites") == 1
    # the new student now reaches the course
    assert call("GET", f"/classrooms/{school_a.course_id}", newcomer).status == 200


def test_url_without_public_app_url_is_relative(call, schools):
    data = call("POST", f"/classrooms/{schools[0].course_id}/invite", schools[0].teacher).json["data"]
    assert data["url"] == f"/join?code={data['code']}"


def test_joining_twice_is_409_and_not_counted(call, db, schools):
    school_a = schools[0]
    code = call("POST", f"/classrooms/{school_a.course_id}/invite", school_a.teacher).json["data"]["code"]
    response = call("POST", "/classrooms/join", school_a.students[0], {"code": code})
    assert response.status == 409 and response.json["code"] == "Conflict"
    assert db.fetch_value("SELECT use_count FROM classroom_invites") == 0


def test_join_reactivates_a_left_enrolment(call, db, schools):
    school_a = schools[0]
    pupil = school_a.students[0]
    db.execute("UPDATE enrollments SET status = 'DROPPED', left_at = now() WHERE student_id = :s",
               {"s": pupil.profile_id})
    code = call("POST", f"/classrooms/{school_a.course_id}/invite", school_a.teacher).json["data"]["code"]
    assert call("POST", "/classrooms/join", pupil, {"code": code}).status == 201
    row = db.fetch_one("SELECT status, left_at FROM enrollments WHERE student_id = :s", {"s": pupil.profile_id})
    assert row == {"status": "ACTIVE", "left_at": None}


def test_invite_with_limits_expires_and_runs_out(call, db, schools):
    school_a = schools[0]
    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)).replace(microsecond=0)
    invite = call("POST", f"/classrooms/{school_a.course_id}/invite", school_a.teacher,
                  {"expiresAt": expires.isoformat(), "maxUses": 1})
    assert invite.status == 201, invite.body
    data = invite.json["data"]
    assert data["maxUses"] == 1 and data["expiresAt"] == expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    first, second = add_person(db, "student", "first"), add_person(db, "student", "second")
    assert call("POST", "/classrooms/join", first, {"code": data["code"]}).status == 201
    used_up = call("POST", "/classrooms/join", second, {"code": data["code"]})
    assert used_up.status == 400 and used_up.json["message"] == "Invitation code has reached its usage limit"

    db.execute("UPDATE classroom_invites SET expires_at = now() - interval '1 minute', max_uses = NULL")
    expired = call("POST", "/classrooms/join", second, {"code": data["code"]})
    assert expired.status == 400 and expired.json["message"] == "Invitation code has expired"


def test_concurrent_joins_never_exceed_max_uses(app_module, call, db, schools, tokens):
    school_a = schools[0]
    code = call("POST", f"/classrooms/{school_a.course_id}/invite", school_a.teacher,
                {"maxUses": 2}).json["data"]["code"]
    pupils = [add_person(db, "student", f"racer-{i}") for i in range(6)]
    client = ProxyClient(app_module.app)

    def join(index: int) -> int:
        from chalicelib import dependencies

        try:
            return client.post("/classrooms/join", headers=tokens.headers(**pupils[index].claims),
                               body=json.dumps({"code": code})).status
        finally:
            dependencies.release_thread()

    statuses = run_together(len(pupils), join)
    assert sorted(statuses) == [201, 201, 400, 400, 400, 400]
    assert db.fetch_value("SELECT use_count FROM classroom_invites") == 2
    assert db.fetch_value("SELECT count(*) FROM enrollments WHERE course_id = :c", {"c": school_a.course_id}) == 4


@pytest.mark.parametrize("body, field", [
    ({"maxUses": 0}, "maxUses"), ({"maxUses": 1.5}, "maxUses"), ({"expiresAt": "tomorrow"}, "expiresAt"),
    ({"expiresAt": "2001-01-01"}, "expiresAt"), ({"code": "x"}, "code"),
])
def test_invite_validates_limits(call, schools, body, field):
    response = call("POST", f"/classrooms/{schools[0].course_id}/invite", schools[0].teacher, body)
    assert response.status == 400
    assert [d["field"] for d in response.json["details"]] == [field]


def test_invite_to_a_foreign_course_is_404_and_other_roles_403(call, db, schools):
    school_a, school_b = schools
    assert call("POST", f"/classrooms/{school_b.course_id}/invite", school_a.teacher).status == 404
    assert call("POST", f"/classrooms/{school_a.course_id}/invite", school_a.students[0]).status == 403
    assert call("POST", f"/classrooms/{school_a.course_id}/invite", None).status == 401


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": 5}, {"code": "x", "extra": 1}])
def test_join_validates_the_body(call, schools, body):
    assert call("POST", "/classrooms/join", schools[0].students[0], body).status == 400


def test_unknown_code_is_404_and_only_students_join(call, schools):
    school_a = schools[0]
    response = call("POST", "/classrooms/join", school_a.students[0], {"code": "nope"})
    assert response.status == 404 and response.json["message"] == "Invalid invitation code"
    assert call("POST", "/classrooms/join", school_a.teacher, {"code": "nope"}).status == 403


# -- DELETE /classrooms/:id ------------------------------------------------------------------------

def test_archive_returns_the_archived_course_and_is_idempotent(call, db, schools):
    school_a = schools[0]
    first = call("DELETE", f"/classrooms/{school_a.course_id}", school_a.teacher)
    assert first.status == 200
    course = first.json["data"]
    assert set(course) == COURSE_ROW_KEYS and course["id"] == school_a.course_id
    assert course["archivedAt"] is not None
    again = call("DELETE", f"/classrooms/{school_a.course_id}", school_a.teacher).json["data"]
    assert again["archivedAt"] == course["archivedAt"]


def test_archive_foreign_is_404_student_is_403_admin_allowed(call, db, schools):
    school_a, school_b = schools
    assert call("DELETE", f"/classrooms/{school_b.course_id}", school_a.teacher).status == 404
    assert call("DELETE", f"/classrooms/{school_a.course_id}", school_a.students[0]).status == 403
    assert db.fetch_value("SELECT archived_at FROM courses WHERE id = :c", {"c": school_b.course_id}) is None
    admin = add_person(db, "admin", "root")
    assert call("DELETE", f"/classrooms/{school_b.course_id}", admin).status == 200
