"""A freshly migrated scratch database for the benchmarks that need PostgreSQL.

On ``DATABASE_URL`` when set, else on the embedded server (``.local/pgdata``).
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit


def scratch_database(name: str) -> tuple[str, object]:
    """Drop and recreate database ``name``, apply the migrations; returns its URL and the server
    handle (keep it referenced while the benchmark runs: releasing it stops the embedded server)."""
    from chalicelib.store.database import Database
    from chalicelib.store.migrate import apply_migrations

    server, base = None, os.environ.get("DATABASE_URL")
    if not base:
        from chalicelib.local.embedded_postgres import start_embedded_postgres

        server = start_embedded_postgres()
        base = server.get_uri("postgres")
    admin = Database.from_url(base)
    admin.execute_script(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute_script(f'CREATE DATABASE "{name}"')
    admin.close()
    parts = urlsplit(base)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    db = Database.from_url(url)
    apply_migrations(db)
    db.close()
    return url, server
