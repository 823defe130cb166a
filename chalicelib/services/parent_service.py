"""What a parent sees of their linked children (api.md §4.13, DECISIONS.md §2).

Only links with consent recorded count; any other child is "not found". Parents get bands and
progress counts, never raw mastery numbers, photos or step detail.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import errors
from chalicelib.domain.identity import Principal
from chalicelib.services import access
from chalicelib.store import parents
from chalicelib.store.database import Database

RECENT_GUIDES = 8
RECENT_ALERTS = 5
NOT_LINKED = "This child is not linked to your account"


def mastery_band(mean_p_known: float) -> str:
    """``high`` (≥ 0.7), ``mid`` (≥ 0.4) or ``low``: the only form of mastery parents see."""
    if mean_p_known >= 0.7:
        return "high"
    if mean_p_known >= 0.4:
        return "mid"
    return "low"


@dataclass(frozen=True)
class ChildOverview:
    student: dict[str, Any]
    units: list[dict[str, Any]]
    recent_guides: list[dict[str, Any]]
    alerts: list[dict[str, Any]]


def list_children(db: Database, principal: Principal) -> list[dict[str, Any]]:
    parent_id = access.require_profile(principal, "Parent profile")
    return parents.list_children(db, parent_id)


def child_overview(db: Database, principal: Principal, student_id: str) -> ChildOverview:
    """Units with bands, recent guides and open alerts of a linked child."""
    access.require_profile(principal, "Parent profile")
    # One message for unknown and unlinked children, so ids can't be probed (DECISIONS.md §2).
    access.require_student(db, principal, student_id, message=NOT_LINKED)
    student = parents.find_student(db, student_id)
    if student is None:  # pragma: no cover - the link's foreign key keeps the student
        raise errors.NotFound(NOT_LINKED)
    units = [{"unit_id": u["unit_id"], "code": u["code"], "name": u["name"],
              "band": mastery_band(float(u["mean_p_known"]))} for u in parents.unit_means(db, student_id)]
    return ChildOverview(student=student, units=units,
                         recent_guides=parents.recent_guides(db, student_id, RECENT_GUIDES),
                         alerts=parents.open_alerts_about(db, student_id, RECENT_ALERTS))
