"""Wire models of ``/parent`` (api.md §4.13)."""
from __future__ import annotations

from enum import Enum

from chalicelib.api.schemas.base import ResponseModel
from chalicelib.api.schemas.fields import Timestamp


class ChildOut(ResponseModel):
    student_id: str
    display_name: str
    relationship: str


class Band(str, Enum):
    HIGH = "high"
    MID = "mid"
    LOW = "low"


class ChildStudent(ResponseModel):
    id: str
    display_name: str


class UnitBand(ResponseModel):
    unit_id: str
    code: str
    name: str
    band: Band


class GuideProgress(ResponseModel):
    id: str
    title: str
    status: str
    due_at: Timestamp | None
    graded_questions: int
    total_questions: int


class ChildAlert(ResponseModel):
    id: str
    severity: str
    alert_type: str
    created_at: Timestamp


class ChildOverviewOut(ResponseModel):
    student: ChildStudent
    units: list[UnitBand]
    recent_guides: list[GuideProgress]
    alerts: list[ChildAlert]
