"""attemptReprocessWorker: OCR re-reads and graded guide photos → attempts (workers.md §6).

Each record is parsed (a body that is not JSON, violates message 7.3 or carries neither
``attempt_id`` nor ``guide_submission_id`` is a failed item, reaching the DLQ after 5 receives)
and applied in its own transaction by :func:`chalicelib.services.attempt_reprocess.reprocess`.
Any error — database unreachable, publish refused — fails that record only; the service makes
the retry safe.
"""
from __future__ import annotations

from typing import Any

from chalicelib import dependencies
from chalicelib.logs import current_trace_id, new_trace_id
from chalicelib.messaging.messages import AttemptReprocess
from chalicelib.services import attempt_reprocess
from chalicelib.settings import require_settings
from chalicelib.workers.sqs_batch import SqsBatch



def parse_message(body: dict[str, Any]) -> AttemptReprocess:
    """Message 7.3; a missing ``latex_steps`` reads as no steps (workers.md §6.1)."""
    return AttemptReprocess.model_validate({"latex_steps": [], **body})


def handle(event: Any) -> dict[str, list[dict[str, str]]]:
    require_settings("attemptReprocessWorker")
    db, publisher = dependencies.database(), dependencies.publisher()
    batch = SqsBatch.from_event(event)

    def apply(message: AttemptReprocess, record: Any) -> None:
        attempt_reprocess.reprocess(db, publisher, message, trace_id=current_trace_id() or new_trace_id())

    batch.each(parse_message, apply)
    return batch.response()
