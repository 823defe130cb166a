"""Wire models of ``/admin/*`` (api.md §4.14)."""
from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from chalicelib.api.schemas.base import QueryModel, RequestModel, ResponseModel, omit_if_none
from chalicelib.domain.error_taxonomy import TagSource, TagStatus


class ErrorTagListQuery(QueryModel):
    """Filters and keyset pagination; unknown query keys are refused (api.md §4.14)."""

    model_config = ConfigDict(extra="forbid")

    status: TagStatus | None = None
    source: TagSource | None = None
    domain_code: str | None = Field(None, max_length=64)
    q: str | None = Field(None, max_length=200)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=100)


class ErrorTagItemOut(ResponseModel):
    code: str
    name: str
    domain_code: str | None
    domain_name: str | None
    subdomain_code: str | None
    source: str
    status: str
    severity: str
    applicable_grades: list[int]
    diagnostic_hint: str | None
    deprecated_by: str | None = omit_if_none(description="code of the successor of a deprecated tag")


class StatusCountsOut(ResponseModel):
    active: int
    draft: int
    deprecated: int


class DomainFacetOut(ResponseModel):
    code: str
    name: str
    count: int


class ErrorTagPageOut(ResponseModel):
    items: list[ErrorTagItemOut]
    next_cursor: str | None
    total: int
    status_counts: StatusCountsOut
    domains: list[DomainFacetOut]


class ErrorTagStatusIn(RequestModel):
    status: TagStatus
    deprecated_by: str | None = Field(None, min_length=1, max_length=200,
                                      description="code of the ACTIVE tag replacing a deprecated one")

    @model_validator(mode="after")
    def _successor_only_when_deprecating(self) -> "ErrorTagStatusIn":
        if self.deprecated_by is not None and self.status is not TagStatus.DEPRECATED:
            raise ValueError("deprecatedBy can only be given with status DEPRECATED")
        return self


class KillswitchIn(RequestModel):
    enabled: bool


class KillswitchOut(ResponseModel):
    key: str
    enabled: bool


class QueueStatusOut(ResponseModel):
    depth: int
    dlq_depth: int
    processed_last_hour: int


class PipelineOut(ResponseModel):
    attempts_last_hour: int
    submissions_last_hour: int
    classified_last_hour: int
    pending_guides: int


class ModelCostOut(ResponseModel):
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


class CostOut(ResponseModel):
    by_model: list[ModelCostOut]
    today_usd: float
    month_usd: float


class KillswitchesOut(ResponseModel):
    """``enabled`` = not paused; ``hourlyAlertsEnabled`` is always true (no switch exists)."""

    grader_enabled: bool
    classifier_enabled: bool
    hourly_alerts_enabled: bool
    solution_generator_enabled: bool
    ocr_enabled: bool


class AdminStatusOut(ResponseModel):
    queues: dict[str, QueueStatusOut]
    pipeline: PipelineOut
    cost: CostOut
    killswitches: KillswitchesOut
