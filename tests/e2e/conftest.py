"""The local runtime started the way a developer starts it (``python -m chalicelib.cli run``), as a
subprocess on free ports, on a fresh migrated database of the test server, once per module.

The runtime seeds the demo data into that database; tests act through its HTTP API, its moto
server and its commands, and read the results from the database and the runtime's logs.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import io
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib.local.embedded_postgres import PROJECT_ROOT
from chalicelib.local.runtime import RuntimeState
from chalicelib.local.supervisor import free_port
from chalicelib.store.database import Database
from tests.conftest import TEST_JWT_SECRET, _with_database
from tests.polling import wait_until

STARTUP_TIMEOUT = 120.0
BANNER_END = "Ctrl-C stops."  # the last line of the start-up banner (chalicelib/local/runtime.py)


def handler_implemented(module: str) -> bool:
    """False while ``chalicelib/workers/<module>.py`` is still the placeholder raising NotImplementedError."""
    handle = importlib.import_module(f"chalicelib.workers.{module}").handle
    return "NotImplementedError" not in inspect.getsource(handle)


def route_exists(method: str, path: str) -> bool:
    import app as app_module

    return method in getattr(app_module.app.routes.get(path), "keys", lambda: ())()


def ai_fakes_available() -> bool:
    return all(importlib.util.find_spec(f"tests.fakes.{name}") is not None
               for name in ("anthropic_server", "gemini_server"))


@dataclass
class HttpAnswer:
    status: int
    body: Any


@dataclass
class RunningRuntime:
    process: subprocess.Popen
    state: RuntimeState
    state_dir: Path
    output: Path
    db: Database
    fake_ai: bool

    def request(self, method: str, path: str, *, role: str | None = None, body: Any = None) -> HttpAnswer:
        from chalicelib.local.demo_tokens import demo_tokens

        headers = {"Content-Type": "application/json"}
        if role:
            headers["Authorization"] = f"Bearer {demo_tokens(TEST_JWT_SECRET)[role]}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.state.api_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return HttpAnswer(response.status, json.loads(response.read() or b"null"))
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, json.loads(error.read() or b"null"))

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.state.aws_endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def cli(self, *argv: str) -> tuple[int, str]:
        """A command run against this runtime (in this process), with its printed output."""
        from chalicelib import cli

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main([*argv, "--state-dir", str(self.state_dir)])
        return status, out.getvalue()

    def log_entries(self) -> list[dict]:
        from chalicelib.local.runtime_logs import read_entries

        return read_entries(Path(self.state.log_file))

    def console(self) -> str:
        return self.output.read_text(errors="replace")

    def logs_of(self, *functions: str, last: int = 30) -> str:
        """The last log lines of these functions, plus every warning and error (failure details)."""
        entries = [e for e in self.log_entries()
                   if e.get("function") in functions or e.get("level") in ("warning", "error")]
        return "\n".join(json.dumps(e, ensure_ascii=False)[:2000] for e in entries[-last:])


def start_runtime(database_url: str, state_dir: Path, *, fake_ai: bool) -> RunningRuntime:
    """``python -m chalicelib.cli run`` on free ports, failing retried records after 1 s, LLM batching
    window capped at 1 s, the hourly clock off (``fire-schedule`` fires it)."""
    output = state_dir / "console.txt"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": database_url,
           "SUPABASE_JWT_SECRET": TEST_JWT_SECRET, "STAGE": "e2e", "LOG_LEVEL": "info"}
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GEMINI_API_KEY", "GEMINI_BASE_URL", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "chalicelib.cli", "run", "--port", str(free_port()), "--aws-port", "0",
               "--state-dir", str(state_dir), "--visibility-timeout", "1", "--max-batching-window", "1",
               "--no-schedule", *(["--fake-ai"] if fake_ai else [])]
    with output.open("wb") as console:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=console, stderr=subprocess.STDOUT)

    def started():
        if process.poll() is not None:
            pytest.fail(f"the runtime exited with {process.returncode}:\n{output.read_text(errors='replace')}")
        state = RuntimeState.load(state_dir)
        # The state file is written before the banner is printed: wait for both, so that tests reading
        # the console (the AI provider lines) see the whole banner.
        printed = BANNER_END in output.read_text(errors="replace")
        return state if state and state.pid == process.pid and printed else None

    state = wait_until(started, STARTUP_TIMEOUT, what="runtime start-up")
    return RunningRuntime(process, state, state_dir, output, Database.from_url(database_url), fake_ai)


def stop_runtime(runtime: RunningRuntime) -> None:
    runtime.db.close()
    if runtime.process.poll() is None:
        runtime.process.send_signal(signal.SIGTERM)
        try:
            runtime.process.wait(60)
        except subprocess.TimeoutExpired:
            runtime.process.kill()
            runtime.process.wait()


@pytest.fixture(scope="module")
def e2e_database_url(postgres_server_url: str, database_pool) -> Iterator[str]:
    name = database_pool.take()
    yield _with_database(postgres_server_url, name)
    database_pool.give_back(name)


@pytest.fixture(scope="module")
def local_runtime(e2e_database_url: str, tmp_path_factory) -> Iterator[RunningRuntime]:
    """The runtime of the module's flows, with the local AI stubs when they exist (``--fake-ai``)."""
    runtime = start_runtime(e2e_database_url, tmp_path_factory.mktemp("runtime"), fake_ai=ai_fakes_available())
    yield runtime
    stop_runtime(runtime)


@pytest.fixture
def runtime_without_ai_keys(postgres_server_url: str, database_pool, tmp_path) -> Iterator:
    """``runtime_without_ai_keys()`` starts a second runtime, on a database of its own, with no AI
    key at all (a factory, so that a test skips before paying for the start)."""
    started: list[tuple[RunningRuntime, str]] = []

    def start() -> RunningRuntime:
        name = database_pool.take()
        runtime = start_runtime(_with_database(postgres_server_url, name), tmp_path, fake_ai=False)
        started.append((runtime, name))
        return runtime

    yield start
    for runtime, name in started:
        stop_runtime(runtime)
        database_pool.give_back(name)
