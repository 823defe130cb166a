"""Waiting in tests for something another thread or process does (the local runtime, the event pump)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1, *,
               what: str = "condition", details: Callable[[], str] | None = None) -> Any:
    """Poll ``predicate`` until it returns something truthy and return that; fail the test after
    ``timeout`` seconds, naming ``what`` and adding ``details()`` (e.g. log lines) to the message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"{what} not reached within {timeout:g} s" + (f"\n{details()}" if details else ""))
