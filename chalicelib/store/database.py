"""One pg8000 connection per container, opened lazily and reused across warm invocations (infra.md §8).

Safe behind a transaction pooler (Supabase :6543): every statement goes through the *unnamed*
extended-protocol path with parameters (no named prepared statements, no session ``SET``s), one
explicit transaction per unit of work, never left open between invocations.

Round trips matter more than CPU here: pg8000's own ``run()`` spends three round trips on every
parametrised statement (parse, describe, execute). :meth:`Database.fetch_all` pipelines
Parse/Bind/Describe/Execute/Sync in one write and reads the answers once, so each statement costs a
single round trip; ``BEGIN`` is sent in the same write as the first statement of a transaction.
``round_trips`` counts them (the benchmarks report it).

SQL uses pg8000's ``:name`` placeholders; values always travel as parameters.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pg8000.native
from pg8000 import core as _pg
from pg8000.converters import make_params
from pg8000.exceptions import DatabaseError, InterfaceError
from pg8000.native import to_statement

log = logging.getLogger(__name__)

# Query parameters that instructed the replaced ORM, not libpq/pg8000 (infra.md §8).
_IGNORED_URL_PARAMS = {"pgbouncer", "connection_limit", "schema", "pool_timeout", "connect_timeout"}


class DatabaseUnavailableError(RuntimeError):
    """The server could not be reached or dropped the connection mid-transaction (transient)."""


class QueryError(RuntimeError):
    """A statement failed in the server; ``sqlstate`` and ``constraint`` say why."""

    def __init__(self, message: str, sqlstate: str, constraint: str | None, detail: str | None):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.constraint = constraint
        self.detail = detail


class IntegrityViolation(QueryError):
    """A unique (23505), foreign-key (23503), not-null (23502) or check (23514) violation."""

    @property
    def is_unique(self) -> bool:
        return self.sqlstate == "23505"

    @property
    def is_foreign_key(self) -> bool:
        return self.sqlstate == "23503"


@dataclass(frozen=True)
class ConnectionParams:
    """What pg8000 needs to connect, parsed from a libpq-style URL."""

    user: str
    database: str
    host: str = "localhost"
    port: int = 5432
    password: str | None = None
    unix_sock: str | None = None
    sslmode: str = "disable"
    behind_pooler: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_url(cls, url: str) -> "ConnectionParams":
        """Parse ``postgresql://user:pass@host:port/db?sslmode=…``.

        ``host=/dir`` in the query selects a unix socket (libpq convention, used by the embedded
        server); ``pgbouncer``/``connection_limit`` are accepted and stripped.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ValueError("DATABASE_URL must start with postgresql://")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        behind_pooler = query.get("pgbouncer", "").lower() == "true" or parts.port == 6543
        host = parts.hostname or "localhost"
        port = parts.port or 5432
        unix_sock = None
        socket_dir = query.pop("host", None)
        if socket_dir and socket_dir.startswith("/"):
            unix_sock = f"{socket_dir.rstrip('/')}/.s.PGSQL.{port}"
        elif socket_dir:
            host = socket_dir
        sslmode = query.pop("sslmode", "disable" if unix_sock or host in ("localhost", "127.0.0.1") else "require")
        for name in _IGNORED_URL_PARAMS:
            query.pop(name, None)
        return cls(
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password) if parts.password is not None else None,
            host=host,
            port=port,
            database=unquote(parts.path.lstrip("/")) or "postgres",
            unix_sock=unix_sock,
            sslmode=sslmode,
            behind_pooler=behind_pooler,
            extra=query,
        )


@functools.cache
def _ssl_context(sslmode: str) -> ssl.SSLContext | bool:
    """One SSL context per process: building it loads the CA bundle (~15 ms)."""
    if sslmode in ("disable", "allow", "prefer"):
        return False
    context = ssl.create_default_context()
    if sslmode in ("require", "verify-ca"):
        # libpq semantics: "require" encrypts without verifying the server certificate.
        context.check_hostname = False
        if sslmode == "require":
            context.verify_mode = ssl.CERT_NONE
    return context


def _translate(error: DatabaseError) -> QueryError:
    info = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    sqlstate = info.get("C", "")
    message = info.get("M", str(error))
    cls = IntegrityViolation if sqlstate.startswith("23") else QueryError
    return cls(message, sqlstate, info.get("n"), info.get("D"))


@functools.lru_cache(maxsize=1024)
def _parsed_statement(sql: str) -> tuple[str, Any]:
    """``:name`` SQL → (``$n`` SQL, values builder). pg8000 parses the text character by character
    in Python (milliseconds for a long statement); the application's SQL texts are constants."""
    return to_statement(sql)


class Database:
    """A lazily opened, self-healing pg8000 connection with explicit transactions.

    Not thread-safe: a Lambda container serves one invocation at a time. Threaded callers (the
    local HTTP server, tests) give each thread its own instance.
    """

    def __init__(self, params: ConnectionParams, *, statement_timeout_ms: int = 10_000,
                 application_name: str = "innova"):
        self.params = params
        self.statement_timeout_ms = statement_timeout_ms
        self.application_name = application_name
        self.round_trips = 0
        self._con: pg8000.native.Connection | None = None
        self._in_transaction = False
        self._pending_begin = False

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "Database":
        return cls(ConnectionParams.from_url(url), **kwargs)

    # -- connection -------------------------------------------------------------------------

    def _connect(self) -> pg8000.native.Connection:
        p = self.params
        startup: dict[str, str] = {}
        if not p.behind_pooler:
            # A pooler in transaction mode rejects or leaks startup options; there the timeout is
            # applied per transaction with SET LOCAL instead.
            startup["options"] = f"-c statement_timeout={self.statement_timeout_ms}"
        try:
            con = pg8000.native.Connection(
                user=p.user, password=p.password, host=p.host, port=p.port, database=p.database,
                unix_sock=p.unix_sock, ssl_context=_ssl_context(p.sslmode), timeout=30,
                application_name=self.application_name, startup_params=startup or None,
            )
        except (InterfaceError, OSError, DatabaseError) as exc:
            # DatabaseError here is the server refusing the session (unknown database, auth).
            raise DatabaseUnavailableError(f"cannot connect to PostgreSQL: {exc}") from exc
        self.round_trips += 1
        return con

    @property
    def connection(self) -> pg8000.native.Connection:
        if self._con is None:
            self._con = self._connect()
        return self._con

    def close(self) -> None:
        """Close the connection (the next statement reopens it)."""
        con, self._con = self._con, None
        self._in_transaction = self._pending_begin = False
        if con is not None:
            with contextlib.suppress(Exception):
                con.close()

    # -- statements -------------------------------------------------------------------------

    def fetch_all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one statement and return its rows as dicts (empty for statements without rows)."""
        context = self._run(sql, params or {})
        if not context.rows:
            return []
        names = [c["name"] for c in context.columns]
        return [dict(zip(names, row)) for row in context.rows]

    def fetch_one(self, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        rows = self.fetch_all(sql, params)
        return rows[0] if rows else None

    def fetch_value(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        context = self._run(sql, params or {})
        return context.rows[0][0] if context.rows else None

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run one statement; returns the affected row count (-1 when not applicable)."""
        return self._run(sql, params or {}).row_count

    def execute_script(self, sql: str) -> None:
        """Run parameterless SQL that may hold several statements (migrations) — simple protocol."""

        def action(con: pg8000.native.Connection, begin: str | None) -> None:
            if begin:
                con.execute_simple(begin)
                self.round_trips += 1
            con.execute_simple(sql)
            self.round_trips += 1

        self._with_reconnect(action)

    def _run(self, sql: str, params: Mapping[str, Any]) -> _pg.Context:
        statement, make_values = _parsed_statement(sql)
        values = make_values(params)
        return self._with_reconnect(lambda con, begin: self._pipelined(con, begin, statement, values))

    def _with_reconnect(self, action):
        # Safe to retry only when nothing of the current unit of work has reached the server.
        retryable = self._pending_begin or not self._in_transaction
        try:
            return self._attempt(action)
        except (InterfaceError, OSError) as exc:
            self.close_broken()
            if not retryable:
                self._in_transaction = False
                raise DatabaseUnavailableError(f"connection lost inside a transaction: {exc}") from exc
            log.warning("database connection lost, reconnecting: %s", exc)
            try:
                return self._attempt(action)
            except (InterfaceError, OSError) as exc2:
                self.close_broken()
                raise DatabaseUnavailableError(f"database unavailable: {exc2}") from exc2

    def _attempt(self, action):
        con = self.connection
        begin = self._begin_statement() if self._pending_begin else None
        try:
            result = action(con, begin)
        except DatabaseError as exc:
            self._pending_begin = False
            raise _translate(exc) from exc
        self._pending_begin = False
        return result

    def close_broken(self) -> None:
        """Drop a connection whose socket failed (no TERMINATE: the peer is gone)."""
        con, self._con = self._con, None
        if con is not None:
            with contextlib.suppress(Exception):
                con._usock.close()

    def _begin_statement(self) -> str:
        begin = "BEGIN"
        if self.params.behind_pooler:
            begin += f"; SET LOCAL statement_timeout = {int(self.statement_timeout_ms)}"
        return begin

    def _pipelined(self, con: pg8000.native.Connection, begin: str | None, statement: str,
                   values: tuple) -> _pg.Context:
        """[BEGIN,] Parse, Bind, Describe portal, Execute, Sync in one write; one read of the answers."""
        begin_context = None
        if begin:
            con.send_QUERY(begin)
            begin_context = _pg.Context(begin)
        context = _pg.Context(statement)
        con.send_PARSE(_pg.NULL_BYTE, statement, ())
        con.send_BIND(_pg.NULL_BYTE, make_params(con.py_types, values))
        con._send_message(_pg.DESCRIBE, _pg.PORTAL + _pg.NULL_BYTE)
        con.send_EXECUTE()
        _pg._write(con._sock, _pg.SYNC_MSG)
        _pg._flush(con._sock)
        self.round_trips += 1
        begin_error = None
        if begin_context is not None:
            try:
                con.handle_messages(begin_context)
            except DatabaseError as exc:
                begin_error = exc  # still read the statement's answers to stay in sync
        try:
            con.handle_messages(context)
        finally:
            if begin_error is not None:
                raise begin_error
        return context

    # -- transactions -----------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Database"]:
        """One unit of work: commit on success, roll back on any exception.

        A nested ``transaction()`` joins the outer one (repositories never commit). ``BEGIN`` is
        deferred to the first statement, so an empty transaction costs nothing.
        """
        if self._in_transaction:
            yield self
            return
        self._in_transaction = True
        self._pending_begin = True
        try:
            yield self
        except BaseException:
            self._finish("ROLLBACK")
            raise
        else:
            self._finish("COMMIT")

    def _finish(self, command: str) -> None:
        began = not self._pending_begin
        self._in_transaction = self._pending_begin = False
        if not began or self._con is None:
            return
        try:
            self._con.execute_simple(command)
            self.round_trips += 1
        except DatabaseError as exc:
            raise _translate(exc) from exc
        except (InterfaceError, OSError) as exc:
            self.close_broken()
            if command == "COMMIT":
                raise DatabaseUnavailableError(f"connection lost at commit: {exc}") from exc

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction
