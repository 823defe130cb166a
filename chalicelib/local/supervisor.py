"""The local runtime's child process: the moto server that stands in for SQS, S3 and SSM.

moto runs as a subprocess rather than a ``ThreadedMotoServer`` inside the runtime: the runtime
already runs the API's request threads and the event pump in one interpreter, and moto is pure
Python doing real work on every call (FIFO sends slow down as a queue fills, tooling-facts §4), so
in-process it would take the GIL from the API; a separate process also keeps moto's request log
out of the runtime's and lets the runtime notice, and report, if it dies. The child is tied to the
runtime: it is stopped on shutdown and, on Linux, receives SIGTERM if the runtime itself is killed.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

# moto's own entry point, with the per-request access log turned off: the pump long-polls every
# queue each second, which would fill the log with noise. Warnings and errors still get through.
_MOTO_BOOTSTRAP = (
    "import logging, sys; logging.getLogger('werkzeug').setLevel(logging.WARNING); "
    "from moto.server import main; main(['-H', sys.argv[1], '-p', sys.argv[2]])"
)


class StartupError(RuntimeError):
    """A part of the local runtime cannot start; the message says why and what to do."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: deliver SIGTERM to this process when the process that started it dies."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    # Own process group: the terminal's Ctrl-C reaches the runtime only, which then stops moto
    # after the event pump has finished with it.
    os.setpgrp()


class MotoServer:
    """A ``moto.server`` subprocess on ``host:port``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log_path: Path | None = None):
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self._process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 30.0) -> "MotoServer":
        """Start the server and wait until it answers; raises StartupError (with its log) if it cannot."""
        return self.launch().wait_until_ready(timeout)

    def launch(self) -> "MotoServer":
        """Start the process without waiting for it (call from the thread that will outlive it: the
        parent-death signal is tied to the thread that started the child)."""
        if not port_is_free(self.host, self.port):
            raise StartupError(f"port {self.port} on {self.host} is in use: choose another with --aws-port")
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _MOTO_BOOTSTRAP, self.host, str(self.port)],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        finally:
            if output is not subprocess.DEVNULL:
                output.close()
        return self

    def wait_until_ready(self, timeout: float = 30.0) -> "MotoServer":
        assert self._process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise StartupError(f"the moto server exited with status {self._process.returncode}"
                                   f"{self._log_tail()}")
            try:  # the port was free before the start, so whoever answers on it is this server
                socket.create_connection((self.host, self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise StartupError(f"the moto server did not answer within {timeout:.0f} s{self._log_tail()}")

    def _log_tail(self) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").splitlines()[-10:]
        return ":\n  " + "\n  ".join(lines) if lines else ""

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
