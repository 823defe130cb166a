"""``/admin/*``: catalogue listing and lifecycle, status figures, killswitches (api.md §4.14)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib import killswitches
from tests.factories import add_error_tag, add_taxonomy, build_school

ADMIN = {"role": "admin", "sub": "sub-admin", "email": "admin@example.test"}


@pytest.fixture
def admin(tokens):
    return tokens.headers(**ADMIN)


@pytest.fixture
def catalog(db):
    add_taxonomy(db)
    add_error_tag(db, "CORRECT", description="Correcta")
    add_error_tag(db, "UNCLASSIFIED", description="Sin clasificar")
    add_error_tag(db, "ARITH_ADD_CARRY_FORGOTTEN_G3", domain="ARITH", subdomain="ADD", name="Olvida la reserva",
                  severity="HIGH", grades=[3, 4], hint="Revisa la reserva")
    add_error_tag(db, "ARITH_SUB_BORROW_OMITTED_TENS_G3", domain="ARITH", subdomain="SUB", status="DRAFT",
                  source="LLM_GENERATED", description="No pidió prestado (100% de las veces)")
    add_error_tag(db, "ARITH_SUB_OLD_G3", domain="ARITH", subdomain="SUB", status="DEPRECATED")
    add_error_tag(db, "INT_ADD_SIGN_LOST_G6", domain="INT", subdomain="ADD", source="FIELD_REPORTED")
    add_error_tag(db, "INT_SUB_DOUBLE_NEGATIVE_G6", domain="INT", subdomain="SUB", status="DRAFT")


def _list(gateway, headers, **query):
    return gateway.get("/admin/error-tags", headers=headers, query={k: str(v) for k, v in query.items()})


def test_listing_pages_by_code_with_figures_over_the_whole_catalog(gateway, admin, catalog):
    first = _list(gateway, admin, limit=3)
    assert first.status == 200, first.body
    data = first.json["data"]
    assert [i["code"] for i in data["items"]] == [
        "ARITH_ADD_CARRY_FORGOTTEN_G3", "ARITH_SUB_BORROW_OMITTED_TENS_G3", "ARITH_SUB_OLD_G3"]
    assert data["nextCursor"] == "ARITH_SUB_OLD_G3" and data["total"] == 7
    assert data["statusCounts"] == {"active": 4, "draft": 2, "deprecated": 1}
    assert data["domains"] == [{"code": "ARITH", "name": "Dominio ARITH", "count": 3},
                               {"code": "FRACT", "name": "Dominio FRACT", "count": 0},
                               {"code": "INT", "name": "Dominio INT", "count": 2}]
    assert data["items"][0] == {
        "code": "ARITH_ADD_CARRY_FORGOTTEN_G3", "name": "Olvida la reserva", "domainCode": "ARITH",
        "domainName": "Dominio ARITH", "subdomainCode": "ADD", "source": "CURATED", "status": "ACTIVE",
        "severity": "HIGH", "applicableGrades": [3, 4], "diagnosticHint": "Revisa la reserva"}
    codes, cursor = [i["code"] for i in data["items"]], data["nextCursor"]
    while cursor:
        data = _list(gateway, admin, limit=3, cursor=cursor).json["data"]
        codes += [i["code"] for i in data["items"]]
        cursor = data["nextCursor"]
    assert codes == sorted(codes) and len(codes) == 7 and "CORRECT" in codes
    # a cursor that is not a code continues after it (code > cursor)
    assert _list(gateway, admin, cursor="INT_B").json["data"]["items"][0]["code"] == "INT_SUB_DOUBLE_NEGATIVE_G6"


def test_filters_narrow_items_and_total_but_not_the_facets(gateway, admin, catalog):
    def codes(**query):
        data = _list(gateway, admin, **query).json["data"]
        assert data["statusCounts"]["active"] == 4 and len(data["domains"]) == 3
        assert data["total"] == len(data["items"])
        return [i["code"] for i in data["items"]]

    assert codes(status="DRAFT") == ["ARITH_SUB_BORROW_OMITTED_TENS_G3", "INT_SUB_DOUBLE_NEGATIVE_G6"]
    assert codes(source="FIELD_REPORTED") == ["INT_ADD_SIGN_LOST_G6"]
    assert codes(domainCode="INT", status="DRAFT") == ["INT_SUB_DOUBLE_NEGATIVE_G6"]
    assert codes(q="  reserva ") == ["ARITH_ADD_CARRY_FORGOTTEN_G3"]  # name, trimmed, case-insensitive
    assert codes(q="int_add") == ["INT_ADD_SIGN_LOST_G6"]  # code
    assert codes(q="100%") == ["ARITH_SUB_BORROW_OMITTED_TENS_G3"]  # description; % is literal
    assert codes(q="_") == [c for c in codes() if "_" in c]  # literal, not LIKE's any-character
    assert codes(q="%") == ["ARITH_SUB_BORROW_OMITTED_TENS_G3"]
    assert codes(domainCode="GEOM") == []


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"status": "LIVE"},
                                   {"source": "HUMAN"}, {"sort": "name"}, {"q": "x" * 201}])
def test_bad_listing_queries_are_400(gateway, admin, catalog, query):
    response = gateway.get("/admin/error-tags", headers=admin, query=query)
    assert response.status == 400
    assert response.json["code"] == "Bad Request" and response.json["details"]


def _patch(api, headers, code, body):
    return api.patch(f"/admin/error-tags/{code}/status", headers=headers, body=json.dumps(body))


def _stored(db, code):
    return db.fetch_one("SELECT t.status::text AS status, s.code AS successor, t.updated_at FROM error_tags t"
                        " LEFT JOIN error_tags s ON s.id = t.deprecated_by_id WHERE t.code = :c", {"c": code})


def test_lifecycle_promote_deprecate_with_replacement_and_revert(api, db, admin, catalog):
    promoted = _patch(api, admin, "ARITH_SUB_BORROW_OMITTED_TENS_G3", {"status": "ACTIVE"})
    assert promoted.status_code == 200, promoted.json_body
    assert promoted.json_body["data"]["status"] == "ACTIVE" and "deprecatedBy" not in promoted.json_body["data"]

    deprecated = _patch(api, admin, "ARITH_ADD_CARRY_FORGOTTEN_G3",
                        {"status": "DEPRECATED", "deprecatedBy": "ARITH_SUB_BORROW_OMITTED_TENS_G3"})
    assert deprecated.status_code == 200, deprecated.json_body
    assert deprecated.json_body["data"]["deprecatedBy"] == "ARITH_SUB_BORROW_OMITTED_TENS_G3"
    assert _stored(db, "ARITH_ADD_CARRY_FORGOTTEN_G3")["successor"] == "ARITH_SUB_BORROW_OMITTED_TENS_G3"

    before = _stored(db, "ARITH_ADD_CARRY_FORGOTTEN_G3")
    again = _patch(api, admin, "ARITH_ADD_CARRY_FORGOTTEN_G3", {"status": "DEPRECATED"})  # idempotent
    assert again.status_code == 200 and again.json_body["data"]["deprecatedBy"] == "ARITH_SUB_BORROW_OMITTED_TENS_G3"
    assert _stored(db, "ARITH_ADD_CARRY_FORGOTTEN_G3") == before

    reverted = _patch(api, admin, "ARITH_ADD_CARRY_FORGOTTEN_G3", {"status": "ACTIVE"})
    assert reverted.status_code == 200
    assert _stored(db, "ARITH_ADD_CARRY_FORGOTTEN_G3")["successor"] is None

    rejected = _patch(api, admin, "INT_SUB_DOUBLE_NEGATIVE_G6", {"status": "DEPRECATED"})  # a draft rejected
    assert rejected.status_code == 200 and _stored(db, "INT_SUB_DOUBLE_NEGATIVE_G6")["status"] == "DEPRECATED"


@pytest.mark.parametrize("code, body, status, message", [
    ("ARITH_ADD_CARRY_FORGOTTEN_G3", {"status": "DRAFT"}, 409, "from ACTIVE to DRAFT"),
    ("ARITH_SUB_OLD_G3", {"status": "DRAFT"}, 409, "from DEPRECATED to DRAFT"),
    ("CORRECT", {"status": "DEPRECATED"}, 409, "always stays ACTIVE"),
    ("ARITH_ADD_CARRY_FORGOTTEN_G3", {"status": "DEPRECATED", "deprecatedBy": "ARITH_SUB_OLD_G3"}, 409,
     "must be ACTIVE"),
    ("ARITH_ADD_CARRY_FORGOTTEN_G3", {"status": "DEPRECATED", "deprecatedBy": "ARITH_ADD_CARRY_FORGOTTEN_G3"},
     409, "cannot replace itself"),
    ("ARITH_ADD_CARRY_FORGOTTEN_G3", {"status": "DEPRECATED", "deprecatedBy": "NOPE_X_G1"}, 404,
     "Error tag NOPE_X_G1 not found"),
    ("NOPE_X_G1", {"status": "ACTIVE"}, 404, "Error tag NOPE_X_G1 not found"),
    ("ARITH_SUB_OLD_G3", {"status": "ACTIVE", "deprecatedBy": "INT_ADD_SIGN_LOST_G6"}, 400, "deprecatedBy"),
    ("ARITH_SUB_OLD_G3", {"status": "active"}, 400, "status"),
    ("ARITH_SUB_OLD_G3", {}, 400, "status"),
    ("ARITH_SUB_OLD_G3", {"status": "ACTIVE", "reason": "x"}, 400, "property reason should not exist"),
])
def test_illegal_or_bad_status_changes(api, db, admin, catalog, code, body, status, message):
    response = _patch(api, admin, code, body)
    assert response.status_code == status, response.json_body
    assert message in json.dumps(response.json_body["message"])
    assert _stored(db, "ARITH_ADD_CARRY_FORGOTTEN_G3")["status"] == "ACTIVE"  # nothing written


ADMIN_ROUTES = [("GET", "/admin/error-tags", None), ("GET", "/admin/status", None),
                ("PATCH", "/admin/error-tags/CORRECT/status", {"status": "ACTIVE"}),
                ("PATCH", "/admin/status/killswitches/ocrEnabled", {"enabled": True})]


@pytest.mark.parametrize("method, path, body", ADMIN_ROUTES)
@pytest.mark.parametrize("role", ["student", "teacher", "parent"])
def test_other_roles_get_403(api, tokens, method, path, body, role):
    response = getattr(api, method.lower())(path, headers=tokens.headers(role=role),
                                            body=json.dumps(body) if body else None)
    assert response.status_code == 403 and response.json_body["message"] == "Forbidden resource"


@pytest.mark.parametrize("method, path, body", ADMIN_ROUTES)
def test_no_token_gets_401(api, method, path, body):
    response = getattr(api, method.lower())(path, headers={"Content-Type": "application/json"},
                                            body=json.dumps(body) if body else None)
    assert response.status_code == 401


# -- status page and killswitches ---------------------------------------------------------------

def _utc_bounds():
    now = dt.datetime.now(dt.timezone.utc)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day.replace(day=1)


def test_status_reports_queues_pipeline_cost_and_switches(gateway, db, admin, aws, ssm_switches):  # noqa: F811
    sqs = aws.client("sqs")
    for i in range(3):
        sqs.send_message(QueueUrl=aws.queue_urls["llm_classify"], MessageBody=f"m{i}")
    sqs.send_message(QueueUrl=aws.queue_urls["llm_classify_dlq"], MessageBody="dead")
    school = build_school(db, "a")
    student = school.students[0].profile_id
    for created, status, classified in [("now()", "CLASSIFIED", "now()"), ("now()", "PENDING", "NULL"),
                                        ("now() - interval '2 hours'", "CLASSIFIED", "now() - interval '2 hours'")]:
        db.execute(f"INSERT INTO attempts (student_id, is_correct, status, created_at, classified_at)"  # noqa: S608
                   f" VALUES (:s, true, :st, {created}, {classified})", {"s": student, "st": status})
    db.execute("INSERT INTO guides (course_id, created_by_teacher_id, title, source_pdf_key, status, updated_at)"
               " VALUES (:c, :t, 'Guía', 'k.pdf', 'REVIEW', now())",
               {"c": school.course_id, "t": school.teacher.profile_id})
    day, month = _utc_bounds()
    events = [("claude-haiku-4-5-20251001", 100, 50, 0.001, day + dt.timedelta(minutes=1)),
              ("claude-haiku-4-5-20251001", 200, 70, 0.002, dt.datetime.now(dt.timezone.utc)),
              ("gemini-2.5-flash", 300, 10, 0.0, dt.datetime.now(dt.timezone.utc)),
              ("claude-haiku-4-5-20251001", 999, 999, 0.5, day - dt.timedelta(seconds=1)),
              ("claude-haiku-4-5-20251001", 999, 999, 7.0, month - dt.timedelta(days=1))]
    for model, tokens_in, tokens_out, cost, at in events:
        db.execute("INSERT INTO cost_events (worker, model, input_tokens, output_tokens, cost_usd, created_at)"
                   " VALUES ('llm_classifier', :m, :i, :o, :c, :at)",
                   {"m": model, "i": tokens_in, "o": tokens_out, "c": cost, "at": at})
    killswitches.set_paused(killswitches.OCR_PAUSED, True)

    response = gateway.get("/admin/status", headers=admin)
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["queues"]["llm-classify"] == {"depth": 3, "dlqDepth": 1, "processedLastHour": 0}
    assert data["queues"]["guide-ingest"] == {"depth": 0, "dlqDepth": 0, "processedLastHour": 0}
    assert data["queues"]["hourly-alerts"]["depth"] == -1  # SQS_HOURLY_ALERTS_URL unset
    assert data["pipeline"] == {"attemptsLastHour": 2, "submissionsLastHour": 0, "classifiedLastHour": 1,
                                "pendingGuides": 1}
    assert data["cost"]["byModel"] == [
        {"model": "claude-haiku-4-5-20251001", "calls": 2, "inputTokens": 300, "outputTokens": 120,
         "costUsd": pytest.approx(0.003)},
        {"model": "gemini-2.5-flash", "calls": 1, "inputTokens": 300, "outputTokens": 10, "costUsd": 0.0}]
    assert data["cost"]["todayUsd"] == pytest.approx(0.003)
    earlier_this_month = 0.5 if day > month else 0.0  # on the 1st, "yesterday" was last month
    assert data["cost"]["monthUsd"] == pytest.approx(0.003 + earlier_this_month)
    assert data["killswitches"] == {"graderEnabled": True, "classifierEnabled": True, "hourlyAlertsEnabled": True,
                                    "solutionGeneratorEnabled": True, "ocrEnabled": False}


def test_queue_read_failures_are_minus_one(gateway, db, admin, aws, ssm_switches, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SQS_LLM_CLASSIFY_URL", aws.queue_urls["llm_classify"] + "-gone")
    from chalicelib import dependencies

    dependencies.reset()
    data = gateway.get("/admin/status", headers=admin).json["data"]
    assert data["queues"]["llm-classify"] == {"depth": -1, "dlqDepth": -1, "processedLastHour": 0}


@pytest.mark.parametrize("key, parameter", [("classifierEnabled", "llm"), ("ocrEnabled", "ocr"),
                                            ("graderEnabled", "/innova/guides/grading_paused"),
                                            ("solutionGeneratorEnabled", "/innova/guides/solution_paused")])
def test_flipping_a_killswitch_writes_its_ssm_parameter(api, admin, aws, ssm_switches, key, parameter):  # noqa: F811
    name = parameter if parameter.startswith("/") else f"/{aws.stage}/{parameter}/paused"
    off = api.patch(f"/admin/status/killswitches/{key}", headers=admin, body=json.dumps({"enabled": False}))
    assert off.status_code == 200, off.json_body
    assert off.json_body["data"] == {"key": key, "enabled": False}
    assert ssm_switches.get_parameter(Name=name)["Parameter"]["Value"] == "true"
    assert api.get("/admin/status", headers=admin).json_body["data"]["killswitches"][key] is False
    on = api.patch(f"/admin/status/killswitches/{key}", headers=admin, body=json.dumps({"enabled": True}))
    assert on.json_body["data"]["enabled"] is True
    assert ssm_switches.get_parameter(Name=name)["Parameter"]["Value"] == "false"


def test_killswitch_bad_input_and_ssm_failure(api, admin, aws, ssm_switches, monkeypatch):  # noqa: F811
    unknown = api.patch("/admin/status/killswitches/coffeeEnabled", headers=admin, body='{"enabled": true}')
    assert unknown.status_code == 400
    assert unknown.json_body["message"] == ('Unknown killswitch key "coffeeEnabled". Valid: graderEnabled, '
                                            'classifierEnabled, solutionGeneratorEnabled, ocrEnabled')
    for body in ('{"enabled": "false"}', '{}', '{"enabled": 0}'):
        assert api.patch("/admin/status/killswitches/ocrEnabled", headers=admin, body=body).status_code == 400
    monkeypatch.setenv("SSM_OCR_PAUSED_PARAM", "/aws/reserved")  # SSM refuses the write
    from chalicelib import dependencies

    dependencies.reset()
    failed = api.patch("/admin/status/killswitches/ocrEnabled", headers=admin, body='{"enabled": false}')
    assert failed.status_code == 503 and failed.json_body["code"] == "Service Unavailable"
