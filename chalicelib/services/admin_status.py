"""The operations page (api.md §4.14 ``/admin/status``): queue depths, pipeline counts, AI cost, killswitches."""
from __future__ import annotations

from typing import Any

from chalicelib import errors, killswitches
from chalicelib.messaging.queue_depths import QueueDepthReader
from chalicelib.settings import Settings
from chalicelib.store import cost_events, pipeline_figures
from chalicelib.store.database import Database

# Admin key → killswitch. The API reports and accepts the inverse of "paused" as "enabled".
KILLSWITCH_KEYS: dict[str, str] = {
    "graderEnabled": killswitches.GRADING_PAUSED,
    "classifierEnabled": killswitches.LLM_PAUSED,
    "solutionGeneratorEnabled": killswitches.SOLUTION_PAUSED,
    "ocrEnabled": killswitches.OCR_PAUSED,
}

# Status-page queue key → the setting holding its URL.
STATUS_QUEUES: dict[str, str] = {
    "guide-ingest": "sqs_guide_ingest_url",
    "attempt-reprocess": "sqs_attempt_reprocess_url",
    "llm-classify": "sqs_llm_classify_url",
    "hourly-alerts": "sqs_hourly_alerts_url",
}


def killswitch_flags() -> dict[str, bool]:
    """``{key: enabled}`` for every admin key, plus the fixed ``hourlyAlertsEnabled`` (no switch)."""
    paused = killswitches.paused_states(KILLSWITCH_KEYS.values())
    flags = {key: not paused[switch] for key, switch in KILLSWITCH_KEYS.items()}
    flags["hourlyAlertsEnabled"] = True
    return flags


def read_status(db: Database, queues: QueueDepthReader, settings: Settings) -> dict[str, Any]:
    """Every figure of the status page (api.md §4.14); queue depths are -1 when unknown."""
    depths = queues.depths({key: getattr(settings, setting) for key, setting in STATUS_QUEUES.items()})
    pipeline = pipeline_figures.pipeline_figures(db)
    costs = cost_events.cost_summary(db)
    by_model = [{"model": row["model"], "calls": int(row["calls"]), "input_tokens": int(row["input_tokens"]),
                 "output_tokens": int(row["output_tokens"]), "cost_usd": float(row["cost_usd"])}
                for row in costs["by_model"]]
    return {
        "queues": {key: {"depth": depth.depth, "dlq_depth": depth.dlq_depth, "processed_last_hour": 0}
                   for key, depth in depths.items()},
        "pipeline": {key: int(value) for key, value in pipeline.items()},
        "cost": {"by_model": by_model, "today_usd": sum(row["cost_usd"] for row in by_model),
                 "month_usd": float(costs["month_usd"])},
        "killswitches": killswitch_flags(),
    }


def set_killswitch(key: str, enabled: bool) -> dict[str, Any]:
    """Flip one admin killswitch; 400 for an unknown key, 503 when SSM refuses the write."""
    switch = KILLSWITCH_KEYS.get(key)
    if switch is None:
        valid = ", ".join(KILLSWITCH_KEYS)
        raise errors.InvalidInput(f'Unknown killswitch key "{key}". Valid: {valid}')
    try:
        killswitches.set_paused(switch, not enabled)
    except killswitches.KillswitchWriteError as exc:
        raise errors.Unavailable("The killswitch could not be written, retry shortly") from exc
    return {"key": key, "enabled": enabled}
