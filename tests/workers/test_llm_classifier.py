"""llmClassifierWorker through the real handler (``app.llm_classifier_worker``): embedded PostgreSQL,
the document store, moto's SSM for the killswitch and the local Anthropic fake behind the real SDK."""
from __future__ import annotations

import json

import mongomock
import pytest

from chalicelib import dependencies
from chalicelib.ai.prompts import PREFIX_TOKEN_TARGET
from chalicelib.documents.mongo_store import MongoDocumentStore
from chalicelib.documents.postgres_store import PostgresDocumentStore
from tests.factories import build_school
from tests.workers.conftest import FakeLambdaContext, failed_ids, redeliveries, sqs_event, sqs_record

HANDLER = "llm_classifier_worker"
ARITH_CODES = ("ARITH_ADD_CARRY_OMITTED_G3", "ARITH_SUB_BORROW_OMITTED_TENS_G3")
FRACT_CODES = ("FRACT_ADD_SUM_NUM_DEN_G4",)


@pytest.fixture
def school(db):
    return build_school(db, "a", students=2)


@pytest.fixture
def catalogue(db):
    """Domains ARITH and FRACT with ACTIVE tags, a DRAFT tag, and the special CORRECT/UNCLASSIFIED tags."""
    db.execute("INSERT INTO domains (id, code, name) VALUES ('dom-arith', 'ARITH', 'Aritmética'),"
               " ('dom-fract', 'FRACT', 'Fracciones'), ('dom-empty', 'GEOM', 'Geometría')")
    rows = [(code, "dom-arith", "ACTIVE") for code in ARITH_CODES] + [(FRACT_CODES[0], "dom-fract", "ACTIVE"),
                                                                      ("ARITH_DRAFT_CODE", "dom-arith", "DRAFT")]
    for code, domain, status in rows:
        db.execute("INSERT INTO error_tags (id, code, description, domain_id, status, diagnostic_hint)"
                   " VALUES (:id, :code, :d, :dom, CAST(:st AS \"ErrorStatus\"), 'a hint')",
                   {"id": f"tag-{code}", "code": code, "d": f"Description of {code}", "dom": domain, "st": status})
    for code in ("CORRECT", "UNCLASSIFIED"):
        db.execute("INSERT INTO error_tags (id, code, description) VALUES (:id, :code, 'special')",
                   {"id": f"tag-{code}", "code": code})


@pytest.fixture
def worker(database_url, anthropic_fake, catalogue, ai_switches, lambda_client):
    """Invoke the handler; returns the failed message ids."""
    def run(records, **kwargs):
        return failed_ids(lambda_client.invoke(HANDLER, sqs_event(records)).payload)
    return run


def pending_attempt(db, school, attempt_id: str, *, student: int = 0, is_correct: bool = False) -> str:
    return db.fetch_value(
        "INSERT INTO attempts (id, student_id, status, is_correct, classifier_source, error_tag_id)"
        " VALUES (:id, :s, 'PENDING', :ok, 'LLM', (SELECT id FROM error_tags WHERE code = 'UNCLASSIFIED'))"
        " RETURNING id", {"id": attempt_id, "s": school.students[student].profile_id, "ok": is_correct})


def request(attempt_id: str, domain: str | None = "dom-arith", *, answer: str = "35", canonical: str = "25",
            student_id: str = "student-x") -> dict:
    return {"id": attempt_id, "topic": "T-SUB-BORROW", "domain_id": domain, "subdomain_code": "SUB",
            "problem_statement": "52 - 27 = ?", "canonical_solution": canonical,
            "raw_steps": [{"expression": "52 - 27", "isFinal": False}, {"expression": answer, "isFinal": True}],
            "final_answer": answer, "student_id": student_id, "trace_id": f"trace-{attempt_id}"}


def answer(*rows: tuple[str, str, float]) -> dict:
    return {"classifications": [{"attempt_id": a, "error_type": e, "evidence": f"evidencia {a}", "confidence": c}
                                for a, e, c in rows]}


def attempt_row(db, attempt_id: str) -> dict:
    return db.fetch_one("SELECT a.status, t.code AS tag, a.classifier_source, a.confidence, a.llm_job_id,"
                        " a.classified_at IS NOT NULL AS classified, a.is_correct"
                        " FROM attempts a LEFT JOIN error_tags t ON t.id = a.error_tag_id WHERE a.id = :id",
                        {"id": attempt_id})


def jobs(db) -> list[dict]:
    store = PostgresDocumentStore(db)
    return [store.find_llm_job(row["id"]) for row in
            db.fetch_all("SELECT id FROM llm_classification_jobs ORDER BY created_at, ctid")]  # written in order


def cost_rows(db) -> list[dict]:
    return db.fetch_all("SELECT worker, model, input_tokens, output_tokens, cache_creation_input_tokens,"
                        " cache_read_input_tokens, cost_usd, trace_id FROM cost_events"
                        " ORDER BY created_at, ctid")  # insert-only table: ctid follows insertion order


# -- the happy path ---------------------------------------------------------------------------------

def test_one_call_per_domain_group_and_the_write_back(worker, anthropic_fake, db, school):
    for attempt_id in ("a-1", "a-2", "a-3", "f-1", "n-1"):
        pending_attempt(db, school, attempt_id)
    anthropic_fake.script(
        anthropic_fake.tool_use("classify_errors", answer(("a-1", ARITH_CODES[1], 0.93), ("a-2", "CORRECT", 0.99),
                                                          ("a-3", "TRANSVERSAL_LIKELY", 0.4))),
        anthropic_fake.tool_use("classify_errors", answer(("f-1", FRACT_CODES[0], 0.88))),
        anthropic_fake.tool_use("classify_errors", answer(("n-1", "UNCLASSIFIED", 0.1))))
    records = [sqs_record(request("a-1")), sqs_record(request("f-1", "dom-fract")), sqs_record(request("a-2")),
               sqs_record(request("n-1", None)), sqs_record(request("a-3"))]
    assert worker(records) == []

    arith, fract, generic = anthropic_fake.requests
    enum = lambda r: r.body["tools"][0]["input_schema"]["properties"]["classifications"]["items"]["properties"][
        "error_type"]["enum"]
    assert enum(arith) == list(ARITH_CODES) + ["CORRECT", "UNCLASSIFIED", "TRANSVERSAL_LIKELY"]  # DRAFT left out
    assert enum(fract) == list(FRACT_CODES) + ["CORRECT", "UNCLASSIFIED", "TRANSVERSAL_LIKELY"]
    assert "BORROW_OMITTED_TENS" in enum(generic) and "TRANSVERSAL_LIKELY" not in enum(generic)
    for sent in (arith, fract, generic):
        [block] = sent.body["system"]
        assert block["cache_control"] == {"type": "ephemeral"}
        assert sent.body["tool_choice"] == {"type": "tool", "name": "classify_errors"}
        assert sent.body["model"] == "claude-haiku-4-5-20251001" and sent.body["max_tokens"] == 4096
        assert "student-x" not in json.dumps(sent.body)  # student ids never reach the provider
    assert [a["attempt_id"] for a in json.loads(arith.user_text().split("\n", 1)[1])] == ["a-1", "a-2", "a-3"]

    job_arith, job_fract, job_generic = jobs(db)
    assert attempt_row(db, "a-1") == {"status": "CLASSIFIED", "tag": ARITH_CODES[1], "classifier_source": "LLM",
                                      "confidence": 0.93, "llm_job_id": job_arith["_id"], "classified": True,
                                      "is_correct": False}
    assert attempt_row(db, "a-2")["status"] == "CLASSIFIED" and attempt_row(db, "a-2")["tag"] == "CORRECT"
    assert attempt_row(db, "a-2")["is_correct"] is False  # never changed by the LLM
    assert attempt_row(db, "a-3") == {"status": "PENDING", "tag": "UNCLASSIFIED", "classifier_source": "LLM",
                                      "confidence": 0.4, "llm_job_id": job_arith["_id"], "classified": False,
                                      "is_correct": False}
    assert attempt_row(db, "f-1")["tag"] == FRACT_CODES[0]
    assert attempt_row(db, "n-1")["status"] == "PENDING" and attempt_row(db, "n-1")["llm_job_id"] == job_generic["_id"]

    assert job_arith["status"] == "completed" and job_arith["attempt_ids"] == ["a-1", "a-2", "a-3"]
    assert job_arith["trace_id"] == "trace-a-1" and job_arith["domain_id"] == "dom-arith"
    assert job_arith["prompt_version"] == "2.0" and len(job_arith["catalog_hash"]) == 12
    assert job_generic["prompt_version"] == "1.0" and job_generic["catalog_hash"] is None
    meta = job_arith["request_meta"]
    assert meta["tool_choice"] == {"type": "tool", "name": "classify_errors"}
    assert meta["cache_creation_input_tokens"] >= PREFIX_TOKEN_TARGET and meta["cached_tokens"] == 0
    assert meta["cache_hit"] is False and meta["input_tokens"] > 0 and meta["output_tokens"] > 0
    assert [(c["attempt_id"], c["error_type"], c["confidence"]) for c in job_arith["response_meta"]["classifications"]] == [
        ("a-1", ARITH_CODES[1], 0.93), ("a-2", "CORRECT", 0.99), ("a-3", "TRANSVERSAL_LIKELY", 0.4)]
    assert job_arith["response_meta"]["raw_response_id"].startswith("msg_")
    assert job_arith["cost_estimated_usd"] > 0 and job_arith["retries"] == 0 and job_arith["completed_at"]
    costs = cost_rows(db)
    assert [(c["worker"], c["model"]) for c in costs] == [("llm_classifier", "claude-haiku-4-5-20251001")] * 3
    assert costs[0]["cost_usd"] == pytest.approx(job_arith["cost_estimated_usd"])
    assert costs[0]["cache_creation_input_tokens"] == meta["cache_creation_input_tokens"]
    assert costs[0]["trace_id"] == "trace-a-1"
    assert db.fetch_value("SELECT count(*) FROM student_topic_mastery") == 0  # mastery is never touched


def test_the_next_call_of_a_domain_reads_its_prefix_from_the_cache(worker, anthropic_fake, db, school):
    for attempt_id in ("a-1", "a-2"):
        pending_attempt(db, school, attempt_id)
    assert worker([sqs_record(request("a-1"))]) == []
    assert worker([sqs_record(request("a-2"))]) == []
    first, second = jobs(db)
    assert second["request_meta"]["cached_tokens"] == first["request_meta"]["cache_creation_input_tokens"] > 0
    assert second["request_meta"]["cache_hit"] is True
    assert second["cost_estimated_usd"] < first["cost_estimated_usd"]


def test_job_documents_also_go_to_mongodb(database_url, anthropic_fake, catalogue, ai_switches, lambda_client, db,
                                          school, monkeypatch):
    mongo = MongoDocumentStore(mongomock.MongoClient(tz_aware=True)["innova"])
    monkeypatch.setattr(dependencies, "document_store", lambda: mongo)
    pending_attempt(db, school, "a-1")
    assert failed_ids(lambda_client.invoke(HANDLER, sqs_event([sqs_record(request("a-1"))])).payload) == []
    job = mongo.find_llm_job(attempt_row(db, "a-1")["llm_job_id"])
    assert job["status"] == "completed" and job["attempt_ids"] == ["a-1"]


# -- idempotency and malformed input ------------------------------------------------------------------

def test_redelivery_of_a_classified_attempt_makes_no_call(worker, anthropic_fake, db, school):
    pending_attempt(db, school, "a-1")
    assert worker([sqs_record(request("a-1"))]) == []
    before = attempt_row(db, "a-1")
    anthropic_fake.reset()
    assert worker([sqs_record(request("a-1")), sqs_record(request("a-1"))]) == []
    assert anthropic_fake.requests == [] and attempt_row(db, "a-1") == before and len(jobs(db)) == 1


def test_shuffled_redeliveries_classify_each_attempt_once(worker, anthropic_fake, db, school):
    ids = [f"a-{i}" for i in range(6)]
    for attempt_id in ids:
        pending_attempt(db, school, attempt_id)
    for batch in redeliveries([sqs_record(request(a)) for a in ids], times=3, batch_size=5):
        assert worker(batch) == []
    classified = [row["llm_job_id"] for row in db.fetch_all("SELECT llm_job_id FROM attempts WHERE status = 'CLASSIFIED'")]
    assert len(classified) == 6
    assert sum(len(job["attempt_ids"]) for job in jobs(db)) == 6  # no attempt was sent twice


def test_duplicates_in_one_batch_share_one_classification(worker, anthropic_fake, db, school):
    pending_attempt(db, school, "a-1")
    assert worker([sqs_record(request("a-1")), sqs_record(request("a-1"))]) == []
    [sent] = anthropic_fake.requests
    assert [a["attempt_id"] for a in json.loads(sent.user_text().split("\n", 1)[1])] == ["a-1"]


def test_malformed_messages_fail_alone(worker, anthropic_fake, db, school):
    pending_attempt(db, school, "a-1")
    good = sqs_record(request("a-1"))
    not_json, wrong = sqs_record("{not json"), sqs_record({"id": "a-2", "topic": None})
    assert worker([not_json, good, wrong]) == [not_json["messageId"], wrong["messageId"]]
    assert attempt_row(db, "a-1")["status"] == "CLASSIFIED"


def test_a_missing_attempt_is_acknowledged_without_a_call(worker, anthropic_fake, db):
    assert worker([sqs_record(request("gone"))]) == []
    assert anthropic_fake.requests == [] and jobs(db) == []


# -- failures -----------------------------------------------------------------------------------------

def test_paused_makes_no_call_and_fails_the_items(worker, anthropic_fake, ai_switches, db, school):
    ai_switches.set("LLM_PAUSED", True)
    pending_attempt(db, school, "a-1")
    first, last = sqs_record(request("a-1")), sqs_record(request("a-1"), receive_count=3)
    assert worker([first]) == [first["messageId"]]
    assert worker([last]) == [last["messageId"]]
    assert anthropic_fake.requests == []
    assert [(j["status"], j["error_message"]) for j in jobs(db)] == [("failed", "paused_due_to_cost"),
                                                                      ("dlq", "paused_due_to_cost")]
    assert attempt_row(db, "a-1")["status"] == "PENDING" and cost_rows(db) == []
    ai_switches.set("LLM_PAUSED", False)
    assert worker([sqs_record(request("a-1"))]) == [] and attempt_row(db, "a-1")["status"] == "CLASSIFIED"


def test_provider_errors_fail_only_their_group(worker, anthropic_fake, db, school):
    pending_attempt(db, school, "a-1")
    pending_attempt(db, school, "f-1")
    anthropic_fake.script(anthropic_fake.error(429, "slow down"),
                          anthropic_fake.tool_use("classify_errors", answer(("f-1", FRACT_CODES[0], 0.9))))
    arith, fract = sqs_record(request("a-1")), sqs_record(request("f-1", "dom-fract"))
    assert worker([arith, fract]) == [arith["messageId"]]
    assert attempt_row(db, "a-1")["status"] == "PENDING" and attempt_row(db, "a-1")["llm_job_id"] is None
    assert attempt_row(db, "f-1")["status"] == "CLASSIFIED"
    failed, done = jobs(db)
    assert failed["status"] == "failed" and "rate_limited" in failed["error_message"] and "429" in failed["error_message"]
    assert done["status"] == "completed" and len(cost_rows(db)) == 1  # a refused call costs nothing


def test_a_malformed_answer_fails_the_group_and_writes_nothing(worker, anthropic_fake, db, school):
    pending_attempt(db, school, "a-1")
    pending_attempt(db, school, "a-2")
    anthropic_fake.script(anthropic_fake.tool_use("classify_errors", answer(("a-1", ARITH_CODES[0], 0.9),
                                                                            ("a-2", ARITH_CODES[0], 1.7))))
    records = [sqs_record(request("a-1")), sqs_record(request("a-2"), receive_count=3)]
    assert worker(records) == [r["messageId"] for r in records]
    assert attempt_row(db, "a-1")["status"] == "PENDING" and attempt_row(db, "a-1")["llm_job_id"] is None
    [job] = jobs(db)
    assert job["status"] == "failed" and "malformed_output" in job["error_message"]
    assert "confidence" in job["error_message"]
    assert len(cost_rows(db)) == 1 and job["cost_estimated_usd"] > 0  # billed although unusable


def test_prose_instead_of_the_tool_fails_the_group_into_the_dlq_on_the_last_receive(worker, anthropic_fake, db, school):
    pending_attempt(db, school, "a-1")
    anthropic_fake.script(anthropic_fake.text("Sure! Here are the classifications..."))
    record = sqs_record(request("a-1"), receive_count=3)
    assert worker([record]) == [record["messageId"]]
    [job] = jobs(db)
    assert job["status"] == "dlq" and "no classify_errors tool_use block" in job["error_message"]


def test_attempts_the_model_skipped_are_retried_and_foreign_answers_ignored(worker, anthropic_fake, db, school):
    for attempt_id in ("a-1", "a-2", "a-3"):
        pending_attempt(db, school, attempt_id)
    anthropic_fake.script(anthropic_fake.tool_use("classify_errors", answer(
        ("a-1", ARITH_CODES[0], 0.8), ("a-1", ARITH_CODES[1], 0.7), ("zz-9", ARITH_CODES[0], 0.9),
        ("a-3", FRACT_CODES[0], 0.9))))
    records = [sqs_record(request(a)) for a in ("a-1", "a-2", "a-3")]
    assert worker(records) == [records[1]["messageId"]]
    assert attempt_row(db, "a-1")["tag"] == ARITH_CODES[0]  # the first answer for an id wins
    assert attempt_row(db, "a-3")["tag"] == "UNCLASSIFIED"  # another domain's code is not this group's
    assert attempt_row(db, "a-3")["status"] == "PENDING"
    assert db.fetch_value("SELECT count(*) FROM attempts WHERE id = 'zz-9'") == 0


def test_without_an_api_key_the_items_fail_as_unconfigured(worker, anthropic_fake, db, school, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    dependencies.reset()
    pending_attempt(db, school, "a-1")
    record = sqs_record(request("a-1"))
    assert worker([record]) == [record["messageId"]]
    assert anthropic_fake.requests == [] and "provider_unconfigured" in jobs(db)[0]["error_message"]


def test_a_database_outage_fails_every_record_and_writes_nothing(worker, anthropic_fake, db, school, database_outage):
    pending_attempt(db, school, "a-1")
    assert worker([sqs_record(request("a-1"))]) == []  # the worker's connection is open
    pending_attempt(db, school, "a-2")
    database_outage()
    record = sqs_record(request("a-2"))
    assert worker([record]) == [record["messageId"]]
    database_outage.end()
    assert attempt_row(db, "a-2")["status"] == "PENDING" and attempt_row(db, "a-2")["llm_job_id"] is None
    assert worker([sqs_record(request("a-2"))]) == [] and attempt_row(db, "a-2")["status"] == "CLASSIFIED"


def test_the_handler_with_a_long_lambda_context(app_module, database_url, anthropic_fake, catalogue, ai_switches, db,
                                                school):
    pending_attempt(db, school, "a-1")
    anthropic_fake.script(anthropic_fake.error(529), anthropic_fake.tool_use(
        "classify_errors", answer(("a-1", ARITH_CODES[0], 0.9))))
    response = app_module.llm_classifier_worker(sqs_event([sqs_record(request("a-1"))]), FakeLambdaContext(120_000))
    assert response == {"batchItemFailures": []}
    assert jobs(db)[0]["retries"] == 1 and len(anthropic_fake.requests) == 2
