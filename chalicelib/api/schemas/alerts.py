"""Wire models of ``/alerts`` (api.md §2 AlertView, §4.12)."""
from __future__ import annotations

import json
from enum import Enum
from typing import Any

from pydantic import field_validator

from chalicelib.api.schemas.base import QueryModel, RequestModel, ResponseModel
from chalicelib.api.schemas.fields import EntityId, Timestamp

MAX_PAYLOAD_BYTES = 8_192


class AlertType(str, Enum):
    """The alert vocabulary of api.md §4.12 / domain.md §4."""

    AT_RISK_STUDENT = "AT_RISK_STUDENT"
    STUDENT_DROP = "STUDENT_DROP"
    UNIT_OFF_TRACK = "UNIT_OFF_TRACK"
    COMMON_ERROR_IN_TOPIC = "COMMON_ERROR_IN_TOPIC"
    GUIDE_READY_FOR_REVIEW = "GUIDE_READY_FOR_REVIEW"
    GUIDE_GRADING_COMPLETE = "GUIDE_GRADING_COMPLETE"
    GUIDE_COMMON_ERROR = "GUIDE_COMMON_ERROR"


class Severity(str, Enum):
    LOW = "LOW"
    MED = "MED"
    HIGH = "HIGH"


class AlertsQuery(QueryModel):
    """``courseId`` wins over the legacy ``classroomId``."""

    course_id: EntityId | None = None
    classroom_id: EntityId | None = None

    @property
    def target_course_id(self) -> str | None:
        return self.course_id or self.classroom_id


class AlertCreate(RequestModel):
    course_id: EntityId
    teacher_id: EntityId
    alert_type: AlertType
    topic_id: EntityId | None = None
    student_id: EntityId | None = None
    severity: Severity | None = None
    payload: dict[str, Any] | None = None

    @field_validator("payload")
    @classmethod
    def _payload_size(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value)) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload must be at most {MAX_PAYLOAD_BYTES} bytes of JSON")
        return value


class AlertView(ResponseModel):
    id: str
    teacher_id: str
    course_id: str
    topic_id: str | None
    student_id: str | None
    alert_type: str
    severity: str
    payload: Any
    created_at: Timestamp
    resolved_at: Timestamp | None
