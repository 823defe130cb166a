"""Shared fixtures: a real PostgreSQL, a real moto server, tokens and the Chalice test client.

- PostgreSQL: the embedded server (``pgserver``) started once per session, or ``DATABASE_URL``
  when set. Migrations are applied once to a template database; every test that asks for
  ``database_url``/``db``/``api`` gets its own fresh copy of it (``CREATE DATABASE … TEMPLATE``,
  ~50 ms), so tests are isolated even when the code under test commits, opens several connections
  or runs threads.
- AWS: one moto server on 127.0.0.1 per session; ``aws`` creates every queue and bucket of
  ``chalicelib/resources.py`` under a unique stage name per test and points the settings at them.
- Tokens: HS256, signed with the test secret, like the local runner's demo tokens.
"""
from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import jwt
import pytest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.pop("AWS_PROFILE", None)

import logging  # noqa: E402

logging.getLogger("pgserver").setLevel(logging.WARNING)  # start/stop chatter at session end

from chalicelib import dependencies  # noqa: E402
from chalicelib.store.database import Database  # noqa: E402
from chalicelib.store.migrate import apply_migrations  # noqa: E402

# Fixtures shared by several test folders that live in modules of their own.
pytest_plugins = ["tests.fakes.ai_fixtures"]

TEST_JWT_SECRET = "test-secret-for-hs256-tokens-only-0123456789"
TEMPLATE_DB = "innova_test_template"
_counter = itertools.count()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of the server's maintenance database (embedded unless DATABASE_URL is set)."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    from chalicelib.local.embedded_postgres import PROJECT_ROOT, start_embedded_postgres

    # A data directory of its own, tuned for throwaway databases: no fsync (a crash only loses
    # test data), which makes CREATE DATABASE … TEMPLATE several times faster on a busy disk.
    server = start_embedded_postgres(PROJECT_ROOT / ".local" / "pgdata-test")
    url = server.get_uri("postgres")
    admin = Database.from_url(url)
    for setting in ("fsync", "synchronous_commit", "full_page_writes"):
        admin.execute_script(f"ALTER SYSTEM SET {setting} = off")
    admin.execute_script("SELECT pg_reload_conf()")
    admin.close()
    yield url
    server.cleanup()


@pytest.fixture(scope="session")
def template_database(postgres_server_url: str) -> str:
    """A database with every migration applied, copied for each test."""
    admin = Database.from_url(postgres_server_url)
    for row in admin.fetch_all("SELECT datname FROM pg_database WHERE datname LIKE 'innova_test_%'"):
        admin.execute_script(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    admin.execute_script(f'CREATE DATABASE "{TEMPLATE_DB}"')
    template = Database.from_url(_with_database(postgres_server_url, TEMPLATE_DB))
    apply_migrations(template)
    template.close()
    admin.close()
    return TEMPLATE_DB


class DatabasePool:
    """Copies of the template database made ahead of time by a background thread.

    ``CREATE DATABASE … TEMPLATE`` costs tens of milliseconds on an idle machine and up to a
    second on a busy one; preparing the next copies while a test runs hides that cost, and drops
    happen in the background too.
    """

    def __init__(self, server_url: str, template: str, ahead: int = 2):
        import queue
        import threading

        self.server_url, self.template = server_url, template
        self._ready: queue.Queue[str] = queue.Queue(maxsize=ahead)
        self._dropping: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._fill, daemon=True, name="db-pool-fill"),
                         threading.Thread(target=self._drop, daemon=True, name="db-pool-drop")]
        for thread in self._threads:
            thread.start()

    def _fill(self) -> None:
        import queue

        admin = Database.from_url(self.server_url)
        while not self._stop.is_set():
            name = f"innova_test_{os.getpid()}_{next(_counter)}"
            admin.execute_script(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            while not self._stop.is_set():
                try:
                    self._ready.put(name, timeout=0.2)
                    break
                except queue.Full:
                    continue
        admin.close()

    def _drop(self) -> None:
        admin = Database.from_url(self.server_url)
        while (name := self._dropping.get()) is not None:
            admin.execute_script(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    def take(self) -> str:
        return self._ready.get(timeout=120)

    def give_back(self, name: str) -> None:
        self._dropping.put(name)

    def close(self) -> None:
        self._stop.set()
        self._dropping.put(None)
        for thread in self._threads:
            thread.join(timeout=30)
        admin = Database.from_url(self.server_url)
        for row in admin.fetch_all("SELECT datname FROM pg_database WHERE datname LIKE :p",
                                   {"p": f"innova_test_{os.getpid()}_%"}):
            admin.execute_script(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def database_pool(postgres_server_url: str, template_database: str) -> Iterator[DatabasePool]:
    pool = DatabasePool(postgres_server_url, template_database)
    yield pool
    pool.close()


@pytest.fixture
def database_url(postgres_server_url: str, database_pool: DatabasePool, monkeypatch) -> Iterator[str]:
    """A fresh migrated database for this test; ``DATABASE_URL`` points at it."""
    name = database_pool.take()
    url = _with_database(postgres_server_url, name)
    monkeypatch.setenv("DATABASE_URL", url)
    dependencies.reset()
    yield url
    dependencies.reset()
    database_pool.give_back(name)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A connection to this test's database, separate from the application's own."""
    database = Database.from_url(database_url)
    yield database
    database.close()


# -- AWS (moto server) ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free port of 127.0.0.1 (real HTTP, real boto3)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class AwsResources:
    """The queues and buckets of one test, keyed like ``chalicelib.resources``."""

    endpoint: str
    stage: str
    queue_urls: dict[str, str]
    bucket_names: dict[str, str]

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")

    def receive_all(self, queue_key: str, wait_seconds: int = 0) -> list[dict]:
        """Every message currently in a queue (attributes included), deleting them."""
        sqs = self.client("sqs")
        messages = []
        while True:
            reply = sqs.receive_message(QueueUrl=self.queue_urls[queue_key], MaxNumberOfMessages=10,
                                        WaitTimeSeconds=wait_seconds, AttributeNames=["All"],
                                        MessageAttributeNames=["All"])
            batch = reply.get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)
            sqs.delete_message_batch(QueueUrl=self.queue_urls[queue_key], Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch) -> AwsResources:
    """Every queue (with DLQs and redrive) and bucket, created under a stage unique to this test."""
    from chalicelib.local.aws_provisioning import provision

    stage = f"t{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    created = provision(moto_endpoint, stage)
    for key, url in created.queue_urls.items():
        from chalicelib.resources import QUEUES

        if key in QUEUES:
            monkeypatch.setenv(QUEUES[key].url_setting, url)
    for key, name in created.bucket_names.items():
        from chalicelib.resources import BUCKETS

        monkeypatch.setenv(BUCKETS[key].setting, name)
    dependencies.reset()
    return AwsResources(moto_endpoint, stage, created.queue_urls, created.bucket_names)


# -- Tokens and the HTTP client --------------------------------------------------------------

@dataclass
class TokenFactory:
    secret: str

    def make(self, *, role: str | None = "student", sub: str | None = None, email: str | None = None,
             name: str | None = None, expires_in: int = 3600, audience: str = "authenticated",
             **claims) -> str:
        sub = sub or str(uuid.uuid4())
        payload = {
            "sub": sub,
            "email": email if email is not None else f"{sub[:8]}@example.test",
            "aud": audience,
            "exp": int(time.time()) + expires_in,
            "iat": int(time.time()),
            "role": "authenticated",
            "app_metadata": {"role": role} if role else {},
            "user_metadata": {"full_name": name} if name else {},
            **claims,
        }
        return jwt.encode(payload, self.secret, algorithm="HS256")

    def headers(self, **kwargs) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.make(**kwargs)}", "Content-Type": "application/json"}


@pytest.fixture
def tokens(monkeypatch) -> TokenFactory:
    monkeypatch.setenv("SUPABASE_JWT_SECRET", TEST_JWT_SECRET)
    monkeypatch.delenv("SUPABASE_URL", raising=False)
    dependencies.reset()
    return TokenFactory(TEST_JWT_SECRET)


@pytest.fixture
def app_module():
    import app as app_module

    return app_module


@pytest.fixture
def api(database_url: str, tokens: TokenFactory, app_module) -> Iterator:
    """``chalice.test.Client`` over the real app, on this test's database."""
    from chalice.test import Client

    with Client(app_module.app) as client:
        yield client.http


# -- API Gateway proxy events (the production entry path) ------------------------------------

@dataclass
class ProxyResponse:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self):
        import json

        return json.loads(self.body) if self.body else None


class ProxyClient:
    """Calls a Chalice app the way API Gateway's ``ANY /{proxy+}`` integration does."""

    def __init__(self, app):
        self.app = app

    def request(self, method: str, path: str, *, headers: dict | None = None, body: str | bytes | None = None,
                query: dict[str, str] | None = None) -> ProxyResponse:
        import base64

        is_binary = isinstance(body, bytes)
        event = {
            "resource": "/{proxy+}", "path": path, "httpMethod": method,
            "headers": headers or {}, "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
            "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None,
            "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method, "path": f"/dev{path}",
                               "stage": "dev", "requestId": str(uuid.uuid4())},
            "body": base64.b64encode(body).decode() if is_binary else body,
            "isBase64Encoded": is_binary,
        }
        result = self.app(event, None)
        return ProxyResponse(result["statusCode"], result.get("headers") or {}, result.get("body") or "")

    def get(self, path: str, **kwargs) -> ProxyResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> ProxyResponse:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def gateway(app_module) -> ProxyClient:
    """The real app behind an API Gateway proxy integration."""
    return ProxyClient(app_module.app)
