"""The pg8000 connection holder: URL parsing, round trips, transactions, reuse and recovery."""
from __future__ import annotations

import pytest

from chalicelib import dependencies
from chalicelib.store.database import (
    ConnectionParams, Database, DatabaseUnavailableError, IntegrityViolation, QueryError,
)


def test_pooler_url_parameters_are_stripped_and_tls_required():
    params = ConnectionParams.from_url(
        "postgresql://postgres.abc:p%40ss@aws-0.pooler.supabase.com:6543/postgres"
        "?pgbouncer=true&connection_limit=1&sslmode=require")
    assert (params.user, params.password, params.port, params.database) == ("postgres.abc", "p@ss", 6543, "postgres")
    assert params.sslmode == "require" and params.behind_pooler
    assert params.extra == {}


def test_socket_directory_url_selects_a_unix_socket():
    params = ConnectionParams.from_url("postgresql://postgres:@/innova?host=/tmp/pg")
    assert params.unix_sock == "/tmp/pg/.s.PGSQL.5432" and params.database == "innova"
    assert params.sslmode == "disable" and not params.behind_pooler


def test_remote_hosts_default_to_tls():
    assert ConnectionParams.from_url("postgresql://u@db.example.com/x").sslmode == "require"
    with pytest.raises(ValueError):
        ConnectionParams.from_url("mysql://u@h/x")


def test_each_statement_is_one_round_trip(db):
    db.fetch_value("SELECT 1")
    before = db.round_trips
    db.fetch_all("SELECT :a::int + :b::int AS s", {"a": 1, "b": 2})
    db.execute("CREATE TEMP TABLE t (a int)")
    assert db.round_trips - before == 2


def test_transaction_costs_statements_plus_commit(db):
    db.execute("CREATE TABLE rt (a int)")
    before = db.round_trips
    with db.transaction():
        db.execute("INSERT INTO rt VALUES (:a)", {"a": 1})
        db.execute("INSERT INTO rt VALUES (:a)", {"a": 2})
    assert db.round_trips - before == 3  # BEGIN rides with the first statement
    assert db.fetch_value("SELECT count(*) FROM rt") == 2


def test_rows_are_dicts_with_typed_values(db):
    row = db.fetch_one("SELECT 'x'::text AS s, 2.5::float8 AS f, ARRAY['a','b'] AS arr,"
                       " '{\"k\": 1}'::jsonb AS j, now() AS ts, NULL::text AS n")
    assert row["s"] == "x" and row["f"] == 2.5 and row["arr"] == ["a", "b"] and row["j"] == {"k": 1}
    assert row["ts"].tzinfo is not None and row["n"] is None
    assert db.fetch_one("SELECT 1 WHERE false") is None


def test_parameters_are_never_interpolated(db):
    evil = "x'); DROP TABLE users; --"
    assert db.fetch_value("SELECT :v::text", {"v": evil}) == evil
    assert db.fetch_value("SELECT to_regclass('users') IS NOT NULL")


def test_exception_rolls_back(db):
    db.execute("CREATE TABLE rb (a int PRIMARY KEY)")
    with pytest.raises(RuntimeError):
        with db.transaction():
            db.execute("INSERT INTO rb VALUES (1)")
            raise RuntimeError("abort")
    assert db.fetch_value("SELECT count(*) FROM rb") == 0
    assert not db.in_transaction


def test_integrity_errors_are_classified(db):
    db.execute("CREATE TABLE uq (a int PRIMARY KEY)")
    db.execute("INSERT INTO uq VALUES (1)")
    with pytest.raises(IntegrityViolation) as caught:
        db.execute("INSERT INTO uq VALUES (1)")
    assert caught.value.is_unique and caught.value.constraint == "uq_pkey"
    with pytest.raises(QueryError) as syntax:
        db.execute("SELEC 1")
    assert syntax.value.sqlstate == "42601"
    assert db.fetch_value("SELECT 1") == 1  # the connection stays usable


def test_nested_transaction_joins_the_outer_one(db):
    db.execute("CREATE TABLE nest (a int)")
    with pytest.raises(RuntimeError):
        with db.transaction():
            with db.transaction():
                db.execute("INSERT INTO nest VALUES (1)")
            raise RuntimeError("outer fails")
    assert db.fetch_value("SELECT count(*) FROM nest") == 0


def _terminate(admin: Database, victim: Database) -> None:
    pid = victim.fetch_value("SELECT pg_backend_pid()")
    assert admin.fetch_value("SELECT pg_terminate_backend(:pid)", {"pid": pid})


def test_reconnects_after_the_server_drops_the_connection(db, database_url):
    victim = Database.from_url(database_url)
    _terminate(db, victim)
    assert victim.fetch_value("SELECT 41 + 1") == 42
    pid = victim.fetch_value("SELECT pg_backend_pid()")
    with victim.transaction():  # also when the first statement of a transaction finds it dead
        db.fetch_value("SELECT pg_terminate_backend(:pid)", {"pid": pid})
        assert victim.fetch_value("SELECT 7") == 7


def test_connection_lost_mid_transaction_is_not_retried(db, database_url):
    victim = Database.from_url(database_url)
    victim.execute("CREATE TABLE mid (a int)")
    with pytest.raises(DatabaseUnavailableError):
        with victim.transaction():
            victim.execute("INSERT INTO mid VALUES (1)")
            _terminate(db, victim)
            victim.execute("INSERT INTO mid VALUES (2)")
    assert db.fetch_value("SELECT count(*) FROM mid") == 0
    assert victim.fetch_value("SELECT 1") == 1  # and the holder heals afterwards


def test_unreachable_server_is_unavailable_error():
    with pytest.raises(DatabaseUnavailableError):
        Database.from_url("postgresql://u@127.0.0.1:1/x?sslmode=disable").fetch_value("SELECT 1")


def test_app_reuses_one_connection_across_invocations_and_heals(gateway, db, tokens):
    headers = tokens.headers(role="teacher", sub="reuse")
    assert gateway.get("/auth/me", headers=headers).status == 200
    first = dependencies.database()
    pid = first.fetch_value("SELECT pg_backend_pid()")
    assert gateway.get("/auth/me", headers=headers).status == 200
    assert dependencies.database() is first
    assert first.fetch_value("SELECT pg_backend_pid()") == pid
    db.fetch_value("SELECT pg_terminate_backend(:p)", {"p": pid})
    assert gateway.get("/auth/me", headers=headers).status == 200
    assert first.fetch_value("SELECT pg_backend_pid()") != pid


def test_a_statement_text_is_parsed_once_and_reused_with_other_values(db):
    from chalicelib.store.database import _parsed_statement

    sql = "SELECT CAST(:a AS int) + CAST(:b AS int) AS total, :a AS a_again"
    _parsed_statement.cache_clear()
    assert db.fetch_one(sql, {"a": 1, "b": 2}) == {"total": 3, "a_again": 1}
    assert db.fetch_one(sql, {"b": 10, "a": 5}) == {"total": 15, "a_again": 5}
    assert _parsed_statement.cache_info().hits == 1
