"""Versioned SQL migrations: ``migrations/NNNN_name.sql`` applied in order, each exactly once.

A small runner rather than a library: yoyo-migrations (the maintained candidate) only speaks
psycopg on PostgreSQL, and this project is pg8000-only. Guarantees:
- all pending files apply in one transaction (PostgreSQL DDL is transactional), so a failure
  leaves the schema as it was;
- a transaction-scoped advisory lock serialises concurrent runners (two cold starts, CI jobs);
- ``schema_migrations`` records each version with a checksum, and an applied file that was edited
  afterwards is refused instead of silently diverging.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from chalicelib.store.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x1A2B_3C4D  # any constant shared by every runner of this schema
_FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The migrations on disk disagree with what the database recorded."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; a misnamed ``.sql`` file is an error, not skipped."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must look like 0001_name.sql: {path.name}")
        migrations.append(Migration(match[1], match[2], path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return migrations


def apply_migrations(db: Database, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration; returns the versions applied (empty when up to date)."""
    migrations = discover(directory)
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(:key)", {"key": _LOCK_KEY})
        db.execute_script(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version TEXT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        applied = {
            row["version"]: row["checksum"]
            for row in db.fetch_all("SELECT version, checksum FROM schema_migrations")
        }
        done = []
        for migration in migrations:
            recorded = applied.get(migration.version)
            if recorded is not None:
                if recorded != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version}_{migration.name} changed after it was applied;"
                        " add a new migration instead of editing an applied one"
                    )
                continue
            db.execute_script(migration.sql)
            db.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (:v, :n, :c)",
                {"v": migration.version, "n": migration.name, "c": migration.checksum},
            )
            done.append(migration.version)
    return done
