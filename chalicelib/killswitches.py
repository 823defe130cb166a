"""Cost killswitches: SSM String parameters that pause paid AI work (workers.md §0.4, DECISIONS.md §5).

    from chalicelib import killswitches

    if killswitches.is_paused(killswitches.LLM_PAUSED):   # before every Anthropic call
        ...
    killswitches.set_paused(killswitches.OCR_PAUSED, True)  # the admin API

- A switch is paused iff its parameter value, trimmed and lower-cased, is ``"true"``.
- Reads are cached per container for at most :data:`CACHE_SECONDS` (60 s), so a flip takes effect
  within a minute without an SSM call before every provider call. Each parameter is read with
  ``GetParameter`` — the action the functions' IAM roles grant (``pulumi/components/iam.py``) — and
  :func:`paused_states` reads several stale ones concurrently.
- **Fail-open**: a missing parameter, access denied, throttling, a timeout or any other SSM error
  reads as *not paused* (logged at warning). The switches cap spending; an SSM hiccup must not halt
  grading or classification.
- Writes (:func:`set_paused`) raise :class:`KillswitchWriteError` on failure and refresh the cache.

Switch names and their parameters: ``LLM_PAUSED`` ↔ ``SSM_LLM_PAUSED_PARAM`` (``/innova/llm/paused``),
``OCR_PAUSED`` ↔ ``SSM_OCR_PAUSED_PARAM`` (``/innova/ocr/paused``), ``GRADING_PAUSED`` ↔
``/innova/guides/grading_paused`` and ``SOLUTION_PAUSED`` ↔ ``/innova/guides/solution_paused`` (the
last two are read by the external AI engine; the API flips them).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from chalicelib import aws
from chalicelib.resources import KILLSWITCH_PARAMETERS
from chalicelib.settings import get_settings

log = logging.getLogger(__name__)

LLM_PAUSED = "LLM_PAUSED"
OCR_PAUSED = "OCR_PAUSED"
GRADING_PAUSED = "GRADING_PAUSED"
SOLUTION_PAUSED = "SOLUTION_PAUSED"
SWITCHES = (LLM_PAUSED, OCR_PAUSED, GRADING_PAUSED, SOLUTION_PAUSED)

CACHE_SECONDS = 60.0

# The names the Pulumi program creates and the IAM grants cover (chalicelib/resources.py).
_FIXED_PARAMETERS = {
    GRADING_PAUSED: next(p for p in KILLSWITCH_PARAMETERS if p.endswith("/grading_paused")),
    SOLUTION_PAUSED: next(p for p in KILLSWITCH_PARAMETERS if p.endswith("/solution_paused")),
}

_cache: dict[str, tuple[bool, float]] = {}  # parameter name → (paused, monotonic time read)
_lock = threading.Lock()


class KillswitchWriteError(RuntimeError):
    """The parameter could not be written (the switch keeps its previous value)."""


def parameter_name(switch: str) -> str:
    """The SSM parameter behind ``switch`` (one of :data:`SWITCHES`)."""
    settings = get_settings()
    if switch == LLM_PAUSED:
        return settings.ssm_llm_paused_param
    if switch == OCR_PAUSED:
        return settings.ssm_ocr_paused_param
    try:
        return _FIXED_PARAMETERS[switch]
    except KeyError:
        raise ValueError(f"unknown killswitch {switch!r}; known: {', '.join(SWITCHES)}") from None


def is_paused(switch: str) -> bool:
    """Whether ``switch`` is paused (cached ≤ 60 s; any SSM problem reads as not paused)."""
    return paused_states([switch])[switch]


def paused_states(switches: Iterable[str]) -> dict[str, bool]:
    """``{switch: paused}`` for several switches, with at most one SSM request for the stale ones."""
    names = {switch: parameter_name(switch) for switch in switches}
    now = time.monotonic()
    with _lock:
        fresh = {n: v for n, (v, at) in _cache.items() if now - at < CACHE_SECONDS}
    stale = sorted({n for n in names.values() if n not in fresh})
    if stale:
        fetched = _read_parameters(stale)
        with _lock:
            for name, paused in fetched.items():
                _cache[name] = (paused, now)
        fresh.update(fetched)
    return {switch: fresh[name] for switch, name in names.items()}


def set_paused(switch: str, paused: bool) -> None:
    """Write ``"true"``/``"false"`` to the switch's parameter (String, overwrite) and cache it."""
    name = parameter_name(switch)
    try:
        aws.client("ssm").put_parameter(Name=name, Value="true" if paused else "false", Type="String",
                                        Overwrite=True)
    except Exception as exc:  # noqa: BLE001 - any SDK/network failure means "not written"
        raise KillswitchWriteError(f"could not write {name}: {exc}") from exc
    with _lock:
        _cache[name] = (paused, time.monotonic())
    log.info("killswitch written", extra={"switch": switch, "parameter": name, "paused": paused})


def clear_cache() -> None:
    """Forget every cached value (tests; a new container starts empty anyway)."""
    with _lock:
        _cache.clear()


def _read_parameters(names: list[str]) -> dict[str, bool]:
    """Read ``names`` (concurrently when several) — fail-open: any error or missing one is False."""
    try:
        client = aws.client("ssm")
    except Exception as exc:  # noqa: BLE001
        log.warning("killswitches unreadable, treating as not paused", extra={"error": str(exc)})
        return {name: False for name in names}
    if len(names) == 1:
        return {names[0]: _read_parameter(client, names[0])}
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return dict(zip(names, pool.map(lambda name: _read_parameter(client, name), names)))


def _read_parameter(client, name: str) -> bool:
    try:
        value = client.get_parameter(Name=name)["Parameter"].get("Value", "")
    except Exception as exc:  # noqa: BLE001 - fail-open on anything, a missing parameter included
        log.warning("killswitch unreadable, treating as not paused", extra={"parameter": name, "error": str(exc)})
        return False
    return str(value).strip().lower() == "true"
