"""The shared partial-batch machinery: trace ids, FIFO group blocking, failure reporting."""
from __future__ import annotations

import json
import uuid

from chalicelib.logs import current_trace_id
from chalicelib.workers.sqs_batch import MalformedMessage, SqsBatch, SqsRecord, records_of
from tests.workers.conftest import sqs_event, sqs_record


def record(body, **kwargs) -> SqsRecord:
    return SqsRecord.from_dict(sqs_record(body, **kwargs))


def test_trace_id_comes_from_the_body_then_the_attribute_then_a_new_uuid():
    assert record({"trace_id": "snake", "traceId": "camel"}, trace_id="attr").trace_id() == "snake"
    assert record({"traceId": "camel"}, trace_id="attr").trace_id() == "camel"
    assert record({"trace_id": ""}, trace_id="attr").trace_id() == "attr"
    assert record("not json", trace_id="attr").trace_id() == "attr"
    assert record({"x": 1}, trace_id="none").trace_id() is None  # producers send "none" for no trace
    batch = SqsBatch([record({"x": 1})])
    with batch.scope(batch.records[0]) as trace:
        assert current_trace_id() == trace and uuid.UUID(trace)


def test_bodies_must_be_json_objects():
    for body in ("{oops", json.dumps([1, 2]), ""):
        try:
            record(body).json_object()
        except MalformedMessage:
            continue
        raise AssertionError(f"{body!r} was accepted")


def test_each_reports_failures_in_order_and_blocks_later_records_of_a_failed_fifo_group():
    records = [sqs_record({"n": n}, group_id=group) for n, group in enumerate(["a", "b", "a", "c", "b"])]
    batch = SqsBatch.from_event(sqs_event(records), fifo=True)
    seen = []

    def work(body, rec):
        seen.append(body["n"])
        if body["n"] == 1:
            raise ConnectionError("store down")

    batch.each(lambda body: body, work)
    assert seen == [0, 1, 2, 3]  # record 4 (group b, after the failed record 1) is not processed
    assert batch.response() == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]},
                                                      {"itemIdentifier": records[4]["messageId"]}]}


def test_standard_queues_do_not_block_groups_and_parse_errors_fail_the_record():
    records = [sqs_record("bad"), sqs_record({"n": 1}), sqs_record({"n": 2})]
    batch = SqsBatch.from_event(sqs_event(records))
    done = []
    batch.each(lambda body: body["n"], lambda n, rec: done.append(n))
    assert done == [1, 2]
    assert batch.failed_ids == [records[0]["messageId"]]


def test_records_of_accepts_chalice_events_and_dicts():
    class ChaliceLike:
        def to_dict(self):
            return sqs_event([sqs_record({"a": 1}, message_id="m-1", receive_count=4)])

    [parsed] = records_of(ChaliceLike())
    assert parsed.message_id == "m-1" and parsed.receive_count == 4 and parsed.payload == {"a": 1}
    assert records_of({"Records": []}) == []
