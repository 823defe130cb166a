"""Typed settings built from the environment (infra.md §7), read once per container.

Every variable keeps the name of the replaced system so existing secrets keep working. An empty
string counts as unset. Each function checks only the variables it uses
(:func:`require_settings`), and fails at start-up with a message naming the missing variable.
"""
from __future__ import annotations

import functools
from typing import Literal

import os

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

FunctionName = Literal[
    "api",
    "telemetryWorker",
    "llmClassifierWorker",
    "ocrWorker",
    "alertGenerator",
    "attemptReprocessWorker",
]


class MissingSettingError(RuntimeError):
    """A required environment variable is unset; the message names it."""


class Settings(BaseModel):
    """All environment variables of infra.md §7.1; attribute names are the variables, lower-cased.

    A plain pydantic model over ``os.environ`` rather than pydantic-settings: the latter adds
    ~100 ms of imports (asyncio, dotenv sources) to every cold start for features unused here.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = "dev"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("aws_region", "aws_default_region")
    )
    aws_endpoint_url: str | None = None

    database_url: str | None = None
    database_statement_timeout_ms: int = Field(default=10_000, gt=0)
    mongodb_uri: str | None = None

    supabase_url: str | None = None
    supabase_jwt_secret: str | None = None
    supabase_service_role_key: str | None = None
    supabase_anon_key: str | None = None

    public_app_url: str | None = None
    public_api_url: str | None = None
    public_practice_url: str | None = None
    cors_origins: str = ""

    sqs_attempt_stream_url: str | None = None
    sqs_llm_classify_url: str | None = None
    sqs_ocr_queue_url: str | None = None
    sqs_attempt_reprocess_url: str | None = None
    sqs_guide_ingest_url: str | None = None
    sqs_solution_gen_url: str | None = None
    sqs_submission_grade_url: str | None = None
    exercise_generate_queue_url: str | None = None
    sqs_adhoc_solve_url: str | None = None
    sqs_hourly_alerts_url: str | None = None

    s3_guides_bucket: str | None = None
    s3_submissions_bucket: str | None = None
    s3_ocr_uploads_bucket: str | None = None
    s3_raw_events_bucket: str | None = None
    guides_presigned_put_ttl: int = Field(default=600, gt=0)
    guides_presigned_get_ttl: int = Field(default=300, gt=0)
    submissions_presigned_get_ttl: int = Field(default=300, gt=0)

    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    gemini_api_key: str | None = None
    gemini_base_url: str | None = None
    gemini_model: str = "gemini-2.5-flash"
    resend_api_key: str | None = None
    resend_from_email: str | None = None

    ssm_llm_paused_param: str = "/innova/llm/paused"
    ssm_ocr_paused_param: str = "/innova/ocr/paused"
    llm_model: str = "claude-haiku-4-5-20251001"
    llm_max_tokens: int = Field(default=4096, gt=0)
    llm_auto_suggest_enabled: bool = False
    ocr_confidence_threshold: float = Field(default=0.7, ge=0, le=1)
    ocr_review_threshold: float = Field(default=0.5, ge=0, le=1)
    ocr_claude_model: str = "claude-haiku-4-5-20251001"
    telemetry_archive_after_days: int = Field(default=30, gt=0)
    telemetry_archive_batch: int = Field(default=50, gt=0)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value, info):
        # infra.md §7: "empty string counts as unset" — fall back to the field default.
        if isinstance(value, str) and value.strip() == "":
            field = cls.model_fields[info.field_name]
            return field.get_default(call_default_factory=True)
        return value

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        return cls.model_validate({key.lower(): value for key, value in environ.items()})

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        """`CORS_ORIGINS` split on commas, entries trimmed, empties dropped."""
        return tuple(o.strip() for o in self.cors_origins.split(",") if o.strip())

    @property
    def is_production(self) -> bool:
        return self.stage == "prod"

    def required(self, name: str) -> str:
        """The value of a setting that this code path cannot work without."""
        value = getattr(self, name.lower())
        if value is None or value == "":
            raise MissingSettingError(f"Missing required setting {name.upper()}")
        return value


# Variables each function cannot start without (infra.md §7.2). Production adds the ones the
# public deployment needs but a laptop does not.
REQUIRED: dict[str, tuple[str, ...]] = {
    "api": ("DATABASE_URL",),
    "telemetryWorker": (),
    "llmClassifierWorker": ("DATABASE_URL",),
    "ocrWorker": ("SQS_ATTEMPT_REPROCESS_URL",),
    "alertGenerator": ("DATABASE_URL",),
    "attemptReprocessWorker": ("DATABASE_URL",),
}
REQUIRED_IN_PRODUCTION: dict[str, tuple[str, ...]] = {
    "api": ("SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "CORS_ORIGINS"),
    "telemetryWorker": ("MONGODB_URI",),
    "llmClassifierWorker": ("ANTHROPIC_API_KEY",),
    "ocrWorker": ("GEMINI_API_KEY",),
}


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, parsed from the environment on first use."""
    return Settings.from_environment()


def require_settings(function: FunctionName) -> Settings:
    """Settings for ``function``, failing fast with the name of the first missing variable."""
    settings = get_settings()
    names = REQUIRED[function]
    if settings.is_production:
        names = names + REQUIRED_IN_PRODUCTION.get(function, ())
    for name in names:
        try:
            settings.required(name)
        except MissingSettingError as exc:
            raise MissingSettingError(f"{exc} (needed by the {function} function)") from None
    return settings


def check_lambda_environment(environ: dict[str, str] | None = None) -> str | None:
    """At cold start inside Lambda, fail fast when this function's required variables are unset.

    The function is recognised from ``AWS_LAMBDA_FUNCTION_NAME`` (set by Lambda) and the names in
    ``chalicelib/resources.py``; outside Lambda nothing is checked. Returns the function key.
    """
    from chalicelib.resources import FUNCTIONS

    environ = os.environ if environ is None else environ
    function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if not function_name:
        return None
    stage = environ.get("STAGE") or "dev"
    for key, function in FUNCTIONS.items():
        if function.name(stage) == function_name:
            require_settings(key)  # type: ignore[arg-type]
            return key
    return None
