"""What the local HTTP fakes share.

- :class:`LocalHttpServer`: a threaded HTTP/1.1 server on 127.0.0.1 (a free port by default) that
  answers each request with its :meth:`~LocalHttpServer.respond` (the JWKS and Supabase Auth fakes).
- :class:`ScriptedHttpFake`: one that records every JSON ``POST`` and answers with scripted replies
  first, a subclass's default reply otherwise (the Anthropic and Gemini fakes).

Standard library only, so that the fakes stay importable anywhere (tests, the local runtime).
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One answer: HTTP status, a JSON body (or raw bytes), headers, an optional delay (client time-outs)
    and, for the Anthropic fake, a usage block overriding the computed one."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    usage: dict[str, int] | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # the parsed JSON body, None when it was not JSON


@dataclass(frozen=True)
class IncomingRequest:
    """A request as the server read it."""

    method: str
    path: str  # without the query string
    query: dict[str, str]  # the last value of each parameter
    headers: dict[str, str]  # names lower-cased
    raw: bytes

    def json(self, otherwise: Any = None) -> Any:
        """The body parsed as JSON; ``otherwise`` when it is empty or not JSON."""
        try:
            return json.loads(self.raw) if self.raw else otherwise
        except ValueError:
            return otherwise


class LocalHttpServer:
    """The server. Subclasses implement :meth:`respond`; a method not in :attr:`methods` gets a 501."""

    thread_name = "http-fake"
    methods: tuple[str, ...] = ("GET", "POST", "PUT", "DELETE")

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                if self.command not in server.methods:
                    self.send_error(501, f"Unsupported method ({self.command!r})")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                self._send(server.respond(IncomingRequest(
                    self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()}, raw)))

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server naming

            def _send(self, reply: Reply) -> None:
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (time-out tests)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://{host}:{self._httpd.server_port}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                         name=self.thread_name).start()

    def respond(self, request: IncomingRequest) -> Reply:
        raise NotImplementedError

    # -- lifecycle ------------------------------------------------------------------------------

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @classmethod
    def serve_from_command_line(cls, description: str) -> None:  # pragma: no cover - manual use
        """``python -m tests.fakes.<module> [--host H] [--port P]``: print the URL, serve until ^C."""
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=0)
        args = parser.parse_args()
        fake = cls(args.host, args.port)
        print(fake.url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            fake.stop()


class ScriptedHttpFake(LocalHttpServer):
    """Records JSON ``POST`` requests. Subclasses implement :meth:`answer` (and may override :meth:`record`)."""

    methods = ("POST",)

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.requests: list[RecordedRequest] = []
        self._scripted: deque[Reply] = deque()
        self._lock = threading.Lock()
        super().__init__(host, port)

    def respond(self, incoming: IncomingRequest) -> Reply:
        request = self.record(incoming.path, incoming.headers, incoming.json())
        with self._lock:
            self.requests.append(request)
        return self.answer(request)

    # -- for subclasses -----------------------------------------------------------------------

    def record(self, path: str, headers: dict[str, str], body: Any) -> RecordedRequest:
        return RecordedRequest("POST", path, headers, body)

    def answer(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    def next_scripted(self) -> Reply | None:
        with self._lock:
            return self._scripted.popleft() if self._scripted else None

    # -- scripting ------------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Serve ``replies`` (in order) to the next requests, before any default reply."""
        with self._lock:
            self._scripted.extend(replies)

    def reset(self) -> None:
        """Forget recorded requests and scripted replies."""
        with self._lock:
            self.requests.clear()
            self._scripted.clear()

    @staticmethod
    def raw(status: int, payload: bytes) -> Reply:
        """Bytes as they are (e.g. a body that is not JSON)."""
        return Reply(status, raw=payload)

    @staticmethod
    def delay(seconds: float, then: Reply | None = None) -> Reply:
        """Answer only after ``seconds`` (longer than the client's time-out: a time-out)."""
        reply = then or Reply(body=None)
        reply.delay_seconds = seconds
        return reply
