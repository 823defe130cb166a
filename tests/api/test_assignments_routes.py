"""/assignments: creation, the IRT recommender, a student's list (api.md §4.10, DECISIONS.md §2–3)."""
from __future__ import annotations


import pytest

from tests.factories import add_person, set_mastery

ASSIGNMENT_ROW_KEYS = {"id", "courseId", "createdByTeacherId", "title", "reason", "kind", "dueAt", "createdAt"}
EXERCISE_ROW_KEYS = {"id", "topicId", "source", "createdByTeacherId", "content", "language", "irtA", "irtB",
                     "irtCalibratedAt", "status", "createdAt"}
TOPIC_ROW_KEYS = {"id", "unitId", "subdomainId", "domainId", "code", "name", "description", "bktPL0",
                  "bktPTransit", "bktPSlip", "bktPGuess", "bktCalibratedAt"}


def add_exercise(db, exercise_id, topic_id, b, *, a=1.0, status="ACTIVE", content=None):
    db.execute("INSERT INTO exercises (id, topic_id, content, irt_a, irt_b, status) VALUES (:id, :t, :c, :a, :b, :s)",
               {"id": exercise_id, "t": topic_id, "c": content or {}, "a": a, "b": b, "s": status})


# -- POST /assignments ----------------------------------------------------------------------------

def test_teacher_assigns_exercises_to_students(call, db, schools):
    school_a = schools[0]
    pupil = school_a.students[1].profile_id
    body = {"studentIds": [pupil], "exerciseIds": [school_a.exercise_ids[1], school_a.exercise_ids[0],
                                                   school_a.exercise_ids[1]],
            "title": "Repaso", "reason": "TEACHER_MANUAL", "dueAt": "2030-03-01"}
    response = call("POST", "/assignments", school_a.teacher, body)
    assert response.status == 201, response.body
    data = response.json["data"]
    assert set(data) == ASSIGNMENT_ROW_KEYS | {"assignmentExercises", "targets"}
    assert (data["title"], data["reason"], data["kind"], data["courseId"]) == ("Repaso", "TEACHER_MANUAL",
                                                                                "EXERCISES", None)
    assert data["createdByTeacherId"] == school_a.teacher.profile_id
    assert data["dueAt"] == "2030-03-01T00:00:00.000Z"
    assert [(e["exerciseId"], e["sequence"]) for e in data["assignmentExercises"]] == [
        (school_a.exercise_ids[1], 0), (school_a.exercise_ids[0], 1), (school_a.exercise_ids[1], 2)]
    first = data["assignmentExercises"][0]
    assert set(first) == {"assignmentId", "exerciseId", "sequence", "exercise"}
    assert set(first["exercise"]) == EXERCISE_ROW_KEYS and first["exercise"]["content"]["prompt"] == "1 + 1"
    assert data["targets"] == [{"assignmentId": data["id"], "studentId": pupil, "status": "PENDING"}]
    stored = db.fetch_all("SELECT exercise_id, sequence FROM assignment_exercises WHERE assignment_id = :a"
                          " ORDER BY sequence", {"a": data["id"]})
    assert [r["exercise_id"] for r in stored] == [e["exerciseId"] for e in data["assignmentExercises"]]
    assert db.fetch_all("SELECT student_id, status FROM assignment_targets") == [{"student_id": pupil,
                                                                                  "status": "PENDING"}]


def test_whole_course_assignment_targets_its_active_students(call, db, schools):
    school_a = schools[0]
    db.execute("UPDATE enrollments SET status = 'DROPPED' WHERE student_id = :s",
               {"s": school_a.students[1].profile_id})
    body = {"courseId": school_a.course_id, "exerciseIds": [school_a.exercise_ids[0]], "title": "Todos",
            "reason": "TEACHER_MANUAL"}
    data = call("POST", "/assignments", school_a.teacher, body).json["data"]
    assert data["courseId"] == school_a.course_id and data["dueAt"] is None
    assert [t["studentId"] for t in data["targets"]] == [school_a.students[0].profile_id]


@pytest.mark.parametrize("body, field", [
    ({"exerciseIds": [], "title": "t", "reason": "TEACHER_MANUAL", "studentIds": ["s"]}, "exerciseIds"),
    ({"exerciseIds": ["e"], "title": "", "reason": "TEACHER_MANUAL", "studentIds": ["s"]}, "title"),
    ({"exerciseIds": ["e"], "title": "t", "reason": "BECAUSE", "studentIds": ["s"]}, "reason"),
    ({"exerciseIds": ["e"], "title": "t", "reason": "TEACHER_MANUAL", "studentIds": ["s"], "dueAt": "soon"}, "dueAt"),
    ({"exerciseIds": ["e"], "title": "t", "reason": "TEACHER_MANUAL", "studentIds": "s"}, "studentIds"),
    ({"exerciseIds": ["e"] * 101, "title": "t", "reason": "TEACHER_MANUAL", "studentIds": ["s"]}, "exerciseIds"),
    ({"exerciseIds": ["e"], "title": "t", "reason": "TEACHER_MANUAL", "studentIds": ["s"], "kind": "GUIDE"}, "kind"),
    ({"exerciseIds": ["e"], "title": "t", "reason": "TEACHER_MANUAL"}, "studentIds"),
    ({"exerciseIds": ["e"], "title": "t", "reason": "TEACHER_MANUAL", "studentIds": ["s", "s"]}, "studentIds"),
])
def test_create_validates_the_body(call, schools, body, field):
    response = call("POST", "/assignments", schools[0].teacher, body)
    assert response.status == 400, response.body
    assert field in {d["field"] for d in response.json["details"]}


def test_foreign_students_courses_and_unknown_exercises_are_404(call, db, schools):
    school_a, school_b = schools
    base = {"exerciseIds": [school_a.exercise_ids[0]], "title": "t", "reason": "TEACHER_MANUAL"}
    foreign_student = call("POST", "/assignments", school_a.teacher,
                           {**base, "studentIds": [school_b.students[0].profile_id]})
    assert foreign_student.status == 404
    assert call("POST", "/assignments", school_a.teacher, {**base, "courseId": school_b.course_id}).status == 404
    # a student of the teacher, but not of the named course
    outsider = call("POST", "/assignments", school_b.teacher,
                    {**base, "courseId": school_b.course_id, "studentIds": [school_a.students[0].profile_id]})
    assert outsider.status == 404
    unknown = call("POST", "/assignments", school_a.teacher,
                   {**base, "exerciseIds": ["nope"], "studentIds": [school_a.students[0].profile_id]})
    assert unknown.status == 404 and unknown.json["message"] == "Exercise not found: nope"
    assert db.fetch_value("SELECT count(*) FROM assignments") == 0


@pytest.mark.parametrize("role", ["student", "parent", "admin"])
def test_only_teachers_create_assignments(call, db, schools, role):
    school_a = schools[0]
    body = {"exerciseIds": [school_a.exercise_ids[0]], "title": "t", "reason": "TEACHER_MANUAL",
            "studentIds": [school_a.students[0].profile_id]}
    assert call("POST", "/assignments", add_person(db, role, f"x-{role}"), body).status == 403
    assert call("POST", "/assignments", None, body).status == 401


# -- POST /assignments/recommend ----------------------------------------------------------------------

@pytest.fixture
def recommender_bank(db, schools):
    """Mastery 0.5 on topic 0 (θ = 0) and 0.9 on topic 1 (θ = logit 0.9 ≈ 2.197), and items whose
    Fisher information at those abilities orders them (a = 1): I = P(1 − P)."""
    school_a = schools[0]
    pupil = school_a.students[0].profile_id
    t0, t1 = school_a.topic_ids
    set_mastery(db, pupil, t0, 0.5)
    set_mastery(db, pupil, t1, 0.9)
    add_exercise(db, "r-t1-b2", t1, 2.0)      # I ≈ 0.2476
    add_exercise(db, "r-t0-b1", t0, 1.0)      # I ≈ 0.1966
    add_exercise(db, "r-t0-bm2", t0, -2.0)    # I ≈ 0.1050
    add_exercise(db, "r-t0-b3", t0, 3.0)      # I ≈ 0.0452
    add_exercise(db, "r-t0-off", t0, 0.0, status="RETIRED")
    # the factory's a-ex-0 (topic 0, b = 0): I = 0.25; a-ex-1 (topic 1, b = 0): I = 0.09
    return school_a, pupil


def test_recommend_assigns_the_five_most_informative_items(call, db, recommender_bank):
    school_a, pupil = recommender_bank
    response = call("POST", "/assignments/recommend", school_a.teacher, query={"studentId": pupil})
    assert response.status == 201, response.body
    data = response.json["data"]
    # With the raw-p_known θ of the original the order would be a-ex-0, r-t0-b1, a-ex-1, r-t1-b2, …
    assert [e["exerciseId"] for e in data["assignmentExercises"]] == [
        "a-ex-0", "r-t1-b2", "r-t0-b1", "r-t0-bm2", "a-ex-1"]
    assert data["title"] == "Práctica recomendada — T-A-0"
    assert (data["reason"], data["courseId"], data["dueAt"]) == ("PRACTICE_RECOMMENDER", None, None)
    assert data["targets"] == [{"assignmentId": data["id"], "studentId": pupil, "status": "PENDING"}]


def test_recommend_skips_topics_with_weak_prerequisites(call, db, recommender_bank):
    school_a, pupil = recommender_bank
    t0, t1 = school_a.topic_ids
    db.execute("INSERT INTO topic_prerequisites (topic_id, prerequisite_topic_id) VALUES (:t, :p)", {"t": t1, "p": t0})
    data = call("POST", "/assignments/recommend", school_a.teacher, query={"studentId": pupil}).json["data"]
    assert [e["exerciseId"] for e in data["assignmentExercises"]] == ["a-ex-0", "r-t0-b1", "r-t0-bm2", "r-t0-b3"]
    # only topic 1 asked for: its prerequisite has no loaded record, so it blocks → nothing to recommend
    blocked = call("POST", "/assignments/recommend", school_a.teacher, query={"studentId": pupil, "topicId": t1})
    assert blocked.status == 404
    assert blocked.json["message"] == "No exercises found matching student mastery level"


def test_recommend_within_one_topic(call, recommender_bank):
    school_a, pupil = recommender_bank
    data = call("POST", "/assignments/recommend", school_a.teacher,
                query={"studentId": pupil, "topicId": school_a.topic_ids[1]}).json["data"]
    assert [e["exerciseId"] for e in data["assignmentExercises"]] == ["r-t1-b2", "a-ex-1"]
    assert data["title"] == "Práctica recomendada — T-A-1"


def test_recommend_without_mastery_is_404(call, db, schools):
    school_a = schools[0]
    response = call("POST", "/assignments/recommend", school_a.teacher,
                    query={"studentId": school_a.students[1].profile_id})
    assert response.status == 404 and db.fetch_value("SELECT count(*) FROM assignments") == 0


def test_recommend_checks_student_topic_and_role(call, db, recommender_bank, schools):
    school_a, pupil = recommender_bank
    school_b = schools[1]
    assert call("POST", "/assignments/recommend", school_b.teacher, query={"studentId": pupil}).status == 404
    assert call("POST", "/assignments/recommend", school_a.teacher,
                query={"studentId": pupil, "topicId": "nope"}).status == 404
    missing = call("POST", "/assignments/recommend", school_a.teacher, query={})
    assert missing.status == 400 and missing.json["details"][0]["field"] == "studentId"
    assert call("POST", "/assignments/recommend", school_a.students[0], query={"studentId": pupil}).status == 403
    assert call("POST", "/assignments/recommend", None, query={"studentId": pupil}).status == 401


# -- GET /assignments/student/:id -----------------------------------------------------------------------

def test_student_list_with_exercises_and_topics(call, db, schools):
    school_a = schools[0]
    pupil = school_a.students[0]
    base = {"title": "t", "reason": "TEACHER_MANUAL", "studentIds": [pupil.profile_id]}
    first = call("POST", "/assignments", school_a.teacher, {**base, "exerciseIds": [school_a.exercise_ids[0]]})
    second = call("POST", "/assignments", school_a.teacher,
                  {**base, "exerciseIds": [school_a.exercise_ids[1], school_a.exercise_ids[0]]})
    db.execute("UPDATE assignments SET created_at = created_at - interval '1 hour' WHERE id = :a",
               {"a": first.json["data"]["id"]})
    db.execute("INSERT INTO assignments (id, created_by_teacher_id, title, reason, kind)"
               " VALUES ('guide-asg', :t, 'Guía', 'TEACHER_MANUAL', 'GUIDE')", {"t": school_a.teacher.profile_id})
    db.execute("INSERT INTO assignment_targets (assignment_id, student_id) VALUES ('guide-asg', :s)",
               {"s": pupil.profile_id})

    response = call("GET", f"/assignments/student/{pupil.profile_id}", pupil)
    assert response.status == 200, response.body
    data = response.json["data"]
    assert [t["assignmentId"] for t in data] == [second.json["data"]["id"], first.json["data"]["id"]]
    target = data[0]
    assert set(target) == {"assignmentId", "studentId", "status", "assignment"}
    assert set(target["assignment"]) == ASSIGNMENT_ROW_KEYS | {"assignmentExercises"}
    exercises = target["assignment"]["assignmentExercises"]
    assert [(e["exerciseId"], e["sequence"]) for e in exercises] == [(school_a.exercise_ids[1], 0),
                                                                       (school_a.exercise_ids[0], 1)]
    assert set(exercises[0]["exercise"]) == EXERCISE_ROW_KEYS | {"topic"}
    assert set(exercises[0]["exercise"]["topic"]) == TOPIC_ROW_KEYS
    assert exercises[0]["exercise"]["topic"]["code"] == "T-A-1"
    assert exercises[0]["exercise"]["topic"]["bktPL0"] == 0.3


def test_student_list_access(call, db, schools):
    school_a, school_b = schools
    pupil = school_a.students[0].profile_id
    path = f"/assignments/student/{pupil}"
    assert call("GET", path, school_a.teacher).json["data"] == []
    assert call("GET", path, school_a.parent).status == 200  # linked with consent
    assert call("GET", path, add_person(db, "admin", "root")).status == 200
    for outsider in (school_a.students[1], school_b.teacher, school_b.parent):
        assert call("GET", path, outsider).status == 404
    assert call("GET", "/assignments/student/nope", school_a.teacher).status == 404
    assert call("GET", path, None).status == 401
