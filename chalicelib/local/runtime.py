"""The local runtime behind ``run``: all six functions live on one machine, with one command.

What it starts, in this order (and stops in reverse on Ctrl-C or SIGTERM):

1. PostgreSQL: the embedded server (``.local/pgdata``) unless ``DATABASE_URL`` is set; pending
   migrations; the demo data.
2. A moto server subprocess (:class:`~chalicelib.local.supervisor.MotoServer`) holding every queue,
   DLQ, redrive policy, bucket, CORS and lifecycle rule of ``chalicelib/resources.py`` (the
   definitions Pulumi deploys), plus the local event queues that stand in for Lambda's S3 and
   schedule triggers and the upload bucket's notification to its queue.
3. The environment pointing the application at them (``AWS_ENDPOINT_URL``, every ``SQS_*`` URL and
   ``S3_*`` bucket, dummy credentials): each function reads its settings as in Lambda.
4. With ``--fake-ai``, the local Anthropic and Gemini stubs of ``tests/fakes``.
5. The HTTP API (:class:`~chalicelib.local.http_server.ApiServer`: ``app.app`` called with API
   Gateway proxy events, the production entry path).
6. The event pump (:mod:`chalicelib.local.event_pump`) running the five event handlers.

Queues live in the moto server's memory: stopping the runtime drops queued messages (the database
persists). The runtime records its endpoints in ``<state dir>/runtime.json`` (removed on a clean
stop) for the ``queues``, ``redrive``, ``fire-schedule`` and ``logs`` commands, and logs to
``<state dir>/logs/`` (:mod:`chalicelib.local.runtime_logs`).
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.local.embedded_postgres import PROJECT_ROOT

if TYPE_CHECKING:
    from chalicelib.local.event_pump import EventPump
    from chalicelib.local.http_server import ApiServer
    from chalicelib.local.supervisor import MotoServer

log = logging.getLogger(__name__)

DEFAULT_STATE_DIR = PROJECT_ROOT / ".local"
STATE_FILE_NAME = "runtime.json"
DEFAULT_AWS_PORT = 5055
DEFAULT_VISIBILITY_TIMEOUT = 3
"""Seconds before a failed record is delivered again (the deployed queues use minutes): a poison
message with maxReceiveCount 3 reaches its DLQ in about ten seconds."""


@dataclass
class RuntimeOptions:
    host: str = "127.0.0.1"
    port: int = 3000
    aws_port: int = DEFAULT_AWS_PORT  # 0: any free port
    visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT
    max_batching_window: float | None = None  # None: each trigger's own window (60 s for the LLM worker)
    schedules: bool = True  # fire rate(...) schedules on time
    fake_ai: bool = False
    state_dir: Path = DEFAULT_STATE_DIR
    log_level: str = "info"


@dataclass
class RuntimeState:
    """What a running runtime publishes to the commands that talk to it (``runtime.json``)."""

    pid: int
    started_at: str
    stage: str
    aws_endpoint: str
    api_url: str
    log_file: str
    visibility_timeout: int
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)
    bucket_names: dict[str, str] = field(default_factory=dict)
    event_queues: dict[str, str] = field(default_factory=dict)
    moto_pid: int | None = None

    def save(self, state_dir: Path) -> Path:
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / STATE_FILE_NAME
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2))
        temporary.replace(path)  # readers never see half a file
        return path

    @classmethod
    def load(cls, state_dir: Path) -> "RuntimeState | None":
        """The state of the runtime started from ``state_dir``; None when none is running."""
        path = state_dir / STATE_FILE_NAME
        try:
            state = cls(**json.loads(path.read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None
        return state if _process_exists(state.pid) else None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def local_environment(endpoint: str, stage: str, provisioned) -> dict[str, str]:
    """The variables that point every function at the local AWS endpoint and its resources."""
    from chalicelib.resources import BUCKETS, QUEUES, REGION

    env = {
        "STAGE": stage,
        "AWS_ENDPOINT_URL": endpoint,
        # Dummy credentials: the local runtime never signs a request with a real account's keys.
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for queue in QUEUES.values():
        env[queue.url_setting] = provisioned.queue_urls[queue.key]
    for bucket in BUCKETS.values():
        env[bucket.setting] = provisioned.bucket_names[bucket.key]
    return env


def ai_provider_status(environ: dict[str, str] | None = None) -> list[str]:
    """One line per AI provider: configured, or what happens to the work that needs it."""
    environ = os.environ if environ is None else environ
    lines = []
    for variable, base_url, workers, fallout in (
        ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "llmClassifierWorker and the OCR fallback",
         "Claude unconfigured: llmClassifierWorker fails its messages, which reach the llm-classify DLQ "
         "after 3 receives"),
        ("GEMINI_API_KEY", "GEMINI_BASE_URL", "ocrWorker",
         "Gemini unconfigured: ocrWorker uses Claude alone, or records each upload's OCR job as failed "
         "(provider_unconfigured) when neither key is set"),
    ):
        if environ.get(variable):
            where = (f"the local stub at {environ[base_url]}" if environ.get(base_url, "").startswith("http://127.")
                     else environ.get(base_url) or "the provider's API")
            lines.append(f"{variable} set → {workers} call {where}")
        else:
            lines.append(f"{variable} unset → {fallout}")
    return lines


class LocalRuntime:
    """Starts and stops everything of the module docstring; :func:`run_local` adds the terminal."""

    def __init__(self, options: RuntimeOptions):
        self.options = options
        self.state: RuntimeState | None = None
        self.migrations_applied: list[str] = []
        self.database_origin = "DATABASE_URL"
        self._pg_server: Any = None
        self._moto: MotoServer | None = None
        self._api: ApiServer | None = None
        self._pump: EventPump | None = None
        self._fakes: list[Any] = []  # the AI stubs (``--fake-ai``)
        self._stopped = False

    @property
    def log_dir(self) -> Path:
        return self.options.state_dir / "logs"

    def start(self) -> RuntimeState:
        """Start every part; on failure, stop what was started and re-raise."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> RuntimeState:
        from chalicelib import cli, dependencies
        from chalicelib.local.runtime_logs import configure_runtime_logging, set_thread_function
        from chalicelib.local.supervisor import MotoServer, StartupError, port_is_free
        from chalicelib.store.demo_seed import seed_demo_data
        from chalicelib.store.migrate import apply_migrations

        options = self.options
        running = RuntimeState.load(options.state_dir)
        if running is not None:
            raise StartupError(f"a local runtime is already running (pid {running.pid}, API {running.api_url}); "
                               "stop it first, or give this one its own --state-dir")
        for port, option in ((options.port, "--port"), (options.aws_port, "--aws-port")):
            if port and not port_is_free(options.host, port):
                raise StartupError(f"port {port} on {options.host} is in use: choose another with {option}")
        stage = os.environ.get("STAGE") or "local"
        os.environ["STAGE"] = stage
        import app as app_module  # configures the app's logging first, which the next line takes over

        log_file = configure_runtime_logging(self.log_dir, options.log_level)
        set_thread_function("runtime")

        # moto boots and is provisioned while the database is migrated and seeded.
        self._moto = MotoServer(options.host, options.aws_port, self.log_dir / "moto.log").launch()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="provision") as background:
            aws = background.submit(self._provision_aws, stage)
            self._pg_server = cli._ensure_database_url()
            self.database_origin = "embedded PostgreSQL" if self._pg_server else "DATABASE_URL"
            db = cli._database()
            try:
                self.migrations_applied = apply_migrations(db)
                seed_demo_data(db)
            finally:
                db.close()
            log.info("database ready", extra={"migrations_applied": len(self.migrations_applied)})
            provisioned = aws.result()
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(local_environment(self._moto.endpoint, stage, provisioned))
        if options.fake_ai:
            self._start_fake_ai()
        dependencies.reset()  # settings and clients are re-read from the environment set above

        from chalicelib.local.event_pump import EventPump, app_handlers
        from chalicelib.local.http_server import ApiServer

        self._api = ApiServer(options.host, options.port).start()
        self._pump = EventPump(app_handlers(app_module), provisioned, endpoint=self._moto.endpoint, stage=stage,
                               max_batching_window_seconds=options.max_batching_window,
                               schedules=options.schedules).start()
        self.state = RuntimeState(
            pid=os.getpid(), started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), stage=stage,
            aws_endpoint=self._moto.endpoint, api_url=self._api.url, log_file=str(log_file),
            visibility_timeout=options.visibility_timeout, queue_urls=provisioned.queue_urls,
            queue_arns=provisioned.queue_arns, bucket_names=provisioned.bucket_names,
            event_queues=provisioned.event_queues, moto_pid=self._moto.pid)
        self.state.save(options.state_dir)
        threading.Thread(target=self._provision_killswitches, name="killswitches", daemon=True).start()
        log.info("local runtime started", extra={"api_url": self._api.url, "aws_endpoint": self._moto.endpoint})
        return self.state

    def _provision_aws(self, stage: str):
        from chalicelib.local.aws_provisioning import provision
        from chalicelib.local.runtime_logs import set_thread_function

        set_thread_function("runtime")
        self._moto.wait_until_ready()
        provisioned = provision(self._moto.endpoint, stage, visibility_timeout_override=self.options.visibility_timeout,
                                local_triggers=True)
        log.info("AWS resources provisioned", extra={"endpoint": self._moto.endpoint,
                                                      "queues": len(provisioned.queue_urls)})
        return provisioned

    def _provision_killswitches(self) -> None:
        from chalicelib.local.aws_provisioning import provision_killswitches
        from chalicelib.local.runtime_logs import set_thread_function

        set_thread_function("runtime")
        try:
            provision_killswitches(self._moto.endpoint)
        except Exception:  # noqa: BLE001 - missing switches read as "not paused" anyway
            if not self._stopped:  # a stop right after the start cuts this short: not worth a warning
                log.warning("could not create the killswitch parameters", exc_info=True)

    def _start_fake_ai(self) -> None:
        """Start the Anthropic and Gemini stubs of ``tests/fakes`` and point the SDKs at them."""
        from chalicelib.local.supervisor import StartupError

        try:
            from tests.fakes.anthropic_server import AnthropicFake
            from tests.fakes.gemini_server import GeminiFake
        except ImportError as exc:
            raise StartupError(f"--fake-ai needs the AI stubs in tests/fakes ({exc})") from exc
        anthropic, gemini = AnthropicFake(self.options.host), GeminiFake(self.options.host)
        self._fakes = [anthropic, gemini]
        os.environ.update({"ANTHROPIC_API_KEY": "sk-ant-local-fake", "ANTHROPIC_BASE_URL": anthropic.url,
                           "GEMINI_API_KEY": "AIza-local-fake", "GEMINI_BASE_URL": gemini.url})
        log.info("AI stubs started", extra={"anthropic_url": anthropic.url, "gemini_url": gemini.url})

    def problem(self) -> str | None:
        """Why the runtime can no longer work (a part died), or None."""
        if self._moto is not None and not self._moto.alive:
            return "the moto server exited: queues and buckets are gone"
        return None

    def stop(self) -> None:
        """Stop in reverse order: pump (letting running invocations finish), API, stubs, moto, database."""
        if self._stopped:
            return
        self._stopped = True
        from chalicelib import dependencies

        if self._pump is not None:
            self._pump.stop()
        if self._api is not None:
            self._api.stop()
        for fake in self._fakes:
            fake.stop()
        if self._moto is not None:
            self._moto.stop()
        state_file = self.options.state_dir / STATE_FILE_NAME
        if self.state is not None and state_file.exists():
            state_file.unlink()
        dependencies.reset()  # closes every database connection before the server goes away
        if self._pg_server is not None:
            self._pg_server.cleanup()
            self._pg_server = None
        log.info("local runtime stopped")


def _display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _banner(runtime: LocalRuntime) -> str:
    from chalicelib.local.demo_tokens import demo_tokens
    from chalicelib.resources import FUNCTIONS, QUEUES, S3Trigger, ScheduleTrigger, SqsTrigger

    state, options = runtime.state, runtime.options
    assert state is not None
    log_file = _display_path(Path(state.log_file))
    lines = [
        f"\nInnova Serverless is running locally (stage {state.stage}; database: {runtime.database_origin}, "
        f"{len(runtime.migrations_applied)} new migration(s)).",
        f"  API          {state.api_url}",
        f"  Swagger UI   {state.api_url}/docs",
        f"  AWS (moto)   {state.aws_endpoint}   every queue, DLQ and bucket; failed records retry after "
        f"{state.visibility_timeout} s",
        "  Functions",
    ]
    for function in FUNCTIONS.values():
        trigger = function.trigger
        if isinstance(trigger, SqsTrigger):
            window = trigger.max_batching_window_seconds
            if options.max_batching_window is not None:
                window = min(window, options.max_batching_window)
            source = f"SQS {QUEUES[trigger.queue].name(state.stage)} (batch {trigger.batch_size}, window {window:g} s)"
        elif isinstance(trigger, S3Trigger):
            source = f"S3 {state.bucket_names[trigger.bucket]} {', '.join(trigger.events)}"
        elif isinstance(trigger, ScheduleTrigger):
            source = f"schedule {trigger.expression}" + ("" if options.schedules else " (clock off)")
        else:
            source = "HTTP"
        lines.append(f"    {function.key:24s} ← {source}")
    lines.append("  AI providers")
    lines.extend(f"    {line}" for line in ai_provider_status())
    lines.append(f"  Logs         {log_file}  (JSON lines; moto: {_display_path(runtime.log_dir / 'moto.log')})")
    lines.append("  Commands     python3 dev.py cli queues | redrive <queue> | fire-schedule | logs -f")
    lines.append("  Demo tokens  (Authorization: Bearer <token>)")
    for role, token in demo_tokens(os.environ["SUPABASE_JWT_SECRET"]).items():
        lines.append(f"    {role:8s} {token}")
    lines.append(f"\nTry: curl -H 'Authorization: Bearer <student token>' {state.api_url}/auth/me\n"
                 "Ctrl-C stops.\n")
    return "\n".join(lines)


def run_local(options: RuntimeOptions) -> int:
    """Run until Ctrl-C or SIGTERM (or until a part dies: exit status 1)."""
    stop = threading.Event()
    signals_seen = []

    def on_signal(signum, _frame) -> None:
        signals_seen.append(signum)
        if len(signals_seen) > 1:  # a second Ctrl-C: stop waiting for running invocations
            os._exit(130)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    from chalicelib.local.supervisor import StartupError

    runtime = LocalRuntime(options)
    status = 0
    try:
        try:
            runtime.start()
        except StartupError as exc:
            print(f"cannot start the local runtime: {exc}", file=sys.stderr)
            return 1
        print(_banner(runtime), flush=True)
        while not stop.wait(0.5):
            problem = runtime.problem()
            if problem:
                log.error("stopping: %s", problem)
                status = 1
                break
        if signals_seen:
            print("\nstopping (running invocations finish first; Ctrl-C again to quit at once) …", flush=True)
    finally:
        runtime.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
