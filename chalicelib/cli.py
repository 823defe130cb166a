"""Commands: ``python -m chalicelib.cli <command>``.

- ``run``      start the product locally (embedded PostgreSQL unless DATABASE_URL is set, migrations,
               demo data, a moto server with every queue and bucket, the HTTP API, the event pump
               running the five event handlers) and print the URLs and a demo token per role
- ``migrate``  apply pending SQL migrations to DATABASE_URL (or the embedded server)
- ``seed``     load the demo data (idempotent) and print demo tokens
- ``tokens``   print demo tokens signed with SUPABASE_JWT_SECRET
- ``archive-telemetry [--all]``  move attempt telemetry older than TELEMETRY_ARCHIVE_AFTER_DAYS to
               S3_RAW_EVENTS_BUCKET: one bounded pass (TELEMETRY_ARCHIVE_BATCH), or until none is left
- ``fire-alerts`` run the hourly teacher alert generator once and print the alerts it raised
- ``import-catalog <file> [--activate]``  upsert an error catalogue file (JSON lines or CSV) by code
- ``republish-outbox [--limit N]``  send the attempt messages a failed publish left in the outbox

Commands that talk to a running ``run`` (through ``.local/runtime.json``):

- ``queues [--peek N]``        depth of every queue; the messages of every non-empty DLQ
- ``redrive <queue> [--limit N]``  move a DLQ's messages back to its source queue
- ``fire-schedule [function] [--wait]``  deliver a scheduled event now (default: every scheduled function)
- ``logs [-f] [-n N] [--function F] [--level L] [--trace ID] [--json]``  the runtime's structured logs
"""
from __future__ import annotations

import argparse
import os
import sys

LOCAL_JWT_SECRET = "local-dev-only-secret-change-me-0123456789"
LOCAL_CORS_ORIGINS = "http://localhost:3000,http://localhost:5173,http://127.0.0.1:5173"


def _ensure_database_url() -> object | None:
    """Point DATABASE_URL at the embedded server when it is unset; returns the server handle."""
    if os.environ.get("DATABASE_URL"):
        return None
    from chalicelib.local.embedded_postgres import start_embedded_postgres

    server = start_embedded_postgres()
    os.environ["DATABASE_URL"] = server.get_uri("postgres")
    return server


def _database():
    from chalicelib.store.database import Database

    return Database.from_url(os.environ["DATABASE_URL"])


def cmd_migrate(args: argparse.Namespace) -> int:
    from chalicelib.store.migrate import apply_migrations

    server = _ensure_database_url()
    applied = apply_migrations(_database())
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none (up to date)'}")
    del server
    return 0


def _print_tokens() -> None:
    from chalicelib.local.demo_tokens import demo_tokens

    secret = os.environ.setdefault("SUPABASE_JWT_SECRET", LOCAL_JWT_SECRET)
    for role, token in demo_tokens(secret).items():
        print(f"  {role:8s} {token}")


def cmd_seed(args: argparse.Namespace) -> int:
    from chalicelib.store.demo_seed import seed_demo_data
    from chalicelib.store.migrate import apply_migrations

    server = _ensure_database_url()
    db = _database()
    apply_migrations(db)
    ids = seed_demo_data(db)
    print(f"demo data loaded ({len(ids)} ids). Demo tokens (Authorization: Bearer <token>):")
    _print_tokens()
    del server
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    _print_tokens()
    return 0


def cmd_archive_telemetry(args: argparse.Namespace) -> int:
    from chalicelib import dependencies
    from chalicelib.services.telemetry_service import archive_attempt_events
    from chalicelib.settings import get_settings

    server = None if os.environ.get("MONGODB_URI") else _ensure_database_url()
    get_settings.cache_clear()
    settings = get_settings()
    bucket = settings.required("S3_RAW_EVENTS_BUCKET")
    store, storage = dependencies.document_store(), dependencies.object_storage()
    total = failed = 0
    while True:
        report = archive_attempt_events(store, storage, bucket, after_days=settings.telemetry_archive_after_days,
                                        limit=settings.telemetry_archive_batch)
        total, failed = total + report.count, failed + report.failed
        if not args.all or report.count == 0:
            break
    print(f"archived {total} telemetry document(s) to s3://{bucket}/attempt_events/"
          + (f" ({failed} failed, left for the next run)" if failed else ""))
    del server
    return 1 if failed else 0


def cmd_fire_alerts(args: argparse.Namespace) -> int:
    from chalicelib.services.alert_generation import generate_alerts

    server = _ensure_database_url()
    db = _database()
    try:
        report = generate_alerts(db)
    finally:
        db.close()
    for alert in report.inserted:
        subject = alert["student_id"] or alert["topic_id"] or "-"
        print(f"{alert['alert_type']:24s} {alert['severity']:4s} course={alert['course_id']}"
              f" teacher={alert['teacher_id']} subject={subject} ref={alert['dedup_ref']}")
    by_type = ", ".join(f"{kind} {count}" for kind, count in report.by_type.items()) or "none"
    print(f"{len(report.inserted)} alert(s) raised ({by_type}); {report.deduplicated} already raised today;"
          f" {report.courses} course(s) scanned")
    del server
    return 0


def cmd_import_catalog(args: argparse.Namespace) -> int:
    """Import an error catalogue file with a progress bar; malformed lines are listed, not fatal."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from chalicelib.services.error_catalog_import import import_catalog, read_catalog_file

    console = Console(stderr=True)
    server = _ensure_database_url()
    db = _database()
    if server is not None:  # a fresh embedded server may not be migrated yet
        from chalicelib.store.migrate import apply_migrations

        apply_migrations(db)
    started = time.perf_counter()
    records = read_catalog_file(args.file)
    with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("import", total=len(records))
        report = import_catalog(db, records, activate=args.activate, batch_size=args.batch_size,
                                on_progress=lambda n: progress.advance(task, n))
    elapsed = time.perf_counter() - started
    for problem in report.rejected + report.missing_successors:
        console.print(f"line {problem.line}: {problem.reason}", markup=False, highlight=False)
    print(f"{report.read} read, {report.inserted} inserted, {report.updated} updated, "
          f"{report.unchanged} unchanged, {len(report.rejected)} rejected in {elapsed:.2f} s")
    del server
    return 1 if report.rejected else 0


def cmd_run(args: argparse.Namespace) -> int:
    from chalicelib.local.runtime import RuntimeOptions, run_local

    os.environ.setdefault("SUPABASE_JWT_SECRET", LOCAL_JWT_SECRET)
    os.environ.setdefault("CORS_ORIGINS", LOCAL_CORS_ORIGINS)
    os.environ.setdefault("STAGE", "local")
    return run_local(RuntimeOptions(
        host=args.host, port=args.port, aws_port=args.aws_port, visibility_timeout=args.visibility_timeout,
        max_batching_window=args.max_batching_window, schedules=not args.no_schedule, fake_ai=args.fake_ai,
        state_dir=args.state_dir, log_level=os.environ.get("LOG_LEVEL") or "info"))


def _running_runtime(args: argparse.Namespace):
    """The running runtime's state and an SQS client for its endpoint (None when it is not running)."""
    from chalicelib.local.event_pump import sqs_client
    from chalicelib.local.runtime import RuntimeState

    state = RuntimeState.load(args.state_dir)
    if state is None:
        print(f"the local runtime is not running (no live {args.state_dir}/runtime.json); "
              "start it with: python3 dev.py run", file=sys.stderr)
        return None, None
    return state, sqs_client(state.aws_endpoint)


def cmd_queues(args: argparse.Namespace) -> int:
    from chalicelib.local.queue_admin import peek, queue_depths

    state, sqs = _running_runtime(args)
    if state is None:
        return 1
    depths = queue_depths(sqs, state.queue_urls)
    print(f"{'queue':34s} {'visible':>8s} {'in flight':>9s} {'delayed':>8s}  redrive")
    for depth in depths:
        label = f"  {depth.key}" if depth.is_dlq else depth.key
        redrive = f"→ {depth.dlq_key} after {depth.max_receive_count} receives" if depth.max_receive_count else ""
        print(f"{label:34s} {depth.visible:8d} {depth.in_flight:9d} {depth.delayed:8d}  {redrive}")
    for depth in depths:
        if not depth.is_dlq or depth.visible + depth.in_flight == 0:
            continue
        letters = peek(sqs, state.queue_urls[depth.key], args.peek)
        print(f"\n{depth.key} ({depth.name}): {depth.visible + depth.in_flight} message(s), showing {len(letters)}")
        for letter in letters:
            body = letter.body if len(letter.body) <= args.width else letter.body[:args.width] + "…"
            group = letter.attributes.get("MessageGroupId")
            print(f"  {letter.message_id}  sent {letter.sent_at}  receives {letter.receive_count}"
                  + (f"  group {group}" if group else "") + f"\n    {body}")
    return 0


def cmd_redrive(args: argparse.Namespace) -> int:
    from chalicelib.local.queue_admin import redrive, resolve_redrive

    state, sqs = _running_runtime(args)
    if state is None:
        return 1
    try:
        dlq, source = resolve_redrive(args.queue)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    moved = redrive(sqs, state.queue_urls[dlq], state.queue_urls[source], limit=args.limit)
    print(f"moved {moved} message(s) from {dlq} back to {source}")
    return 0


def cmd_fire_schedule(args: argparse.Namespace) -> int:
    from chalicelib.local.event_pump import send_scheduled_event
    from chalicelib.resources import FUNCTIONS

    state, sqs = _running_runtime(args)
    if state is None:
        return 1
    targets = [args.function] if args.function else list(state.event_queues)
    targets = [key for key in targets if key in state.event_queues and key in FUNCTIONS and _is_scheduled(key)]
    if not targets:
        print(f"no scheduled function named {args.function!r}", file=sys.stderr)
        return 2
    events = {}
    for key in targets:
        event = send_scheduled_event(sqs, state.queue_urls[state.event_queues[key]], FUNCTIONS[key], state.stage)
        events[event["id"]] = key
        print(f"scheduled event {event['id']} sent to {key}")
    return _wait_for_events(state, events, args.timeout) if args.wait else 0


def _is_scheduled(function_key: str) -> bool:
    from chalicelib.resources import FUNCTIONS, ScheduleTrigger

    return isinstance(FUNCTIONS[function_key].trigger, ScheduleTrigger)


def _wait_for_events(state, events: dict[str, str], timeout: float) -> int:
    """Follow the runtime's log until each event's invocation finished or gave up."""
    import time
    from pathlib import Path

    from chalicelib.local.runtime_logs import follow_entries

    pending, failed = dict(events), 0
    deadline = time.monotonic() + timeout
    outcomes = ("invocation finished", "event failed on its last attempt: it moves to the DLQ")
    for entry in follow_entries(Path(state.log_file), from_start=True,
                                accept=lambda e: e.get("event_id") in pending and e.get("message") in outcomes,
                                should_stop=lambda: not pending or time.monotonic() > deadline):
        key = pending.pop(entry["event_id"])
        if entry["message"] == outcomes[0]:
            print(f"{key}: finished in {entry.get('duration_ms')} ms → {entry.get('result')}")
        else:
            failed += 1
            print(f"{key}: failed ({entry.get('error')}); see: python3 dev.py cli logs --function {key}")
    for key in pending.values():
        print(f"{key}: no outcome within {timeout:g} s (still retrying?); see the logs", file=sys.stderr)
    return 1 if failed or pending else 0


def cmd_logs(args: argparse.Namespace) -> int:
    from pathlib import Path

    from chalicelib.local.runtime_logs import LOG_FILE_NAME, entry_filter, follow_entries, format_entry, read_entries

    path = Path(args.state_dir) / "logs" / LOG_FILE_NAME
    accept = entry_filter(function=args.function, level=args.level, trace_id=args.trace, request_id=args.request)
    if not path.exists() and not args.follow:
        print(f"no log yet at {path} (the runtime writes it: python3 dev.py run)", file=sys.stderr)
        return 1
    for entry in read_entries(path, last=args.lines, accept=accept):
        print(format_entry(entry, as_json=args.json))
    if args.follow:
        try:
            for entry in follow_entries(path, accept=accept):
                print(format_entry(entry, as_json=args.json), flush=True)
        except KeyboardInterrupt:
            pass
    return 0


def cmd_republish_outbox(args: argparse.Namespace) -> int:
    """Re-send the outbox rows whose lease ran out (same body and ids as the first send)."""
    from chalicelib import dependencies
    from chalicelib.services.attempt_publishing import republish_due

    report = republish_due(dependencies.database(), dependencies.publisher(), limit=args.limit)
    print(f"{report.published} message(s) published, {report.failed} still failing")
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="innova", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    from pathlib import Path

    from chalicelib.local.runtime import DEFAULT_AWS_PORT, DEFAULT_STATE_DIR, DEFAULT_VISIBILITY_TIMEOUT

    state = argparse.ArgumentParser(add_help=False)
    state.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                       help="where the runtime keeps runtime.json and logs/ (default: .local)")
    run = sub.add_parser("run", help="run the whole product locally", parents=[state])
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")), help="HTTP API port")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--aws-port", type=int, default=DEFAULT_AWS_PORT, help="moto server port (0: any free port)")
    run.add_argument("--visibility-timeout", type=int, default=DEFAULT_VISIBILITY_TIMEOUT,
                     help="seconds before a failed record is delivered again (AWS: minutes)")
    run.add_argument("--max-batching-window", type=float, default=None,
                     help="cap every SQS trigger's batching window, in seconds (default: each trigger's own)")
    run.add_argument("--no-schedule", action="store_true", help="don't fire schedules on time (fire-schedule still works)")
    run.add_argument("--fake-ai", action="store_true", help="serve the AI workers from the local Anthropic/Gemini stubs")
    run.set_defaults(func=cmd_run)
    queues = sub.add_parser("queues", help="queue depths and DLQ contents of the running runtime", parents=[state])
    queues.add_argument("--peek", type=int, default=10, help="messages shown per non-empty DLQ")
    queues.add_argument("--width", type=int, default=200, help="characters of each body shown")
    queues.set_defaults(func=cmd_queues)
    redrive = sub.add_parser("redrive", help="move a DLQ's messages back to its source queue", parents=[state])
    redrive.add_argument("queue", help="a queue key (e.g. llm_classify) or its DLQ's key (llm_classify_dlq)")
    redrive.add_argument("--limit", type=int, default=None, help="move at most this many")
    redrive.set_defaults(func=cmd_redrive)
    fire = sub.add_parser("fire-schedule", help="deliver a scheduled event now", parents=[state])
    fire.add_argument("function", nargs="?", help="a scheduled function (default: all, i.e. alertGenerator)")
    fire.add_argument("--wait", action="store_true", help="wait for the invocation's outcome")
    fire.add_argument("--timeout", type=float, default=120.0, help="seconds --wait waits")
    fire.set_defaults(func=cmd_fire_schedule)
    logs = sub.add_parser("logs", help="the runtime's structured logs", parents=[state])
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("-n", "--lines", type=int, default=50, help="last N matching lines first (default 50)")
    logs.add_argument("--function", help="only this function (api, telemetryWorker, …, runtime)")
    logs.add_argument("--level", choices=("debug", "info", "warning", "error"), help="this level and above")
    logs.add_argument("--trace", help="only this trace id")
    logs.add_argument("--request", help="only this invocation's request id")
    logs.add_argument("--json", action="store_true", help="print the JSON lines as written")
    logs.set_defaults(func=cmd_logs)
    sub.add_parser("migrate", help="apply SQL migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help="load demo data and print demo tokens").set_defaults(func=cmd_seed)
    sub.add_parser("tokens", help="print demo tokens").set_defaults(func=cmd_tokens)
    archive = sub.add_parser("archive-telemetry", help="archive old attempt telemetry to S3")
    archive.add_argument("--all", action="store_true", help="repeat bounded passes until none is left")
    archive.set_defaults(func=cmd_archive_telemetry)
    sub.add_parser("fire-alerts", help="run the alert generator once").set_defaults(func=cmd_fire_alerts)
    catalog = sub.add_parser("import-catalog", help="upsert an error catalogue file (JSON lines or CSV)")
    catalog.add_argument("file", help="path to a .jsonl/.ndjson (one entry per line) or .csv file")
    catalog.add_argument("--activate", action="store_true",
                         help="create new entries ACTIVE and promote existing DRAFT ones")
    catalog.add_argument("--batch-size", type=int, default=500, help="entries per statement (default 500)")
    catalog.set_defaults(func=cmd_import_catalog)
    republish = sub.add_parser("republish-outbox", help="re-send attempt messages left in the outbox")
    republish.add_argument("--limit", type=int, default=500, help="rows per run (default 500)")
    republish.set_defaults(func=cmd_republish_outbox)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
