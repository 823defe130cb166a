"""The local runtime behind ``run``: embedded PostgreSQL, migrations, demo data and the HTTP API.

Everything runs in this process tree and stops on Ctrl-C.
"""
from __future__ import annotations

import os
import signal
import threading


def run_local(port: int = 3000, host: str = "127.0.0.1") -> int:
    from chalicelib import cli
    from chalicelib.local.demo_tokens import demo_tokens
    from chalicelib.local.http_server import ApiServer
    from chalicelib.logs import configure_logging
    from chalicelib.store.demo_seed import seed_demo_data
    from chalicelib.store.migrate import apply_migrations

    configure_logging(os.environ.get("LOG_LEVEL") or "info")
    server = cli._ensure_database_url()
    db = cli._database()
    applied = apply_migrations(db)
    seed_demo_data(db)
    db.close()
    api = ApiServer(host, port).start()
    print(f"\nInnova Serverless is running (database: {'embedded' if server else 'DATABASE_URL'},"
          f" {len(applied)} new migration(s)).")
    print(f"  API          {api.url}")
    print(f"  Swagger UI   {api.url}/docs")
    print("  Demo tokens  (Authorization: Bearer <token>)")
    for role, token in demo_tokens(os.environ["SUPABASE_JWT_SECRET"]).items():
        print(f"    {role:8s} {token}")
    print(f"\nTry: curl -H 'Authorization: Bearer <student token>' {api.url}/auth/me\nCtrl-C stops.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
        del server
    return 0
