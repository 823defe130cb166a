"""Routes of the items area (see api.md §4)."""
from __future__ import annotations

from chalicelib.api.routing import Routes

routes = Routes("items")
