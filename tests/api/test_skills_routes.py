"""``/skills/*``: the topics catalogue, prerequisites, taxonomy and error-tag typeahead (api.md §4.5)."""
from __future__ import annotations

import json

import pytest

from tests.factories import add_error_tag, add_taxonomy, build_school

ROLES = ["student", "teacher", "parent", "admin"]


@pytest.fixture
def school(db):
    return build_school(db, "a", topics=3)


def _headers(tokens, role):
    return tokens.headers(role=role, sub=f"sub-{role}-x")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_catalogue(api, db, tokens, school, role):
    db.execute("INSERT INTO topic_prerequisites (topic_id, prerequisite_topic_id) VALUES (:t, :p1), (:t, :p0)",
               {"t": school.topic_ids[2], "p1": school.topic_ids[1], "p0": school.topic_ids[0]})
    headers = _headers(tokens, role)
    listing = api.get("/skills", headers=headers)
    assert listing.status_code == 200
    assert [t["id"] for t in listing.json_body["data"]] == school.topic_ids
    one = api.get(f"/skills/{school.topic_ids[0]}", headers=headers).json_body["data"]
    assert one == {"id": "a-topic-0", "unitId": "a-unit", "subdomainId": None, "domainId": None,
                   "code": "T-A-0", "name": "Tema 0", "description": None, "bktPL0": 0.3, "bktPTransit": 0.1,
                   "bktPSlip": 0.1, "bktPGuess": 0.2, "bktCalibratedAt": None}
    prerequisites = api.get(f"/skills/{school.topic_ids[2]}/prerequisites", headers=headers)
    assert prerequisites.json_body["data"] == {"skillId": "a-topic-2", "prerequisites": ["T-A-0", "T-A-1"]}
    assert api.get(f"/skills/{school.topic_ids[0]}/prerequisites", headers=headers).json_body["data"] == {
        "skillId": "a-topic-0", "prerequisites": []}


@pytest.mark.parametrize("path", ["/skills/nope", "/skills/nope/prerequisites"])
def test_unknown_topic_is_404(api, tokens, school, path):
    response = api.get(path, headers=_headers(tokens, "student"))
    assert response.status_code == 404 and response.json_body["message"] == "Skill nope not found"


@pytest.mark.parametrize("path", ["/skills", "/skills/a-topic-0", "/skills/taxonomy", "/skills/error-tags",
                                  "/skills/a-topic-0/prerequisites"])
def test_reads_need_a_token(api, school, path):
    assert api.get(path).status_code == 401


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_teachers_and_admins_create_and_change_topics(api, db, tokens, school, role):
    headers = _headers(tokens, role)
    created = api.post("/skills", headers=headers, body=json.dumps({"key": "T-NEW", "name": "Nuevo"}))
    assert created.status_code == 201, created.json_body
    topic = created.json_body["data"]
    assert topic["code"] == "T-NEW" and topic["unitId"] == "a-unit" and topic["bktPL0"] == 0.3
    assert db.fetch_value("SELECT name FROM topics WHERE id = :id", {"id": topic["id"]}) == "Nuevo"

    changed = api.patch(f"/skills/{topic['id']}", headers=headers,
                        body=json.dumps({"key": "T-NEWER", "description": "Desc"}))
    assert changed.status_code == 200
    assert (changed.json_body["data"]["code"], changed.json_body["data"]["name"],
            changed.json_body["data"]["description"]) == ("T-NEWER", "Nuevo", "Desc")
    cleared = api.patch(f"/skills/{topic['id']}", headers=headers, body=json.dumps({"description": None}))
    assert cleared.json_body["data"]["description"] is None
    unchanged = api.patch(f"/skills/{topic['id']}", headers=headers, body="{}")
    assert unchanged.status_code == 200 and unchanged.json_body["data"]["code"] == "T-NEWER"


def test_create_in_a_chosen_unit_and_conflicts(api, db, tokens, school):
    other = build_school(db, "b")
    headers = _headers(tokens, "teacher")
    in_b = api.post("/skills", headers=headers, body=json.dumps({"key": "T-A-0", "name": "Mismo código",
                                                                 "unitId": other.unit_id}))
    assert in_b.status_code == 201 and in_b.json_body["data"]["unitId"] == "b-unit"  # codes repeat across units
    again = api.post("/skills", headers=headers, body=json.dumps({"key": "T-A-0", "name": "x",
                                                                  "unitId": school.unit_id}))
    assert again.status_code == 409 and again.json_body["code"] == "Conflict"
    clash = api.patch("/skills/a-topic-1", headers=headers, body=json.dumps({"key": "T-A-0"}))
    assert clash.status_code == 409
    unknown_unit = api.post("/skills", headers=headers, body=json.dumps({"key": "X", "name": "x", "unitId": "zz"}))
    assert unknown_unit.status_code == 404 and unknown_unit.json_body["message"] == "Unit zz not found"
    assert api.patch("/skills/nope", headers=headers, body=json.dumps({"name": "x"})).status_code == 404


def test_create_without_any_unit_is_404(api, tokens, database_url):
    response = api.post("/skills", headers=_headers(tokens, "admin"), body=json.dumps({"key": "K", "name": "N"}))
    assert response.status_code == 404
    assert response.json_body["message"] == "No unit found — run seed first to create curriculum"


@pytest.mark.parametrize("body, field", [
    ({"name": "x"}, "key"),
    ({"key": "", "name": "x"}, "key"),
    ({"key": "A/B", "name": "x"}, "key"),
    ({"key": "K", "name": 5}, "name"),
    ({"key": "K", "name": "x", "description": "d" * 2001}, "description"),
    ({"key": "K", "name": "x", "bktPL0": 0.9}, "bktPL0"),
])
def test_create_validation(api, tokens, school, body, field):
    response = api.post("/skills", headers=_headers(tokens, "teacher"), body=json.dumps(body))
    assert response.status_code == 400
    assert field in json.dumps(response.json_body["details"])


def test_patch_refuses_null_code_and_name(api, tokens, school):
    for body in ({"key": None}, {"name": None}):
        response = api.patch("/skills/a-topic-0", headers=_headers(tokens, "teacher"), body=json.dumps(body))
        assert response.status_code == 400


@pytest.mark.parametrize("role", ["student", "parent"])
def test_students_and_parents_cannot_write(api, tokens, school, role):
    headers = _headers(tokens, role)
    assert api.post("/skills", headers=headers, body=json.dumps({"key": "K", "name": "N"})).status_code == 403
    assert api.patch("/skills/a-topic-0", headers=headers, body=json.dumps({"name": "N"})).status_code == 403
    assert api.delete("/skills/a-topic-0", headers=headers).status_code == 403


def test_writes_need_a_token(api, school):
    headers = {"Content-Type": "application/json"}
    assert api.post("/skills", headers=headers, body=json.dumps({"key": "K", "name": "N"})).status_code == 401
    assert api.patch("/skills/a-topic-0", headers=headers, body="{}").status_code == 401
    assert api.delete("/skills/a-topic-0").status_code == 401


def test_delete_is_admin_only_204_and_refuses_used_topics(api, db, tokens, school):
    unused = db.fetch_value("INSERT INTO topics (unit_id, code, name) VALUES ('a-unit', 'T-X', 'X') RETURNING id")
    assert api.delete(f"/skills/{unused}", headers=_headers(tokens, "teacher")).status_code == 403
    deleted = api.delete(f"/skills/{unused}", headers=_headers(tokens, "admin"))
    assert deleted.status_code == 204 and deleted.body == b""
    assert db.fetch_value("SELECT count(*) FROM topics WHERE id = :id", {"id": unused}) == 0
    assert api.delete(f"/skills/{unused}", headers=_headers(tokens, "admin")).status_code == 404
    used = api.delete("/skills/a-topic-0", headers=_headers(tokens, "admin"))  # has an exercise
    assert used.status_code == 409 and "still used" in used.json_body["message"]


def test_taxonomy_lists_domains_and_subdomains_by_code(api, db, tokens):
    add_taxonomy(db, {"INT": ["SUB", "ADD"], "ARITH": ["SUB"], "DATA": []})
    data = api.get("/skills/taxonomy", headers=_headers(tokens, "parent")).json_body["data"]
    assert [d["code"] for d in data] == ["ARITH", "DATA", "INT"]
    assert data[2] == {"id": "domain-int", "code": "INT", "name": "Dominio INT", "subdomains": [
        {"id": "subdomain-int-add", "code": "ADD", "name": "Subdominio ADD"},
        {"id": "subdomain-int-sub", "code": "SUB", "name": "Subdominio SUB"}]}
    assert data[1]["subdomains"] == []


def test_error_tag_typeahead_searches_active_tags(api, db, tokens):
    add_taxonomy(db)
    add_error_tag(db, "ARITH_ADD_CARRY_FORGOTTEN_G3", domain="ARITH", subdomain="ADD", name="Olvida la reserva")
    add_error_tag(db, "ARITH_ADD_DRAFT_G3", domain="ARITH", subdomain="ADD", status="DRAFT")
    add_error_tag(db, "INT_ADD_SIGN_G6", domain="INT", subdomain="ADD", description="Pierde el signo al sumar")
    add_error_tag(db, "CORRECT")
    headers = _headers(tokens, "teacher")

    def search(**query):
        response = api.get("/skills/error-tags?" + "&".join(f"{k}={v}" for k, v in query.items()), headers=headers)
        assert response.status_code == 200, response.json_body
        return response.json_body["data"]

    assert search() == [
        {"code": "ARITH_ADD_CARRY_FORGOTTEN_G3", "name": "Olvida la reserva", "subdomainCode": "ADD",
         "domainCode": "ARITH"},
        {"code": "CORRECT", "name": "", "subdomainCode": None, "domainCode": None},
        {"code": "INT_ADD_SIGN_G6", "name": "", "subdomainCode": "ADD", "domainCode": "INT"}]
    assert [t["code"] for t in search(q="SIGNO")] == ["INT_ADD_SIGN_G6"]
    assert [t["code"] for t in search(q="add", domainCode="ARITH")] == ["ARITH_ADD_CARRY_FORGOTTEN_G3"]
    assert len(search(limit=1)) == 1
    assert len(search(limit=0)) == 1 and len(search(limit=500)) == 3  # clamped to 1…50
    bad = api.get("/skills/error-tags?limit=many", headers=headers)
    assert bad.status_code == 400 and bad.json_body["details"][0]["field"] == "limit"
