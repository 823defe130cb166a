"""``/items/*``: item views, teacher-authored items, topic resolution, generation requests (api.md §4.6)."""
from __future__ import annotations

import json

import pytest

from tests.factories import add_error_tag, add_taxonomy, build_school

ROLES = ["student", "teacher", "parent", "admin"]


@pytest.fixture
def school(db):
    return build_school(db, "a", topics=2)


def _headers(tokens, role, key="x"):
    return tokens.headers(role=role, sub=f"sub-{role}-{key}")


def _add_exercise(db, exercise_id, topic_id, content, *, irt_b=0.0, status="ACTIVE", created="now()"):
    db.execute(f"INSERT INTO exercises (id, topic_id, content, irt_a, irt_b, status, source, created_at)"  # noqa: S608
               f" VALUES (:id, :t, CAST(:c AS jsonb), 1.2, :b, :s, 'SYSTEM', {created})",
               {"id": exercise_id, "t": topic_id, "c": json.dumps(content), "b": irt_b, "s": status})


@pytest.mark.parametrize("role", ROLES)
def test_item_view_for_every_role(api, db, tokens, school, role):
    response = api.get("/items/a-ex-0", headers=_headers(tokens, role))
    assert response.status_code == 200, response.json_body
    view = response.json_body["data"]
    created_at = view.pop("createdAt")
    assert created_at.endswith("Z") and len(created_at) == 24
    assert view == {"id": "a-ex-0", "topicId": "a-topic-0", "topicCode": "T-A-0", "topicName": "Tema 0",
                    "content": {"prompt": "0 + 1", "problem": "0 + 1", "expectedAnswer": 1.0,
                                "correct_answer_latex": None},
                    "difficulty": "medium", "irtA": 1.0, "irtB": 0.0, "source": "SYSTEM"}
    irt = api.get("/items/a-ex-0/irt", headers=_headers(tokens, role))
    assert irt.status_code == 200 and irt.json_body["data"] == {"irtA": 1.0, "irtB": 0.0}


@pytest.mark.parametrize("irt_b, label", [(-0.4, "easy"), (-2.0, "easy"), (-0.39, "medium"), (0.69, "medium"),
                                          (0.7, "hard"), (3.0, "hard")])
def test_difficulty_from_irt_b(api, db, tokens, school, irt_b, label):
    _add_exercise(db, "ex-b", school.topic_ids[0], {"prompt": "p"}, irt_b=irt_b)
    assert api.get("/items/ex-b", headers=_headers(tokens, "student")).json_body["data"]["difficulty"] == label


def test_guide_material_content_is_read_through_its_own_keys(api, db, tokens, school):
    _add_exercise(db, "ex-guide", school.topic_ids[0],
                  {"statement_latex": "\\frac{1}{2}+\\frac{1}{4}", "figures": [], "final_answer": "\\frac{3}{4}"},
                  status="ARCHIVED")
    _add_exercise(db, "ex-odd", school.topic_ids[0], {"prompt": "", "expectedAnswer": True,
                                                      "correct_answer_latex": "7", "final_answer": "8"})
    guide = api.get("/items/ex-guide", headers=_headers(tokens, "teacher")).json_body["data"]
    assert guide["content"] == {"prompt": "\\frac{1}{2}+\\frac{1}{4}", "problem": "\\frac{1}{2}+\\frac{1}{4}",
                                "expectedAnswer": None, "correct_answer_latex": "\\frac{3}{4}"}
    odd = api.get("/items/ex-odd", headers=_headers(tokens, "teacher")).json_body["data"]
    assert odd["content"] == {"prompt": "", "problem": "", "expectedAnswer": None, "correct_answer_latex": "7"}


@pytest.mark.parametrize("path", ["/items/nope", "/items/nope/irt"])
def test_unknown_item_is_404(api, tokens, school, path):
    response = api.get(path, headers=_headers(tokens, "parent"))
    assert response.status_code == 404 and response.json_body["message"] == "Exercise not found"


@pytest.mark.parametrize("path", ["/items", "/items/a-ex-0", "/items/a-ex-0/irt"])
def test_reads_need_a_token(api, school, path):
    assert api.get(path).status_code == 401


def test_listing_resolves_the_topic_and_lists_active_items_oldest_first(api, db, tokens, school):
    other = build_school(db, "b", topics=1)
    db.execute("UPDATE topics SET code = 'SUB' WHERE id IN ('a-topic-1', 'b-topic-0')")  # repeated code
    _add_exercise(db, "a-ex-old", "a-topic-0", {"prompt": "old"}, created="now() - interval '1 day'")
    _add_exercise(db, "a-ex-archived", "a-topic-0", {"prompt": "gone"}, status="ARCHIVED")
    headers = _headers(tokens, "student")

    def ids(query: str):
        response = api.get(f"/items?{query}", headers=headers)
        assert response.status_code == 200, response.json_body
        return [item["id"] for item in response.json_body["data"]]

    assert ids("skillKey=T-A-0") == ["a-ex-old", "a-ex-0"]  # bare code, one match
    assert ids("topic=a-topic-0") == ["a-ex-old", "a-ex-0"]  # topic id
    assert ids("topic=U-b/SUB") == ["b-ex-0"]  # qualified code
    assert ids("skillKey=U-a/SUB&topic=T-A-0") == ["a-ex-1"]  # skillKey wins
    assert ids("skillKey=T-A-0&limit=1") == ["a-ex-old"]
    assert ids("skillKey=NOPE") == []
    assert len(ids("")) == 4 and ids("limit=0") == ["a-ex-old"]  # whole bank; limit clamped to 1…100
    ambiguous = api.get("/items?skillKey=SUB", headers=headers)
    assert ambiguous.status_code == 400
    assert ambiguous.json_body["message"] == ["skillKey 'SUB' is ambiguous: use one of U-a/SUB, U-b/SUB"]
    assert api.get("/items?limit=lots", headers=headers).status_code == 400
    assert other.exercise_ids == ["b-ex-0"]


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_teachers_and_admins_add_items(api, db, tokens, school, role):
    body = {"skillId": "a-topic-1", "content": {"prompt": "12 - 5", "expectedAnswer": 7}, "irtA": 1, "irtB": -0.5}
    response = api.post("/items", headers=_headers(tokens, role), body=json.dumps(body))
    assert response.status_code == 201, response.json_body
    row = response.json_body["data"]
    assert {k: row[k] for k in ("topicId", "source", "content", "irtA", "irtB", "status", "language")} == {
        "topicId": "a-topic-1", "source": "TEACHER_AUTHORED", "content": {"prompt": "12 - 5", "expectedAnswer": 7.0},
        "irtA": 1.0, "irtB": -0.5, "status": "ACTIVE", "language": "es"}
    teacher_id = db.fetch_value("SELECT t.id FROM teachers t JOIN users u ON u.id = t.user_id"
                                " WHERE u.supabase_uid = :s", {"s": f"sub-{role}-x"})
    assert row["createdByTeacherId"] == teacher_id  # None for an admin
    assert (role == "admin") == (teacher_id is None)
    listed = api.get("/items?topic=a-topic-1", headers=_headers(tokens, "student")).json_body["data"]
    assert [i["id"] for i in listed] == ["a-ex-1", row["id"]] and listed[1]["difficulty"] == "easy"


@pytest.mark.parametrize("body, field", [
    ({"skillId": "a-topic-0", "content": {"prompt": ""}, "irtA": 1, "irtB": 0}, "content.prompt"),
    ({"skillId": "a-topic-0", "content": {"prompt": "   "}, "irtA": 1, "irtB": 0}, "content.prompt"),
    ({"skillId": "a-topic-0", "content": {"prompt": "x", "hint": "h"}, "irtA": 1, "irtB": 0}, "content.hint"),
    ({"skillId": "a-topic-0", "content": {"prompt": "x", "expectedAnswer": "7"}, "irtA": 1, "irtB": 0},
     "content.expectedAnswer"),
    ({"skillId": "a-topic-0", "content": {"prompt": "x"}, "irtA": "1", "irtB": 0}, "irtA"),
    ({"skillId": "a-topic-0", "content": {"prompt": "x"}, "irtA": 0, "irtB": 0}, "irtA"),
    ({"skillId": "a-topic-0", "content": {"prompt": "x"}, "irtA": 3.5, "irtB": 0}, "irtA"),
    ({"skillId": "a-topic-0", "content": {"prompt": "x"}, "irtA": 1, "irtB": -3.1}, "irtB"),
    ({"skillId": "a-topic-0", "content": {"prompt": "x"}, "irtA": 1}, "irtB"),
    ({"content": {"prompt": "x"}, "irtA": 1, "irtB": 0}, "skillId"),
])
def test_item_validation(api, tokens, school, body, field):
    response = api.post("/items", headers=_headers(tokens, "teacher"), body=json.dumps(body))
    assert response.status_code == 400, response.json_body
    assert field in [d["field"] for d in response.json_body["details"]]


def test_item_for_unknown_topic_is_404(api, tokens, school):
    body = {"skillId": "nope", "content": {"prompt": "x"}, "irtA": 1, "irtB": 0}
    response = api.post("/items", headers=_headers(tokens, "teacher"), body=json.dumps(body))
    assert response.status_code == 404 and response.json_body["message"] == "Topic nope not found"


GENERATE = {"subdomainCode": "SUB", "gradeLevel": 3, "targetErrorCodes": ["ARITH_SUB_BORROW_OMITTED_TENS_G3"],
            "count": 4}


@pytest.mark.parametrize("role", ["student", "parent"])
def test_students_and_parents_cannot_write(api, tokens, school, role):
    headers = _headers(tokens, role)
    body = {"skillId": "a-topic-0", "content": {"prompt": "x"}, "irtA": 1, "irtB": 0}
    assert api.post("/items", headers=headers, body=json.dumps(body)).status_code == 403
    assert api.post("/items/generate", headers=headers, body=json.dumps(GENERATE)).status_code == 403


def test_writes_need_a_token(api, school):
    headers = {"Content-Type": "application/json"}
    assert api.post("/items", headers=headers, body="{}").status_code == 401
    assert api.post("/items/generate", headers=headers, body=json.dumps(GENERATE)).status_code == 401


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_generate_publishes_the_message_with_the_request_trace_id(gateway, db, tokens, aws, role):
    add_taxonomy(db)
    add_error_tag(db, "ARITH_SUB_BORROW_OMITTED_TENS_G3", domain="ARITH", subdomain="SUB")
    headers = {**_headers(tokens, role), "x-trace-id": "trace-generate-1"}
    response = gateway.post("/items/generate", headers=headers, body=json.dumps(GENERATE))
    assert response.status == 202, response.body
    assert response.json["statusCode"] == 202
    assert response.json["data"] == {
        "generated": 0, "message": "Generación de 4 ejercicio(s) encolada. Aparecerán en el banco en unos minutos."}
    messages = aws.receive_all("exercise_generate")
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"]) == {
        "subdomain_code": "SUB", "grade_level": 3, "target_error_codes": ["ARITH_SUB_BORROW_OMITTED_TENS_G3"],
        "count": 4, "trace_id": "trace-generate-1"}
    assert messages[0]["MessageAttributes"]["trace_id"]["StringValue"] == "trace-generate-1"
    assert db.fetch_value("SELECT count(*) FROM exercises") == 0


@pytest.mark.parametrize("change, field", [
    ({"gradeLevel": 13}, "gradeLevel"), ({"gradeLevel": "3"}, "gradeLevel"), ({"count": 0}, "count"),
    ({"count": 11}, "count"), ({"targetErrorCodes": []}, "targetErrorCodes"),
    ({"targetErrorCodes": [""]}, "targetErrorCodes"), ({"subdomainCode": "sub"}, "subdomainCode"),
    ({"extra": 1}, "extra"),
])
def test_generate_validates_the_body(api, tokens, aws, database_url, change, field):
    response = api.post("/items/generate", headers=_headers(tokens, "teacher"), body=json.dumps({**GENERATE, **change}))
    assert response.status_code == 400, response.json_body
    assert field in [d["field"] for d in response.json_body["details"]]
    assert aws.receive_all("exercise_generate") == []


def test_generate_with_unknown_error_codes_is_404_and_publishes_nothing(api, db, tokens, aws):
    add_taxonomy(db)
    add_error_tag(db, "ARITH_SUB_BORROW_OMITTED_TENS_G3", domain="ARITH", subdomain="SUB")
    body = {**GENERATE, "targetErrorCodes": ["ARITH_SUB_BORROW_OMITTED_TENS_G3", "ARITH_SUB_TYPO_G3"]}
    response = api.post("/items/generate", headers=_headers(tokens, "admin"), body=json.dumps(body))
    assert response.status_code == 404 and "ARITH_SUB_TYPO_G3" in response.json_body["message"]
    assert aws.receive_all("exercise_generate") == []
