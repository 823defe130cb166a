"""Event handler module (workers.md); implemented by its issue."""
from __future__ import annotations

from typing import Any


def handle(event: Any) -> Any:
    raise NotImplementedError("attempt_reprocessor is not implemented yet")
