"""One contract for both document store adapters (workers.md §8): every test runs on PostgreSQL
JSONB, on mongomock and, when ``MONGODB_URI`` is set, on a real MongoDB server."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
HEX_ID = re.compile(r"^[0-9a-f]{24}$")


def events_document(attempt_id: str, *, created: datetime = T0, student: str = "student-1", **extra) -> dict:
    return {
        "attempt_id": attempt_id, "student_id": student, "classroom_id": "", "trace_id": f"trace-{attempt_id}",
        "events": [{"t": 0, "type": "key_down", "payload": {"column": "units", "value": "7"}},
                   {"t": 850, "type": "submit", "payload": {}}],
        "summary": {"total_events": 2, "duration_ms": 850, "hints_used": 0, "undo_count": 0, "paste_count": 0},
        "raw_steps": [{"expression": "12-5=7", "isFinal": True}],
        "archived_to_s3_at": None, "createdAt": created, "updatedAt": created, **extra,
    }


# -- attempt_events -------------------------------------------------------------------------

def test_attempt_events_round_trip_with_hex_id_and_millisecond_utc_dates(store):
    assert store.insert_attempt_events([events_document("a-1")]) == [True]
    found = store.find_attempt_events("a-1")
    assert HEX_ID.match(found["_id"])
    expected = events_document("a-1", created=T0.replace(microsecond=123000))
    assert {k: v for k, v in found.items() if k != "_id"} == expected
    assert found["createdAt"].utcoffset() == timedelta(0)
    assert store.find_attempt_events("missing") is None


def test_insert_is_set_on_insert_keyed_by_attempt_id(store):
    assert store.insert_attempt_events([events_document("a-1"), events_document("a-2")]) == [True, True]
    changed = events_document("a-1", student="someone-else")
    assert store.insert_attempt_events([changed, events_document("a-3")]) == [False, True]
    assert store.find_attempt_events("a-1")["student_id"] == "student-1"  # the first write stays
    assert store.find_attempt_events("a-3") is not None


def test_same_attempt_twice_in_one_call_keeps_the_first(store):
    first, second = events_document("a-1", trace_id="first"), events_document("a-1", trace_id="second")
    assert store.insert_attempt_events([first, second]) == [True, False]
    assert store.find_attempt_events("a-1")["trace_id"] == "first"


def test_store_sets_timestamps_when_the_caller_does_not(store):
    document = events_document("a-1")
    del document["createdAt"], document["updatedAt"]
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    store.insert_attempt_events([document])
    found = store.find_attempt_events("a-1")
    assert before <= found["createdAt"] <= datetime.now(timezone.utc)
    assert found["updatedAt"] == found["createdAt"]


def test_archive_candidates_are_old_unarchived_documents_oldest_first_limited(store):
    days = [10, 40, 35, 31, 50]
    store.insert_attempt_events([events_document(f"a-{d}", created=T0 - timedelta(days=d)) for d in days])
    cutoff = T0 - timedelta(days=30)
    found = store.attempt_events_to_archive(cutoff, limit=3)
    assert [d["attempt_id"] for d in found] == ["a-50", "a-40", "a-35"]
    assert all(HEX_ID.match(d["_id"]) for d in found)
    assert [d["attempt_id"] for d in store.attempt_events_to_archive(cutoff, limit=10)] == [
        "a-50", "a-40", "a-35", "a-31"]


def test_marking_archived_empties_events_once(store):
    store.insert_attempt_events([events_document("a-1", created=T0 - timedelta(days=40))])
    [document] = store.attempt_events_to_archive(T0, limit=10)
    archived_at = T0 + timedelta(minutes=1)
    assert store.mark_attempt_events_archived(document["_id"], archived_at) is True
    found = store.find_attempt_events("a-1")
    assert found["events"] == []
    assert found["archived_to_s3_at"] == archived_at.replace(microsecond=123000)
    assert found["updatedAt"] == found["archived_to_s3_at"]
    assert found["summary"] == document["summary"] and found["raw_steps"] == document["raw_steps"]
    assert store.mark_attempt_events_archived(document["_id"], T0 + timedelta(minutes=2)) is False
    assert store.find_attempt_events("a-1")["archived_to_s3_at"] == archived_at.replace(microsecond=123000)
    assert store.attempt_events_to_archive(T0, limit=10) == []


def test_documents_without_the_archive_field_count_as_unarchived(store):
    document = events_document("a-1", created=T0 - timedelta(days=40))
    del document["archived_to_s3_at"]
    store.insert_attempt_events([document])
    assert [d["attempt_id"] for d in store.attempt_events_to_archive(T0, limit=10)] == ["a-1"]


def test_marking_an_unknown_or_malformed_id_changes_nothing(store):
    assert store.mark_attempt_events_archived("0123456789abcdef01234567", T0) is False
    assert store.mark_attempt_events_archived("not-an-id", T0) is False


# -- llm_classification_jobs ----------------------------------------------------------------------

def test_llm_job_insert_find_and_complete(store):
    job_id = store.insert_llm_job({"attempt_ids": ["a-1", "a-2"], "trace_id": "t-1", "model": "claude-haiku-4-5",
                                   "status": "pending", "retries": 0, "domain_id": None})
    assert HEX_ID.match(job_id)
    pending = store.find_llm_job(job_id)
    assert pending["_id"] == job_id and pending["status"] == "pending" and pending["domain_id"] is None
    completed_at = T0 + timedelta(seconds=3)
    assert store.update_llm_job(job_id, {
        "status": "completed", "completed_at": completed_at, "cost_estimated_usd": 0.00078,
        "request_meta": {"input_tokens": 200, "output_tokens": 100, "cached_tokens": 800, "cache_hit": True},
        "response_meta": {"classifications": [{"attempt_id": "a-1", "error_type": "CORRECT", "confidence": 1.0}]},
    }) is True
    done = store.find_llm_job(job_id)
    assert done["status"] == "completed"
    assert done["completed_at"] == completed_at.replace(microsecond=123000)
    assert done["request_meta"]["cached_tokens"] == 800 and done["request_meta"]["cache_hit"] is True
    assert done["response_meta"]["classifications"][0]["confidence"] == 1.0
    assert done["attempt_ids"] == ["a-1", "a-2"] and done["createdAt"] == pending["createdAt"]
    assert done["updatedAt"] >= pending["updatedAt"]


def test_llm_job_update_can_unset_fields(store):
    job_id = store.insert_llm_job({"attempt_ids": ["a"], "trace_id": "t", "model": "m", "status": "failed",
                                   "error_message": "paused_due_to_cost"})
    assert store.update_llm_job(job_id, {"status": "pending"}, unset=["error_message"])
    assert "error_message" not in store.find_llm_job(job_id)


def test_llm_job_unknown_ids(store):
    assert store.find_llm_job("0123456789abcdef01234567") is None
    assert store.find_llm_job("not-an-id") is None
    assert store.update_llm_job("0123456789abcdef01234567", {"status": "completed"}) is False
    assert store.update_llm_job("not-an-id", {"status": "completed"}) is False


# -- ocr_jobs -------------------------------------------------------------------------------------

def test_ocr_job_upsert_creates_then_updates_in_place(store):
    purge_at = T0 + timedelta(days=30)
    job_id = store.upsert_ocr_job("u-1", {"student_id": "s-1", "trace_id": "t-1", "s3_key": "uploads/s-1/u-1.jpg",
                                          "s3_purge_at": purge_at, "primary_provider": "gemini",
                                          "status": "pending", "attempt_id": None})
    assert HEX_ID.match(job_id)
    created = store.find_ocr_job("u-1")
    assert created["upload_id"] == "u-1" and created["s3_purge_at"] == purge_at.replace(microsecond=123000)
    assert store.update_ocr_job("u-1", {"status": "failed", "error_message": "image too large"})
    again = store.upsert_ocr_job("u-1", {"status": "pending", "trace_id": "t-2"}, unset=["error_message"])
    assert again == job_id
    job = store.find_ocr_job("u-1")
    assert job["status"] == "pending" and job["trace_id"] == "t-2" and "error_message" not in job
    assert job["s3_key"] == "uploads/s-1/u-1.jpg" and job["createdAt"] == created["createdAt"]


def test_ocr_job_result_round_trips(store):
    store.upsert_ocr_job("u-1", {"student_id": "s", "trace_id": "t", "s3_key": "k", "primary_provider": "gemini",
                                 "status": "pending"})
    result = {"topic_hint": None, "final_answer": "7", "overall_confidence": 0.92,
              "steps": [{"rawText": "12-5", "type": "step", "position": None, "confidence": 0.92}]}
    assert store.update_ocr_job("u-1", {"status": "completed", "ocr_result": result, "used_fallback": False,
                                        "fallback_provider": None, "completed_at": T0})
    job = store.find_ocr_job("u-1")
    assert job["ocr_result"] == result and job["used_fallback"] is False and job["fallback_provider"] is None
    assert job["completed_at"] == T0.replace(microsecond=123000)


def test_ocr_job_key_cannot_be_rewritten_and_unknown_uploads(store):
    store.upsert_ocr_job("u-1", {"student_id": "s", "trace_id": "t", "s3_key": "k", "status": "pending",
                                 "primary_provider": "gemini"})
    store.update_ocr_job("u-1", {"upload_id": "u-2", "status": "failed"})
    assert store.find_ocr_job("u-1")["status"] == "failed"
    assert store.find_ocr_job("u-2") is None
    assert store.update_ocr_job("missing", {"status": "failed"}) is False


# -- shared rules -----------------------------------------------------------------------------------

def test_dotted_or_operator_field_names_are_refused(store):
    with pytest.raises(ValueError):
        store.insert_llm_job({"request_meta.input_tokens": 5, "status": "pending"})
    job_id = store.insert_llm_job({"status": "pending"})
    with pytest.raises(ValueError):
        store.update_llm_job(job_id, {"$set": {"status": "x"}})


def test_set_and_unset_of_the_same_field_is_refused(store):
    job_id = store.insert_llm_job({"status": "pending"})
    with pytest.raises(ValueError):
        store.update_llm_job(job_id, {"status": "failed"}, unset=["status"])


def test_ensure_indexes_is_idempotent(store):
    store.ensure_indexes()
    store.ensure_indexes()
    store.insert_attempt_events([events_document("a-1")])
    assert store.insert_attempt_events([events_document("a-1")]) == [False]
