"""Provoking races in tests: several threads released at the same moment."""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_together(count: int, action: Callable[[int], T], *, timeout: float = 60.0) -> list[T]:
    """``action(0)`` … ``action(count - 1)``, each in a thread of its own, all started at once (a barrier);
    their results in index order. An exception of an action is raised here."""
    barrier = threading.Barrier(count, timeout=timeout)

    def released(index: int) -> T:
        barrier.wait()
        return action(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(released, range(count), timeout=timeout))
