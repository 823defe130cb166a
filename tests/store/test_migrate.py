"""The migration runner: order, bookkeeping, refusals, atomicity and the advisory lock.

Each test uses its own migrations directory and an empty database, so the project's real migrations
(already recorded in the fixture databases) do not interfere.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from chalicelib.store.database import Database, QueryError
from chalicelib.store.migrate import MigrationError, apply_migrations, discover


def _write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql)


def _table_exists(db: Database, name: str) -> bool:
    return db.fetch_value("SELECT to_regclass(:name) IS NOT NULL", {"name": name})


def test_applies_pending_files_in_version_order_and_records_them(empty_db: Database,
                                                                 tmp_path: Path) -> None:
    # 0002 depends on 0001: applied in file-name order, not creation order.
    _write(tmp_path, "0002_add_rows.sql", "INSERT INTO things VALUES (1), (2);")
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (n INT);")

    assert apply_migrations(empty_db, directory=tmp_path) == ["0001", "0002"]

    rows = empty_db.fetch_all("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    assert [(r["version"], r["name"]) for r in rows] == [("0001", "things"), ("0002", "add_rows")]
    assert [r["checksum"] for r in rows] == [m.checksum for m in discover(tmp_path)]
    assert empty_db.fetch_value("SELECT count(*) FROM things") == 2


def test_only_new_files_apply_on_a_later_run(empty_db: Database, tmp_path: Path) -> None:
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (n INT);")
    assert apply_migrations(empty_db, directory=tmp_path) == ["0001"]
    assert apply_migrations(empty_db, directory=tmp_path) == []

    _write(tmp_path, "0002_more.sql", "INSERT INTO things VALUES (7);")
    assert apply_migrations(empty_db, directory=tmp_path) == ["0002"]
    assert empty_db.fetch_value("SELECT count(*) FROM things") == 1


def test_an_applied_file_that_was_edited_is_refused(empty_db: Database, tmp_path: Path) -> None:
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (n INT);")
    apply_migrations(empty_db, directory=tmp_path)

    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (n INT, extra TEXT);")
    _write(tmp_path, "0002_more.sql", "CREATE TABLE more (n INT);")
    with pytest.raises(MigrationError, match="0001_things changed after it was applied"):
        apply_migrations(empty_db, directory=tmp_path)
    assert not _table_exists(empty_db, "more")  # nothing after the refusal ran either


@pytest.mark.parametrize("bad_name", ["1_things.sql", "0002-things.sql", "0002_Things.sql", "abcd_x.sql"])
def test_a_misnamed_sql_file_is_refused_before_anything_runs(empty_db: Database, tmp_path: Path,
                                                             bad_name: str) -> None:
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (n INT);")
    _write(tmp_path, bad_name, "CREATE TABLE other (n INT);")
    with pytest.raises(MigrationError, match="must look like 0001_name.sql"):
        apply_migrations(empty_db, directory=tmp_path)
    assert not _table_exists(empty_db, "things")
    assert not _table_exists(empty_db, "schema_migrations")


def test_two_files_with_one_version_are_refused(empty_db: Database, tmp_path: Path) -> None:
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (n INT);")
    _write(tmp_path, "0001_others.sql", "CREATE TABLE others (n INT);")
    with pytest.raises(MigrationError, match="share a version"):
        apply_migrations(empty_db, directory=tmp_path)
    assert not _table_exists(empty_db, "things")


def test_a_failing_migration_leaves_nothing_applied(empty_db: Database, tmp_path: Path) -> None:
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (n INT);")
    _write(tmp_path, "0002_rows.sql", "INSERT INTO things VALUES (1);")
    _write(tmp_path, "0003_broken.sql", "INSERT INTO no_such_table VALUES (1);")

    with pytest.raises(QueryError) as caught:
        apply_migrations(empty_db, directory=tmp_path)
    assert caught.value.sqlstate == "42P01"  # undefined_table
    # One transaction for the whole run: the good files before the bad one are rolled back too.
    assert not _table_exists(empty_db, "things")
    assert not _table_exists(empty_db, "schema_migrations")

    # The same connection is usable afterwards, and a fixed file applies cleanly.
    _write(tmp_path, "0003_broken.sql", "INSERT INTO things VALUES (2);")
    assert apply_migrations(empty_db, directory=tmp_path) == ["0001", "0002", "0003"]


def test_a_failure_after_earlier_runs_keeps_the_earlier_versions(empty_db: Database,
                                                                 tmp_path: Path) -> None:
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (n INT);")
    apply_migrations(empty_db, directory=tmp_path)
    _write(tmp_path, "0002_rows.sql", "INSERT INTO things VALUES (1);")
    _write(tmp_path, "0003_broken.sql", "SELEC 1;")

    with pytest.raises(QueryError):
        apply_migrations(empty_db, directory=tmp_path)
    versions = [r["version"] for r in empty_db.fetch_all("SELECT version FROM schema_migrations")]
    assert versions == ["0001"]
    assert empty_db.fetch_value("SELECT count(*) FROM things") == 0


def test_concurrent_runners_apply_each_migration_once(empty_database_url: str, tmp_path: Path) -> None:
    # The sleep keeps the first runner inside its transaction while the second one arrives;
    # without the advisory lock both would run the file (or one would crash on CREATE TABLE).
    _write(tmp_path, "0001_slow.sql",
           "CREATE TABLE runs (n INT); INSERT INTO runs VALUES (1); SELECT pg_sleep(0.3);")
    barrier = threading.Barrier(2)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def runner() -> None:
        database = Database.from_url(empty_database_url)  # one connection per thread
        try:
            database.fetch_value("SELECT 1")  # connect before the race starts
            barrier.wait()
            results.append(apply_migrations(database, directory=tmp_path))
        except BaseException as exc:  # noqa: BLE001 — surfaced by the assertion below
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(results) == [[], ["0001"]]
    check = Database.from_url(empty_database_url)
    try:
        assert check.fetch_value("SELECT count(*) FROM runs") == 1
        assert check.fetch_value("SELECT count(*) FROM schema_migrations") == 1
    finally:
        check.close()


def test_the_project_migrations_are_well_formed() -> None:
    # discover() raises on a misnamed file or a repeated version; the schema comes first.
    migrations = discover()
    assert migrations[0].version == "0001" and migrations[0].name == "schema"
    assert all(m.sql.strip() for m in migrations)
