"""``POST /attempts`` end to end, in process: p50/p99 latency, database round trips and SQS calls.

The Chalice app object is called with API Gateway proxy events (``app.app(event, None)``, exactly
what Lambda does) against the embedded PostgreSQL (a scratch database with the migrations and the
demo data) and a moto server. Latency is reported twice: in total, and without the time spent in
SQS calls (moto is much slower than SQS), measured by timing the publisher. The FIFO queue is
drained between batches, outside the timed region: moto's FIFO send slows down as the queue fills.
Application logs are formatted as in production but written to /dev/null. Two runs by default:
with durable commits (every commit waits for the WAL flush, a few milliseconds on a busy shared
disk) and with ``synchronous_commit = off`` on the scratch database, which shows the code path
without the disk.

Run from the repository root: ``.venv/bin/python bench/bench_post_attempts.py [--requests 2000]``.
Targets without SQS time: p50 ≤ 4 ms, p99 ≤ 10 ms; ≤ 3 database round trips; one SQS call per
destination queue.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-for-hs256-tokens-0123456789"
STUDENT = {"sub": "demo-student-1", "email": "demo-student-1@demo.innova.test", "profile_id": "seed-student-001"}
COURSE_ID = "seed-course-001"
TOPICS = ("ARITH/SUB", "ARITH/ADD", "ARITH/MUL", "INT/SUB", "FRACT/ADDSUB", "DEC/ADD", "RATIO/PERCENT")
DRAIN_EVERY = 50
TARGET_P50_MS, TARGET_P99_MS, TARGET_ROUND_TRIPS = 4.0, 10.0, 3


class _MotoProcess:
    """``moto_server`` in a process of its own, so that its threads do not share our interpreter."""

    def __init__(self) -> None:
        import socket
        import subprocess

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1",
                                         "-p", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("moto_server did not start")

    def get_host_and_port(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _environment(moto_in_process: bool) -> tuple[tuple[object, object, str], object, str]:
    """Embedded PostgreSQL with a scratch database, and a moto server with every queue and bucket."""
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                       "SUPABASE_JWT_SECRET": SECRET, "LOG_LEVEL": "info"})
    os.environ.pop("SUPABASE_URL", None)
    import logging

    from moto.server import ThreadedMotoServer

    from chalicelib.local.aws_provisioning import provision
    from chalicelib.local.embedded_postgres import start_embedded_postgres
    from chalicelib.resources import BUCKETS, QUEUES
    from chalicelib.store.database import Database
    from chalicelib.store.demo_seed import seed_demo_data
    from chalicelib.store.migrate import apply_migrations

    server = start_embedded_postgres()
    name = f"innova_bench_{os.getpid()}"
    admin = Database.from_url(server.get_uri("postgres"))
    admin.execute_script(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute_script(f'CREATE DATABASE "{name}"')
    url = server.get_uri(name)
    db = Database.from_url(url)
    apply_migrations(db)
    seed_demo_data(db)
    db.close()
    os.environ["DATABASE_URL"] = url

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if moto_in_process:
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
    else:
        moto = _MotoProcess()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    created = provision(endpoint, f"bench{uuid.uuid4().hex[:6]}")
    for key, queue_url in created.queue_urls.items():
        if key in QUEUES:
            os.environ[QUEUES[key].url_setting] = queue_url
    for key, bucket in created.bucket_names.items():
        os.environ[BUCKETS[key].setting] = bucket
    return (server, admin, name), moto, endpoint


def _attempt_bodies(count: int) -> list[dict]:
    """A fixed mix: right answers, rule-detected slips and answers no rule explains (→ LLM queue)."""
    rng = random.Random(11)
    bodies = []
    for index in range(count):
        a, b = rng.randint(20, 999), rng.randint(1, 19)
        expected = a - b
        answer = rng.choice([expected, expected, expected + 1, expected * 10, expected + 37])
        body = {"studentId": STUDENT["profile_id"], "topicCode": TOPICS[index % len(TOPICS)],
                "courseId": COURSE_ID, "expectedAnswer": expected, "studentAnswer": answer, "minuend": a,
                "subtrahend": b, "rawSteps": [{"expression": f"{a} - {b}", "isFinal": False},
                                              {"expression": str(answer), "isFinal": True}]}
        if index % 4 == 0:
            body["events"] = [{"t": 150 * i, "type": "keydown", "payload": {"key": str(i)}} for i in range(8)]
        bodies.append(body)
    return bodies


def _event(body: dict, token: str) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return {
        "resource": "/{proxy+}", "path": "/attempts", "httpMethod": "POST", "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": {"proxy": "attempts"}, "stageVariables": None,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": "POST", "path": "/dev/attempts",
                           "stage": "dev", "requestId": str(uuid.uuid4())},
        "body": json.dumps(body), "isBase64Encoded": False,
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--commit", choices=("both", "durable", "async"), default="both",
                        help="durable: every commit waits for the WAL flush (the server's default); async: "
                             "synchronous_commit = off on the scratch database, which takes the disk out of "
                             "the figures (default: both, one after the other)")
    parser.add_argument("--moto", choices=("thread", "process"), default="thread",
                        help="thread: ThreadedMotoServer in this process (default); process: moto_server in a "
                             "process of its own, whose request handling then does not compete for this "
                             "interpreter between SQS calls")
    args = parser.parse_args()

    (pg_server, admin, db_name), moto, _ = _environment(moto_in_process=args.moto == "thread")
    import boto3

    from chalicelib import dependencies
    from chalicelib.local.demo_tokens import mint_token
    from chalicelib.messaging.sqs_publisher import SqsPublisher
    from chalicelib.store.database import Database

    sqs_seconds, db_seconds = [0.0], [0.0]
    calls_by_queue: Counter[str] = Counter()
    original_publish_batch, original_run = SqsPublisher.publish_batch, Database._run

    def timed_publish_batch(self, queue, messages):
        started = time.perf_counter()
        try:
            return original_publish_batch(self, queue, messages)
        finally:
            sqs_seconds[0] += time.perf_counter() - started
            calls_by_queue[queue] += 1

    def timed_run(self, sql, params):
        started = time.perf_counter()
        try:
            return original_run(self, sql, params)
        finally:
            db_seconds[0] += time.perf_counter() - started

    SqsPublisher.publish_batch = timed_publish_batch  # every SQS call the app makes
    Database._run = timed_run  # every statement round trip to PostgreSQL

    import app as application

    token = mint_token(SECRET, role="student", sub=STUDENT["sub"], email=STUDENT["email"])
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    drain_urls = [os.environ["SQS_ATTEMPT_STREAM_URL"], os.environ["SQS_LLM_CLASSIFY_URL"]]
    devnull = open(os.devnull, "w")

    def drain() -> None:
        for queue_url in drain_urls:
            while True:
                batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
                if not batch:
                    break
                sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])

    def run(label: str) -> bool:
        dependencies.reset()  # new connections pick up the database's synchronous_commit
        bodies = _attempt_bodies(args.warmup + args.requests)
        totals, without_sqs, in_database, round_trips, sqs_calls = [], [], [], Counter(), Counter()
        destinations, tags = Counter(), Counter()
        for index, body in enumerate(bodies):
            if index % DRAIN_EVERY == 0:
                drain()
            db, publisher = dependencies.database(), dependencies.publisher()
            trips_before, calls_before = db.round_trips, publisher.calls
            sqs_seconds[0] = db_seconds[0] = 0.0
            calls_by_queue.clear()
            event = _event(body, token)
            with contextlib.redirect_stdout(devnull):
                started = time.perf_counter()
                result = application.app(event, None)
                elapsed = time.perf_counter() - started
            if result["statusCode"] != 201:
                print(f"request {index} failed: {result['statusCode']} {result['body']}")
                return False
            if index < args.warmup:
                continue
            totals.append(elapsed * 1000)
            without_sqs.append((elapsed - sqs_seconds[0]) * 1000)
            in_database.append(db_seconds[0] * 1000)
            round_trips[db.round_trips - trips_before] += 1
            sqs_calls[publisher.calls - calls_before] += 1
            destinations[tuple(sorted(calls_by_queue.items()))] += 1
            tags[json.loads(result["body"])["data"]["errorTagCode"]] += 1
        drain()

        n = len(totals)
        print(f"\nPOST /attempts, {label}: {n} requests after {args.warmup} warm-up "
              "(app.app with API Gateway proxy events; embedded PostgreSQL; moto SQS)")
        outside = [w - d for w, d in zip(without_sqs, in_database)]
        for name, values in (("total", totals), ("without SQS time", without_sqs),
                             ("  in PostgreSQL", in_database), ("  in Python", outside)):
            print(f"  {name:17s} p50 {_percentile(values, 0.50):6.2f} ms   p99 {_percentile(values, 0.99):6.2f} ms"
                  f"   mean {statistics.fmean(values):6.2f} ms   max {max(values):7.2f} ms")
        p50, p99 = _percentile(without_sqs, 0.50), _percentile(without_sqs, 0.99)
        print(f"  targets without SQS: p50 ≤ {TARGET_P50_MS} ms {'met' if p50 <= TARGET_P50_MS else 'MISSED'}, "
              f"p99 ≤ {TARGET_P99_MS} ms {'met' if p99 <= TARGET_P99_MS else 'MISSED'}")
        print(f"  database round trips per request: {dict(sorted(round_trips.items()))} "
              f"(target ≤ {TARGET_ROUND_TRIPS}: {'met' if max(round_trips) <= TARGET_ROUND_TRIPS else 'MISSED'})")
        print(f"  SQS calls per request: {dict(sorted(sqs_calls.items()))}")
        for combination, count in sorted(destinations.items(), key=lambda item: -item[1]):
            print(f"    {count:5d} requests: " + ", ".join(f"{queue} × {calls}" for queue, calls in combination))
        unclassified = tags.get("UNCLASSIFIED", 0)
        print(f"  verdicts: {tags.get('CORRECT', 0)} correct, {unclassified} unclassified (→ LLM queue), "
              f"{n - tags.get('CORRECT', 0) - unclassified} rule-detected errors")
        return True

    ok = True
    if args.commit in ("both", "durable"):
        ok = run("durable commits (each waits for the disk flush)")
    if ok and args.commit in ("both", "async"):
        admin.execute_script(f'ALTER DATABASE "{db_name}" SET synchronous_commit = off')
        ok = run("synchronous_commit = off (the disk flush taken out)")

    dependencies.reset()
    moto.stop()
    admin.execute_script(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    admin.close()
    del pg_server
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
