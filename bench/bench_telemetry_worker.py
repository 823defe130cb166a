"""Benchmark: attempt telemetry events persisted per second through the telemetryWorker handler.

    .venv/bin/python bench/bench_telemetry_worker.py [--batches 300] [--events 30] [--mongomock]

Feeds SQS events of 10 FIFO records (one attempt each, ``--events`` keystroke events per attempt)
to ``app.telemetry_worker`` exactly as Lambda calls it, on a scratch database of the embedded
PostgreSQL (or ``DATABASE_URL``), JSONB adapter by default. Prints events/s, attempts/s and the
database round trips per batch. Target: ≥ 5,000 events/s. The queue itself is not involved (moto's
FIFO queue slows down as it fills, which would measure moto, not this code).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scratch_database import scratch_database  # noqa: E402


def make_event(batch: int, events_per_attempt: int) -> dict:
    records = []
    for i in range(10):
        attempt_id, student = str(uuid.uuid4()), f"student-{(batch * 10 + i) % 997}"
        body = {"attemptId": attempt_id, "traceId": str(uuid.uuid4()), "studentId": student, "courseId": "course-1",
                "rawSteps": [{"expression": "352-178", "isFinal": False}, {"expression": "174", "isFinal": True}],
                "events": [{"t": 120 * n, "type": ("key_down", "erase", "hint_request", "submit")[n % 4],
                            "payload": {"column": "units", "value": str(n % 10), "cursor_pos": n}}
                           for n in range(events_per_attempt)]}
        records.append({"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": json.dumps(body),
                        "attributes": {"ApproximateReceiveCount": "1", "MessageGroupId": student,
                                       "MessageDeduplicationId": attempt_id},
                        "messageAttributes": {}, "eventSource": "aws:sqs"})
    return {"Records": records}


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--events", type=int, default=30, help="keystroke events per attempt")
    parser.add_argument("--mongomock", action="store_true", help="MongoDB adapter over mongomock instead")
    args = parser.parse_args()

    url, server = scratch_database("innova_bench_telemetry")
    os.environ["DATABASE_URL"] = url
    os.environ["LOG_LEVEL"] = "warning"  # one info line per record would dominate the timing
    os.environ.pop("S3_RAW_EVENTS_BUCKET", None)
    os.environ.pop("MONGODB_URI", None)
    import app
    from chalicelib import dependencies

    if args.mongomock:
        import mongomock

        from chalicelib.documents.mongo_store import MongoDocumentStore

        store = MongoDocumentStore(mongomock.MongoClient(tz_aware=True)["bench"])
        dependencies.document_store = lambda: store  # type: ignore[assignment]

    events = [make_event(b, args.events) for b in range(args.batches)]
    app.telemetry_worker(make_event(-1, args.events), Context())  # warm: connection, imports
    db = dependencies.database()
    trips_before = db.round_trips
    started = time.perf_counter()
    for event in events:
        response = app.telemetry_worker(event, Context())
        if response["batchItemFailures"]:
            raise SystemExit(f"unexpected failures: {response}")
    elapsed = time.perf_counter() - started
    attempts = args.batches * 10
    total_events = attempts * args.events
    print(f"adapter            {'mongomock' if args.mongomock else 'postgres-jsonb'}")
    print(f"batches            {args.batches} x 10 attempts x {args.events} events")
    print(f"elapsed            {elapsed:.2f} s")
    print(f"events/s           {total_events / elapsed:,.0f}   (target >= 5,000)")
    print(f"attempts/s         {attempts / elapsed:,.0f}")
    print(f"ms per batch       {1000 * elapsed / args.batches:.2f}")
    if not args.mongomock:
        print(f"round trips/batch  {(db.round_trips - trips_before) / args.batches:.2f}")
    dependencies.reset()
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
