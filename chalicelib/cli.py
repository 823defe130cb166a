"""Commands: ``python -m chalicelib.cli <command>``.

- ``run``      start the product locally (embedded PostgreSQL unless DATABASE_URL is set, migrations,
               demo data, the HTTP API) and print the URLs and a demo token per role
- ``migrate``  apply pending SQL migrations to DATABASE_URL (or the embedded server)
- ``seed``     load the demo data (idempotent) and print demo tokens
- ``tokens``   print demo tokens signed with SUPABASE_JWT_SECRET
- ``archive-telemetry [--all]``  move attempt telemetry older than TELEMETRY_ARCHIVE_AFTER_DAYS to
               S3_RAW_EVENTS_BUCKET: one bounded pass (TELEMETRY_ARCHIVE_BATCH), or until none is left
- ``fire-alerts`` run the hourly teacher alert generator once and print the alerts it raised
- ``import-catalog <file> [--activate]``  upsert an error catalogue file (JSON lines or CSV) by code
- ``republish-outbox [--limit N]``  send the attempt messages a failed publish left in the outbox
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
    from chalicelib.local.runtime import run_local

    os.environ.setdefault("SUPABASE_JWT_SECRET", LOCAL_JWT_SECRET)
    os.environ.setdefault("CORS_ORIGINS", LOCAL_CORS_ORIGINS)
    os.environ.setdefault("STAGE", "local")
    return run_local(port=args.port, host=args.host)


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
    run = sub.add_parser("run", help="run the whole product locally")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    run.add_argument("--host", default="127.0.0.1")
    run.set_defaults(func=cmd_run)
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
