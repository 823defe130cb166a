"""Helpers for driving the event handlers the way Lambda does.

Chalice's ``generate_sqs_event`` gives every record the messageId ``"message-id"`` and no FIFO
attributes, which would make partial-batch responses ambiguous: :func:`sqs_record` builds records
with unique ids, FIFO group/deduplication ids and the ``trace_id`` message attribute.
"""
from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest


def sqs_record(body: Any, *, message_id: str | None = None, group_id: str | None = None,
               deduplication_id: str | None = None, trace_id: str | None = None, receive_count: int = 1,
               queue: str = "queue") -> dict[str, Any]:
    """One SQS record; ``body`` is JSON-encoded unless it is already a string."""
    attributes = {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "1767225600000",
                  "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1767225600001"}
    if group_id is not None:
        attributes.update(MessageGroupId=group_id, MessageDeduplicationId=deduplication_id or str(uuid.uuid4()),
                          SequenceNumber=str(random.randint(10**19, 10**20)))
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": f"handle-{uuid.uuid4().hex}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": attributes,
        "messageAttributes": ({"trace_id": {"stringValue": trace_id, "dataType": "String"}} if trace_id else {}),
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}",
        "awsRegion": "us-east-1",
    }


def sqs_event(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": list(records)}


def failed_ids(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def redeliveries(records: Sequence[dict[str, Any]], times: int = 3, batch_size: int = 10,
                 seed: int = 7) -> list[list[dict[str, Any]]]:
    """Every record ``times`` times (fresh messageIds, growing receive counts), shuffled into batches."""
    copies = [{**record, "messageId": str(uuid.uuid4()),
               "attributes": {**record["attributes"], "ApproximateReceiveCount": str(n + 1)}}
              for n in range(times) for record in records]
    random.Random(seed).shuffle(copies)
    return [copies[i:i + batch_size] for i in range(0, len(copies), batch_size)]


@dataclass
class FakeLambdaContext:
    """A Lambda context with a chosen amount of time left (chalice's test context has only 3 s)."""

    remaining_ms: int = 60_000
    function_name: str = "test"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def lambda_client(app_module) -> Iterator[Any]:
    """``chalice.test.Client(app).lambda_``: ``invoke("<handler name>", event).payload``."""
    from chalice.test import Client

    with Client(app_module.app) as client:
        yield client.lambda_


def terminate_other_sessions(db) -> int:
    """Kill every other connection to the test database (the application's own, mostly)."""
    return db.fetch_value(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture
def database_outage(db, postgres_server_url):
    """``database_outage()`` makes the test database refuse new connections and kills the open ones
    except the test's own ``db`` (the database went away mid-run); ``database_outage.end()`` (or the
    end of the test) lets connections in again."""
    from chalicelib.store.database import Database

    name = db.fetch_value("SELECT current_database()")
    admin = Database.from_url(postgres_server_url)
    state = {"down": False}

    def start() -> None:
        admin.execute_script(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        state["down"] = True
        terminate_other_sessions(db)

    def end() -> None:
        if state["down"]:
            admin.execute_script(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            state["down"] = False

    start.end = end  # type: ignore[attr-defined]
    yield start
    end()
    admin.close()
