"""The attempt outbox (migration 0010): messages written with their attempt, deleted once sent.

Rows are leased (``claimed_until``) by whoever is about to publish them; only rows whose lease has
run out can be claimed again, so two publishers never send the same row at the same time.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.store.database import Database

_CLAIM = """
UPDATE attempt_outbox o
SET claimed_until = now() + make_interval(secs => :lease_seconds), publish_attempts = o.publish_attempts + 1
FROM (
    SELECT attempt_id, queue FROM attempt_outbox
    WHERE claimed_until <= now() AND (CAST(:attempt_id AS text) IS NULL OR attempt_id = CAST(:attempt_id AS text))
    ORDER BY created_at, attempt_id, queue
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
) due
WHERE o.attempt_id = due.attempt_id AND o.queue = due.queue
RETURNING o.attempt_id, o.queue, o.body, o.trace_id, o.group_id, o.deduplication_id, o.publish_attempts
"""


def claim_due(db: Database, *, lease_seconds: float, limit: int, attempt_id: str | None = None) -> list[dict[str, Any]]:
    """Lease and return up to ``limit`` rows whose lease has expired (of one attempt, or any)."""
    return db.fetch_all(_CLAIM, {"attempt_id": attempt_id, "lease_seconds": float(lease_seconds), "limit": limit})


_DELETE_PUBLISHED = "DELETE FROM attempt_outbox WHERE attempt_id = :attempt_id AND queue = ANY(CAST(:queues AS text[]))"

# The same delete committed without waiting for the WAL flush (synchronous_commit is settable per
# transaction; here the statement is its own transaction). Losing it in a server crash only brings
# the row back, and its message is re-sent with the same ids, which the consumers absorb: one disk
# flush per request is saved.
_DELETE_PUBLISHED_ASYNC_COMMIT = """
WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)
DELETE FROM attempt_outbox
WHERE attempt_id = :attempt_id AND queue = ANY(CAST(:queues AS text[])) AND EXISTS (SELECT 1 FROM relaxed)
"""


def delete_published(db: Database, attempt_id: str, queues: Sequence[str]) -> int:
    """Forget the rows of ``attempt_id`` that reached ``queues``.

    Outside a transaction the delete commits asynchronously (see above); inside one it leaves the
    caller's commit alone.
    """
    sql = _DELETE_PUBLISHED if db.in_transaction else _DELETE_PUBLISHED_ASYNC_COMMIT
    return db.execute(sql, {"attempt_id": attempt_id, "queues": list(queues)})


def release_failed(db: Database, attempt_id: str, queues: Sequence[str], error: str) -> int:
    """End the lease of rows whose publish failed (retryable at once) and record why."""
    return db.execute(
        "UPDATE attempt_outbox SET claimed_until = now(), last_error = :error"
        " WHERE attempt_id = :attempt_id AND queue = ANY(CAST(:queues AS text[]))",
        {"attempt_id": attempt_id, "queues": list(queues), "error": error[:1000]})
