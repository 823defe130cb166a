"""Serve the API function over real HTTP on a laptop, exactly as API Gateway would call it.

Each HTTP request becomes an API Gateway REST proxy event (``resource: /{proxy+}``, payload v1)
handed to ``app.app`` — the same entry point, routing and envelopes as in Lambda — unlike
``chalice local``, which routes by itself and answers unknown paths with 403.
"""
from __future__ import annotations

import base64
import logging
import threading
import uuid
from typing import Any, Callable
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

_TEXT_TYPES = ("application/json", "text/", "application/javascript", "application/x-www-form-urlencoded")


def wsgi_environ_to_event(environ: dict[str, Any]) -> dict[str, Any]:
    """A REST API proxy event for one WSGI request."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    content_type = headers.get("Content-Type", "")
    is_text = not raw or any(content_type.startswith(t) for t in _TEXT_TYPES)
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    method = environ["REQUEST_METHOD"].upper()
    path = environ.get("PATH_INFO") or "/"
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}", "httpMethod": method, "path": path,
            "requestId": str(uuid.uuid4()), "stage": "local",
            "identity": {"sourceIp": environ.get("REMOTE_ADDR", "127.0.0.1")},
        },
        "body": (raw.decode() if is_text else base64.b64encode(raw).decode()) if raw else None,
        "isBase64Encoded": bool(raw) and not is_text,
    }


def lambda_wsgi_app(handler: Callable[[dict, Any], dict], on_finish: Callable[[], None] | None = None):
    """A WSGI application that calls a Lambda proxy handler (``app.app``) for each request."""
    from http import HTTPStatus

    def application(environ, start_response):
        try:
            result = handler(wsgi_environ_to_event(environ), None)
        finally:
            if on_finish is not None:
                on_finish()
        status = int(result.get("statusCode", 500))
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((key, str(v)) for v in values)
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [payload]

    return application


class ApiServer:
    """A threaded HTTP server around the API function, startable and stoppable in-process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 3000):
        from werkzeug.serving import make_server

        import app as app_module
        from chalicelib import dependencies

        self._server = make_server(host, port, lambda_wsgi_app(app_module.app, dependencies.release_thread),
                                   threaded=True)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> "ApiServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="api-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread:
            self._thread.join(timeout=5)
