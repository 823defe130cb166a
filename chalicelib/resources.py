"""Names and settings of every queue, bucket, function and trigger (infra.md §1–6).

The single source read by the Pulumi program (``pulumi/``) and by the local runtime
(``chalicelib/local``), so the cloud and a laptop never drift. Pure data: no boto3, no Pulumi.
Physical names are explicit because the AI engine and the web clients refer to them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

SERVICE = "innova-backend-serverless"
REGION = "us-east-1"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
ONE_DAY_SECONDS = 24 * 3600
LOG_RETENTION_DAYS = 30


@dataclass(frozen=True)
class DeadLetterQueue:
    """A DLQ: no consumer, 14-day retention, default 30 s visibility."""

    key: str
    logical_name: str
    name_template: str
    max_receive_count: int
    fifo: bool = False
    retention_seconds: int = DLQ_RETENTION_SECONDS
    visibility_timeout_seconds: int = 30

    def name(self, stage: str) -> str:
        return self.name_template.format(svc=SERVICE, stage=stage)


@dataclass(frozen=True)
class Queue:
    """A source queue with its redrive policy and the setting that holds its URL."""

    key: str
    logical_name: str
    name_template: str
    visibility_timeout_seconds: int
    url_setting: str
    consumer: str  # function key, or "ai-engine" / "none" for queues consumed elsewhere
    fifo: bool = False
    content_based_deduplication: bool = False
    retention_seconds: int = ONE_DAY_SECONDS
    dlq: DeadLetterQueue | None = None
    output_arn_key: str | None = None  # stack output read by the AI engine (infra.md §2.3)

    def name(self, stage: str) -> str:
        return self.name_template.format(svc=SERVICE, stage=stage)


@dataclass(frozen=True)
class CorsRule:
    methods: tuple[str, ...]
    origins: tuple[str, ...] = ("*",)
    headers: tuple[str, ...] = ("*",)
    max_age_seconds: int = 3000


@dataclass(frozen=True)
class LifecycleRule:
    rule_id: str
    expire_after_days: int
    prefix: str = ""


@dataclass(frozen=True)
class Bucket:
    key: str
    logical_name: str
    name_template: str
    setting: str
    cors: CorsRule | None = None
    lifecycle: LifecycleRule | None = None
    notify_function: str | None = None  # function key receiving s3:ObjectCreated:*

    def name(self, stage: str) -> str:
        return self.name_template.format(svc=SERVICE, stage=stage)


@dataclass(frozen=True)
class SqsTrigger:
    queue: str  # Queue.key
    batch_size: int
    max_batching_window_seconds: int = 0
    report_batch_item_failures: bool = True


@dataclass(frozen=True)
class S3Trigger:
    bucket: str  # Bucket.key
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)


@dataclass(frozen=True)
class ScheduleTrigger:
    expression: str


@dataclass(frozen=True)
class HttpTrigger:
    paths: tuple[str, ...] = ("/", "/{proxy+}")


Trigger = SqsTrigger | S3Trigger | ScheduleTrigger | HttpTrigger


@dataclass(frozen=True)
class Function:
    """A Lambda function: the handler is ``app.<handler>`` in the Chalice-built artifact."""

    key: str  # the name used throughout the spec, e.g. "telemetryWorker"
    handler: str  # attribute of app.py
    suffix: str  # Chalice names functions {app}-{stage}[-{suffix}]
    timeout_seconds: int
    memory_mb: int
    trigger: Trigger
    env: tuple[str, ...] = field(default=())  # the variables this function reads (infra.md §7.2)

    def name(self, stage: str) -> str:
        base = f"{SERVICE}-{stage}"
        return f"{base}-{self.suffix}" if self.suffix else base


def _dlq(key: str, logical: str, suffix: str, max_receive: int, fifo: bool = False) -> DeadLetterQueue:
    return DeadLetterQueue(key, logical, "{svc}-{stage}-" + suffix, max_receive, fifo=fifo)


QUEUES: dict[str, Queue] = {
    q.key: q
    for q in (
        Queue(
            "attempt_stream", "AttemptStreamQueue", "{svc}-{stage}-attempt-stream.fifo", 360,
            "SQS_ATTEMPT_STREAM_URL", "telemetryWorker", fifo=True, content_based_deduplication=True,
            dlq=_dlq("attempt_stream_dlq", "AttemptStreamDLQ", "attempt-stream-dlq.fifo", 5, fifo=True),
        ),
        Queue(
            "llm_classify", "LlmClassifyQueue", "{svc}-{stage}-llm-classify-queue", 720,
            "SQS_LLM_CLASSIFY_URL", "llmClassifierWorker",
            dlq=_dlq("llm_classify_dlq", "LlmClassifyDLQ", "llm-classify-dlq", 3),
            output_arn_key="LlmClassifyQueueArn",
        ),
        Queue("ocr", "OcrQueue", "{svc}-{stage}-ocr-queue", 60, "SQS_OCR_QUEUE_URL", "none"),
        Queue(
            "attempt_reprocess", "AttemptReprocessQueue", "{svc}-{stage}-attempt-reprocess-queue", 360,
            "SQS_ATTEMPT_REPROCESS_URL", "attemptReprocessWorker",
            dlq=_dlq("attempt_reprocess_dlq", "AttemptReprocessDLQ", "attempt-reprocess-dlq", 5),
            output_arn_key="AttemptReprocessQueueArn",
        ),
        Queue(
            "guide_ingest", "GuideIngestQueue", "{svc}-{stage}-guide-ingest-queue", 900,
            "SQS_GUIDE_INGEST_URL", "ai-engine",
            dlq=_dlq("guide_ingest_dlq", "GuideIngestDLQ", "guide-ingest-dlq", 3),
            output_arn_key="GuideIngestQueueArn",
        ),
        Queue(
            "solution_gen", "SolutionGenQueue", "{svc}-{stage}-solution-generation-queue", 900,
            "SQS_SOLUTION_GEN_URL", "ai-engine",
            dlq=_dlq("solution_gen_dlq", "SolutionGenDLQ", "solution-generation-dlq", 3),
            output_arn_key="SolutionGenQueueArn",
        ),
        Queue(
            "submission_grade", "SubmissionGradeQueue", "{svc}-{stage}-submission-grade-queue", 180,
            "SQS_SUBMISSION_GRADE_URL", "ai-engine",
            dlq=_dlq("submission_grade_dlq", "SubmissionGradeDLQ", "submission-grade-dlq", 3),
            output_arn_key="SubmissionGradeQueueArn",
        ),
        Queue(
            "exercise_generate", "ExerciseGenerateQueue", "{svc}-{stage}-exercise-generate-queue", 360,
            "EXERCISE_GENERATE_QUEUE_URL", "ai-engine",
            dlq=_dlq("exercise_generate_dlq", "ExerciseGenerateDLQ", "exercise-generate-dlq", 3),
            output_arn_key="ExerciseGenerateQueueArn",
        ),
        Queue(
            "adhoc_solve", "AdhocSolveQueue", "{svc}-{stage}-adhoc-solve-queue", 360,
            "SQS_ADHOC_SOLVE_URL", "ai-engine",
            dlq=_dlq("adhoc_solve_dlq", "AdhocSolveDLQ", "adhoc-solve-dlq", 3),
            output_arn_key="AdhocSolveQueueArn",
        ),
    )
}
"""Every source queue by key. Visibility timeouts follow infra.md §2.1 except for the three queues
this product consumes, which get 6× their function's timeout (AWS guidance, anchors §6): attempt
stream 60 → 360 s, LLM classify 360 → 720 s, attempt reprocess 60 → 360 s."""

BUCKETS: dict[str, Bucket] = {
    b.key: b
    for b in (
        Bucket(
            "ocr_uploads", "OcrUploadsBucket", "{svc}-{stage}-ocr-uploads", "S3_OCR_UPLOADS_BUCKET",
            cors=CorsRule(methods=("PUT",)),
            lifecycle=LifecycleRule("PurgeAfter30Days", 30),
            notify_function="ocrWorker",
        ),
        Bucket(
            "guides", "GuidesBucket", "{svc}-{stage}-guides", "S3_GUIDES_BUCKET",
            cors=CorsRule(methods=("PUT", "GET")),
            lifecycle=LifecycleRule("PurgeUploadsAfter1Year", 365, prefix="guides/uploads/"),
        ),
        Bucket(
            "submissions", "SubmissionsBucket", "innova-submissions-{stage}", "S3_SUBMISSIONS_BUCKET",
            cors=CorsRule(methods=("PUT", "GET")),
            lifecycle=LifecycleRule("PurgePhotosAfter30Days", 30),
        ),
        Bucket("raw_events", "RawEventsLakeBucket", "{svc}-{stage}-raw-events-lake", "S3_RAW_EVENTS_BUCKET"),
    )
}

_COMMON_ENV = ("STAGE", "LOG_LEVEL")

FUNCTIONS: dict[str, Function] = {
    f.key: f
    for f in (
        Function(
            "api", "app", "", 30, 512, HttpTrigger(),
            env=_COMMON_ENV + (
                "DATABASE_URL", "MONGODB_URI", "SUPABASE_URL", "SUPABASE_JWT_SECRET",
                "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY", "PUBLIC_APP_URL", "PUBLIC_API_URL",
                "PUBLIC_PRACTICE_URL", "CORS_ORIGINS", "SQS_ATTEMPT_STREAM_URL", "SQS_LLM_CLASSIFY_URL",
                "SQS_ATTEMPT_REPROCESS_URL", "SQS_GUIDE_INGEST_URL", "SQS_SOLUTION_GEN_URL",
                "SQS_SUBMISSION_GRADE_URL", "EXERCISE_GENERATE_QUEUE_URL", "SQS_ADHOC_SOLVE_URL",
                "S3_GUIDES_BUCKET", "S3_SUBMISSIONS_BUCKET", "S3_OCR_UPLOADS_BUCKET",
                "GUIDES_PRESIGNED_PUT_TTL", "GUIDES_PRESIGNED_GET_TTL", "SUBMISSIONS_PRESIGNED_GET_TTL",
                "GEMINI_API_KEY", "GEMINI_MODEL", "ANTHROPIC_API_KEY", "OCR_CLAUDE_MODEL",
                "OCR_CONFIDENCE_THRESHOLD", "OCR_REVIEW_THRESHOLD", "RESEND_API_KEY",
                "RESEND_FROM_EMAIL", "SSM_LLM_PAUSED_PARAM", "SSM_OCR_PAUSED_PARAM",
            ),
        ),
        Function(
            "telemetryWorker", "telemetry_worker", "telemetryWorker", 60, 256,
            SqsTrigger("attempt_stream", batch_size=10),
            env=_COMMON_ENV + ("MONGODB_URI", "DATABASE_URL", "S3_RAW_EVENTS_BUCKET",
                               "TELEMETRY_ARCHIVE_AFTER_DAYS", "TELEMETRY_ARCHIVE_BATCH"),
        ),
        Function(
            "llmClassifierWorker", "llm_classifier_worker", "llmClassifierWorker", 120, 512,
            SqsTrigger("llm_classify", batch_size=20, max_batching_window_seconds=60),
            env=_COMMON_ENV + ("DATABASE_URL", "MONGODB_URI", "ANTHROPIC_API_KEY", "SSM_LLM_PAUSED_PARAM",
                               "LLM_MODEL", "LLM_MAX_TOKENS", "LLM_AUTO_SUGGEST_ENABLED"),
        ),
        Function(
            "ocrWorker", "ocr_worker", "ocrWorker", 60, 512, S3Trigger("ocr_uploads"),
            env=_COMMON_ENV + ("DATABASE_URL", "MONGODB_URI", "GEMINI_API_KEY", "GEMINI_MODEL",
                               "ANTHROPIC_API_KEY", "OCR_CLAUDE_MODEL", "SQS_ATTEMPT_REPROCESS_URL",
                               "SSM_OCR_PAUSED_PARAM", "OCR_CONFIDENCE_THRESHOLD", "OCR_REVIEW_THRESHOLD"),
        ),
        Function(
            "alertGenerator", "alert_generator", "alertGenerator", 60, 256,
            ScheduleTrigger("rate(1 hour)"),
            env=_COMMON_ENV + ("DATABASE_URL",),
        ),
        Function(
            "attemptReprocessWorker", "attempt_reprocess_worker", "attemptReprocessWorker", 60, 256,
            SqsTrigger("attempt_reprocess", batch_size=10),
            env=_COMMON_ENV + ("DATABASE_URL", "SQS_LLM_CLASSIFY_URL"),
        ),
    )
}

KILLSWITCH_PARAMETERS: tuple[str, ...] = (
    "/innova/llm/paused",
    "/innova/ocr/paused",
    "/innova/guides/grading_paused",
    "/innova/guides/solution_paused",
    "/innova/guides/ingest_paused",
    "/innova/guides/grading_cheap_mode",
)

KILLSWITCH_SETTINGS: dict[str, str] = {
    "SSM_LLM_PAUSED_PARAM": "/innova/llm/paused",
    "SSM_OCR_PAUSED_PARAM": "/innova/ocr/paused",
}
"""The settings that name a killswitch parameter, with the parameter each deployment points them at
(infra.md §7.1); the functions' IAM grants are scoped to exactly these names."""

API_DOMAIN_NAME = "api.superprofes.app"
API_BINARY_MEDIA_TYPES: tuple[str, ...] = ("multipart/form-data", "image/*")


def all_queues() -> list[Queue | DeadLetterQueue]:
    """Every queue, DLQs first (a source queue's redrive policy needs its DLQ's ARN)."""
    dlqs: list[Queue | DeadLetterQueue] = [q.dlq for q in QUEUES.values() if q.dlq]
    return dlqs + list(QUEUES.values())


def queue_for_function(function_key: str) -> Queue | None:
    trigger = FUNCTIONS[function_key].trigger
    return QUEUES[trigger.queue] if isinstance(trigger, SqsTrigger) else None
