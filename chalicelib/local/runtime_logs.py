"""Where the local runtime's logs go, and how ``logs`` reads them back.

Every component of the runtime (API, event pump, the six functions) logs through the application's
JSON formatter (:mod:`chalicelib.logs`) into one file, ``<state dir>/logs/runtime.jsonl``: one JSON
object per line, each tagged with the ``function`` that emitted it and, inside an invocation, the
Lambda ``request_id`` (as CloudWatch would file it under the function's log group). The terminal
shows a short human-readable feed instead: HTTP requests, one line per invocation, warnings and
errors. The moto server writes its own request log to ``<state dir>/logs/moto.log``.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import logging.handlers
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

from chalicelib.logs import JsonFormatter

LOG_FILE_NAME = "runtime.jsonl"
MAX_LOG_BYTES = 20 * 1024 * 1024
LOG_BACKUPS = 3

# The function whose code runs on this thread. Threads start with an empty context, so the threads
# the HTTP server spawns per request see the default: every thread the runtime itself starts sets it.
_function: contextvars.ContextVar[str] = contextvars.ContextVar("function", default="api")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def set_thread_function(name: str) -> None:
    """Tag every log line of the current thread with ``name`` (for threads the runtime starts)."""
    _function.set(name)


@contextlib.contextmanager
def invocation_scope(function: str, request_id: str) -> Iterator[None]:
    """Lines logged inside carry the function and the invocation's request id."""
    function_token, request_token = _function.set(function), _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(request_token)
        _function.reset(function_token)


class InvocationTagFilter(logging.Filter):
    """Adds ``function`` and ``request_id`` to each record (unless the caller passed its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "function"):
            record.function = _function.get()
        request_id = _request_id.get()
        if request_id and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class ConsoleFeedFilter(logging.Filter):
    """What the terminal shows: HTTP access lines, invocation summaries, warnings and errors."""

    FEED_LOGGERS = ("werkzeug", "chalicelib.local")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return record.levelno >= logging.INFO and record.name.startswith(self.FEED_LOGGERS)


class ConsoleFormatter(logging.Formatter):
    """``12:00:01 telemetryWorker   invocation finished  records=3 failed=0 duration_ms=12``."""

    SHOWN_FIELDS = ("records", "failed", "attempt", "duration_ms", "error", "event_id")

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = "" if record.levelno == logging.INFO else f"{record.levelname} "
        fields = " ".join(f"{key}={getattr(record, key)}" for key in self.SHOWN_FIELDS if hasattr(record, key))
        line = f"{stamp} {getattr(record, 'function', '-'):<22} {level}{record.getMessage()}"
        if fields:
            line = f"{line}  {fields}"
        if record.exc_info and record.levelno >= logging.ERROR and not hasattr(record, "error"):
            line = f"{line}\n    {self.formatException(record.exc_info).splitlines()[-1]}"
        return line


def configure_runtime_logging(log_dir: Path, level: str = "info", console=None) -> Path:
    """Send every log line to ``<log_dir>/runtime.jsonl`` (JSON) and a short feed to the console.

    Replaces the root logger's handlers (the application's stdout JSON handler included): in the
    runtime, stdout belongs to the banner and the feed. Returns the log file's path.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_FILE_NAME
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    tagger = InvocationTagFilter()
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS,
                                                        encoding="utf-8")
    file_handler.setFormatter(JsonFormatter())
    file_handler.addFilter(tagger)
    console_handler = logging.StreamHandler(console or sys.stdout)
    console_handler.setFormatter(ConsoleFormatter())
    console_handler.addFilter(tagger)
    console_handler.addFilter(ConsoleFeedFilter())
    root.addHandler(file_handler)
    root.addHandler(console_handler)
    root.setLevel(_LEVELS.get(level.lower(), logging.INFO))
    for noisy in ("botocore", "urllib3", "boto3", "pgserver"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.INFO)  # the HTTP access lines of the feed
    return path


# -- reading the log back (``logs``) -----------------------------------------------------------------

LogFilter = Callable[[dict], bool]


def entry_filter(*, function: str | None = None, level: str | None = None, trace_id: str | None = None,
                 request_id: str | None = None) -> LogFilter:
    """A predicate over parsed log entries; every given criterion must hold."""
    minimum = _LEVELS.get(level.lower(), 0) if level else 0

    def accept(entry: dict) -> bool:
        if function and entry.get("function") != function:
            return False
        if minimum and _LEVELS.get(str(entry.get("level", "")).lower(), 0) < minimum:
            return False
        if trace_id and entry.get("trace_id") != trace_id:
            return False
        if request_id and entry.get("request_id") != request_id:
            return False
        return True

    return accept


def _parse(line: str) -> dict | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def read_entries(path: Path, *, last: int | None = None, accept: LogFilter = lambda _: True) -> list[dict]:
    """The last ``last`` matching entries of the file (all of them when ``last`` is None)."""
    if not path.exists():
        return []
    kept: deque[dict] = deque(maxlen=last)
    with path.open(encoding="utf-8", errors="replace") as stream:
        for line in stream:
            entry = _parse(line)
            if entry is not None and accept(entry):
                kept.append(entry)
    return list(kept)


def follow_entries(path: Path, *, accept: LogFilter = lambda _: True, from_start: bool = False,
                   poll_seconds: float = 0.25, should_stop: Callable[[], bool] = lambda: False) -> Iterator[dict]:
    """New matching entries as they are written (``tail -F``: survives rotation and a restart)."""
    stream = None
    identity = None
    partial = ""
    while not should_stop():
        if stream is None:
            try:
                stream = path.open(encoding="utf-8", errors="replace")
            except FileNotFoundError:
                time.sleep(poll_seconds)
                continue
            identity = os.fstat(stream.fileno()).st_ino
            if not from_start:
                stream.seek(0, os.SEEK_END)
            from_start = True  # a file that replaces this one is read from its beginning
        chunk = stream.readline()
        if chunk:
            partial += chunk
            if partial.endswith("\n"):
                entry = _parse(partial)
                partial = ""
                if entry is not None and accept(entry):
                    yield entry
            continue
        try:
            current = os.stat(path)
            replaced = current.st_ino != identity or current.st_size < stream.tell()
        except FileNotFoundError:
            replaced = True
        if replaced:
            stream.close()
            stream = None
            continue
        time.sleep(poll_seconds)
    if stream is not None:
        stream.close()


def format_entry(entry: dict, *, as_json: bool = False) -> str:
    """One entry for the terminal: the JSON line itself, or ``time function level message k=v``."""
    if as_json:
        return json.dumps(entry, ensure_ascii=False)
    skip = {"timestamp", "level", "logger", "message", "function", "exception"}
    stamp = str(entry.get("timestamp", ""))[11:23]
    fields = " ".join(f"{key}={value}" for key, value in entry.items()
                      if key not in skip and value not in (None, "none"))
    line = (f"{stamp} {entry.get('function', '-'):<22} {str(entry.get('level', '')).upper():7s} "
            f"{entry.get('message', '')}  {fields}").rstrip()
    if entry.get("exception"):
        line += "\n    " + str(entry["exception"]).replace("\n", "\n    ")
    return line
