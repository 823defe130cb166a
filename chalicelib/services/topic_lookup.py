"""Resolving what a client calls a topic to exactly one topic (DECISIONS.md §3, api.md §4.3 step 1).

A reference is tried as, in this order: a topic id, a qualified code ``<unit code>/<topic code>``
(e.g. ``INT/SUB``), a bare topic code. Topic codes are unique per unit only (``SUB`` exists under
several domains), so a bare code matching several topics is refused with the candidates' qualified
codes instead of picking one arbitrarily. No match at all is ``None``: each caller decides what
that means (an empty item list, routing key ``UNKNOWN``…).
"""
from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.store import topics
from chalicelib.store.database import Database


def qualified_code(unit_code: str, topic_code: str) -> str:
    return f"{unit_code}/{topic_code}"


def resolve_topic(db: Database, reference: str, *, field: str = "topic") -> dict[str, Any] | None:
    """The topic row ``reference`` names (plus ``unit_code``), or None when nothing matches.

    Raises :class:`~chalicelib.errors.InvalidInput` (400) naming ``field`` when the reference is
    ambiguous, listing the qualified codes to use instead.
    """
    reference = reference.strip()
    if not reference:
        return None
    candidates = topics.find_topic_candidates(db, reference)
    for kind in ("id", "qualified", "bare"):
        matches = [row for row in candidates if row["matched_by"] == kind]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            options = ", ".join(qualified_code(row["unit_code"], row["code"]) for row in matches)
            message = f"{field} '{reference}' is ambiguous: use one of {options}"
            raise errors.InvalidInput([message], details=[{"field": field, "message": message,
                                                          "type": "ambiguous_topic"}])
    return None
