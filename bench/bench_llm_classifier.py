"""Benchmark: a day of UNCLASSIFIED attempts through the llmClassifierWorker against the local Anthropic fake.

    .venv/bin/python bench/bench_llm_classifier.py [--attempts 2000] [--batch 20] [--tags-per-domain 0]

Replays ``--attempts`` attempts (default 2,000) in SQS batches of ``--batch`` (100 batches of 20) over five
domains of the demo catalogue (ARITH 40 %, FRACT 20 %, DEC 15 %, INT 15 %, POW 10 %) through
``app.llm_classifier_worker`` exactly as Lambda calls it: real SDK, real HTTP to the fake, the embedded
PostgreSQL (or ``DATABASE_URL``) with the JSONB document store. The fake counts tokens as ⌈chars / 4⌉ and
caches like Anthropic: the prefix up to the breakpoint, only at ≥ 4,096 tokens for Haiku 4.5, written on the
first call, read by later calls within a 5-minute TTL that reads refresh. Time is simulated for that TTL,
in two scenarios:

- **dense**: one batch a minute (the 60 s batching window filling up during class time);
- **spread**: the same batches evenly over an 8-hour school day (one every ~4.8 minutes).

Prints model calls, the most calls one domain got in one batch (target ≤ 1), the share of input tokens
read from the cache overall and after each domain's first call (target ≥ 90 %), and cost per classified
attempt next to the same calls without caching. ``--tags-per-domain N`` replaces the demo catalogue by N
synthetic tags per domain (the production catalogue has ~150).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scratch_database import scratch_database  # noqa: E402

DOMAIN_MIX = (("ARITH", 0.40), ("FRACT", 0.20), ("DEC", 0.15), ("INT", 0.15), ("POW", 0.10))
HANDLER_CONTEXT_MS = 120_000


class SimulatedClock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return HANDLER_CONTEXT_MS


def synthetic_tags(db, per_domain: int) -> None:
    """Replace each benchmark domain's ACTIVE tags by ``per_domain`` synthetic ones."""
    for code, _ in DOMAIN_MIX:
        db.execute("UPDATE error_tags SET status = 'DEPRECATED' WHERE domain_id = (SELECT id FROM domains WHERE code = :c)",
                   {"c": code})
        db.execute(
            "INSERT INTO error_tags (id, code, name, description, domain_id, diagnostic_hint, status)"
            " SELECT 'bench-' || :c || '-' || n, :c || '_BENCH_ERROR_' || n, '', 'Synthetic procedural error number ' || n"
            " || ' of domain ' || :c || ': the student applies a faulty rule in one step of the procedure.',"
            " (SELECT id FROM domains WHERE code = :c), 'look at step ' || (n % 5 + 1), 'ACTIVE'"
            " FROM generate_series(1, :n) AS n ON CONFLICT (code) DO NOTHING", {"c": code, "n": per_domain})


def make_batches(db, attempts: int, batch_size: int, rng: random.Random) -> list[list[dict]]:
    domains = {row["code"]: row["id"] for row in db.fetch_all("SELECT id, code FROM domains")}
    students = [row["id"] for row in db.fetch_all("SELECT id FROM students ORDER BY id")]
    codes, weights = zip(*DOMAIN_MIX)
    rows, records = [], []
    for i in range(attempts):
        attempt_id, domain = str(uuid.uuid4()), rng.choices(codes, weights)[0]
        a, b = rng.randint(100, 999), rng.randint(10, 99)
        wrong = a - b + rng.choice((10, -10, 90, 1))
        rows.append((attempt_id, students[i % len(students)]))
        body = {"id": attempt_id, "topic": f"T-{domain}", "domain_id": domains[domain], "subdomain_code": "SUB",
                "problem_statement": f"{a} - {b} = ?", "canonical_solution": str(a - b),
                "raw_steps": [{"expression": f"{a} - {b}", "isFinal": False}, {"expression": str(wrong), "isFinal": True}],
                "final_answer": str(wrong), "student_id": students[i % len(students)], "trace_id": str(uuid.uuid4())}
        records.append({"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": json.dumps(body),
                        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "eventSource": "aws:sqs"})
    db.execute("INSERT INTO attempts (id, student_id, status, is_correct, classifier_source)"
               " SELECT id, student, 'PENDING', false, 'LLM'"
               " FROM unnest(CAST(:ids AS text[]), CAST(:students AS text[])) AS r(id, student)",
               {"ids": [r[0] for r in rows], "students": [r[1] for r in rows]})
    return [records[i:i + batch_size] for i in range(0, len(records), batch_size)]


def run_scenario(name: str, spacing_seconds: float, args: argparse.Namespace) -> None:
    from chalicelib import dependencies
    from chalicelib.ai.prices import PRICES, pricing_key
    from chalicelib.documents.postgres_store import PostgresDocumentStore
    from chalicelib.store.database import Database
    from chalicelib.store.demo_seed import seed_demo_data
    from tests.fakes.anthropic_server import AnthropicFake

    url, server = scratch_database(f"innova_bench_llm_{name}")
    os.environ["DATABASE_URL"] = url
    clock = SimulatedClock()
    fake = AnthropicFake(clock=clock)
    os.environ["ANTHROPIC_BASE_URL"], os.environ["ANTHROPIC_API_KEY"] = fake.url, "bench-key"
    dependencies.reset()
    db = Database.from_url(url)
    seed_demo_data(db)
    if args.tags_per_domain:
        synthetic_tags(db, args.tags_per_domain)
    batches = make_batches(db, args.attempts, args.batch, random.Random(7))

    import app

    store = PostgresDocumentStore(db)
    per_batch_domain_calls: list[Counter] = []
    seen_jobs: set[str] = set()
    failures, started = 0, time.perf_counter()
    for batch in batches:
        response = app.llm_classifier_worker({"Records": batch}, Context())
        failures += len(response["batchItemFailures"])
        new = [r["id"] for r in db.fetch_all("SELECT id FROM llm_classification_jobs") if r["id"] not in seen_jobs]
        seen_jobs.update(new)
        per_batch_domain_calls.append(Counter(store.find_llm_job(job_id)["domain_id"] for job_id in new))
        clock.seconds += spacing_seconds
    elapsed = time.perf_counter() - started

    jobs = sorted((store.find_llm_job(job_id) for job_id in seen_jobs), key=lambda j: j["createdAt"])
    first_of_domain: set[str] = set()
    totals = defaultdict(int)
    later = defaultdict(int)
    cost = uncached_cost = 0.0
    price = PRICES[pricing_key(jobs[0]["model"])]
    for job in jobs:
        meta = job["request_meta"]
        read, write, plain, out = (meta["cached_tokens"], meta["cache_creation_input_tokens"], meta["input_tokens"],
                                   meta["output_tokens"])
        for key, value in (("read", read), ("write", write), ("plain", plain), ("output", out)):
            totals[key] += value
        if job["domain_id"] in first_of_domain:
            later["read"] += read
            later["input"] += read + write + plain
        first_of_domain.add(job["domain_id"])
        cost += job["cost_estimated_usd"]
        uncached_cost += ((read + write + plain) * price.input + out * price.output) / 1_000_000
    total_input = totals["read"] + totals["write"] + totals["plain"]
    classified = db.fetch_value("SELECT count(*) FROM attempts WHERE llm_job_id IS NOT NULL")
    max_calls = max((count for counter in per_batch_domain_calls for count in counter.values()), default=0)
    share_later = later["read"] / later["input"] if later["input"] else 0.0
    print(f"\n[{name}] {len(batches)} batches of ≤ {args.batch}, one every {spacing_seconds / 60:.1f} simulated min")
    print(f"  model calls: {len(jobs)} ({len(jobs) / len(batches):.2f} per batch); most calls for one domain in one "
          f"batch: {max_calls} (target ≤ 1: {'met' if max_calls <= 1 else 'MISSED'})")
    print(f"  input tokens: {total_input:,} (read from cache {totals['read']:,}, written {totals['write']:,}, "
          f"uncached {totals['plain']:,}); output {totals['output']:,}")
    print(f"  cached share: {totals['read'] / total_input:.1%} overall; {share_later:.1%} after each domain's first "
          f"call (target ≥ 90 %: {'met' if share_later >= 0.9 else 'MISSED'})")
    print(f"  cost: ${cost:.4f} in all, ${cost / max(classified, 1) * 1000:.3f} per 1,000 classified attempts "
          f"(same calls without caching: ${uncached_cost / max(classified, 1) * 1000:.3f}); "
          f"{classified} classified, {failures} failed items")
    print(f"  wall time: {elapsed / len(batches) * 1000:.1f} ms per batch through the handler (fake provider, "
          f"real database)")
    fake.stop()
    db.close()
    dependencies.reset()
    del server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--tags-per-domain", type=int, default=0, help="synthetic catalogue size (0 = demo catalogue)")
    args = parser.parse_args()
    os.environ["LOG_LEVEL"] = "warning"
    os.environ.pop("MONGODB_URI", None)
    for name in ("SSM_LLM_PAUSED_PARAM",):  # no SSM here: the killswitch reads fail open (not paused)
        os.environ.pop(name, None)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing listens: SSM fails fast and reads "not paused"
    batches = -(-args.attempts // args.batch)
    run_scenario("dense", 60.0, args)
    run_scenario("spread", 8 * 3600 / batches, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
