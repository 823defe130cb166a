"""Lambda functions, log groups and triggers (infra.md §5, seed function reference)."""
import pytest

from chalice import Chalice
from chalice.app import EventSourceHandler

from chalicelib import resources
from infra_harness import ACCOUNT, REGION, is_secret, reveal

FUNCTION = "aws:lambda/function:Function"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
SVC = "innova-backend-serverless-prod"

# The seed function reference: name → (handler, timeout s, memory MB).
SEED = {
    "api": ("app.app", 30, 512),
    "telemetryWorker": ("app.telemetry_worker", 60, 256),
    "llmClassifierWorker": ("app.llm_classifier_worker", 120, 512),
    "ocrWorker": ("app.ocr_worker", 60, 512),
    "alertGenerator": ("app.alert_generator", 60, 256),
    "attemptReprocessWorker": ("app.attempt_reprocess_worker", 60, 256),
}
# infra.md §5.1: function → (queue, batch size, batching window or None)
SQS_TRIGGERS = {
    "telemetryWorker": (f"{SVC}-attempt-stream.fifo", 10, None),
    "llmClassifierWorker": (f"{SVC}-llm-classify-queue", 20, 60),
    "attemptReprocessWorker": (f"{SVC}-attempt-reprocess-queue", 10, None),
}


def function_name(key):
    return SVC if key == "api" else f"{SVC}-{key}"


def variables(function):
    return reveal(function.inputs["environment"])["variables"]


def test_six_functions_named_as_chalice_names_them(deployment):
    assert {f.name: f.inputs["name"] for f in deployment.of_type(FUNCTION)} == {k: function_name(k) for k in SEED}


@pytest.mark.parametrize("key", sorted(SEED))
def test_runtime_handler_timeout_and_memory(deployment, key):
    handler, timeout, memory = SEED[key]
    function = deployment.get(FUNCTION, key).inputs
    assert function["runtime"] == "python3.11"
    assert function["architectures"] == ["x86_64"]
    assert function["handler"] == handler
    assert function["timeout"] == timeout
    assert function["memorySize"] == memory


@pytest.mark.parametrize("key", sorted(SEED))
def test_handler_strings_resolve_to_the_chalice_app_and_its_decorated_handlers(deployment, app_module, key):
    module, attribute = deployment.get(FUNCTION, key).inputs["handler"].split(".")
    assert module == "app"
    target = getattr(app_module, attribute)
    if key == "api":
        assert isinstance(target, Chalice)
    else:
        assert isinstance(target, EventSourceHandler)
        assert callable(target)


def test_decorators_in_app_py_declare_the_triggers_pulumi_deploys(app_module):
    """chalice.test and the local runner read app.py's decorators; Pulumi reads resources.py."""
    declared = {source.handler_string: source for source in app_module.app.event_sources}
    for function in resources.FUNCTIONS.values():
        trigger = function.trigger
        if isinstance(trigger, resources.HttpTrigger):
            continue
        source = declared.pop(f"app.{function.handler}")
        if isinstance(trigger, resources.SqsTrigger):
            assert source.queue == resources.QUEUES[trigger.queue].name(app_module.STAGE)
            assert source.batch_size == trigger.batch_size
            assert source.maximum_batching_window_in_seconds == trigger.max_batching_window_seconds
        elif isinstance(trigger, resources.S3Trigger):
            assert source.bucket == resources.BUCKETS[trigger.bucket].name(app_module.STAGE)
            assert source.events == list(trigger.events)
            assert source.prefix is None
        else:
            assert source.schedule_expression.to_string() == trigger.expression
    assert declared == {}


@pytest.mark.parametrize("key", sorted(SEED))
def test_each_function_logs_to_its_own_group_kept_30_days(deployment, key):
    group = deployment.get("aws:cloudwatch/logGroup:LogGroup", f"{key}Logs")
    assert group.inputs == {"name": f"/aws/lambda/{function_name(key)}", "retentionInDays": 30}
    assert group.urn in deployment.get(FUNCTION, key).dependencies  # never auto-created without retention


@pytest.mark.parametrize("key", sorted(SEED))
def test_each_function_gets_only_the_variables_it_reads(deployment, key):
    names = set(variables(deployment.get(FUNCTION, key)))
    listed = set(resources.FUNCTIONS[key].env)
    assert names <= listed
    # Set by the stack itself (or configured in this run): present whenever the function reads them.
    always = {"STAGE", "LOG_LEVEL", "DATABASE_URL", "MONGODB_URI", "SUPABASE_URL", "SUPABASE_JWT_SECRET",
              "SUPABASE_SERVICE_ROLE_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "RESEND_API_KEY",
              "CORS_ORIGINS", "PUBLIC_APP_URL", "PUBLIC_API_URL", "RESEND_FROM_EMAIL", *resources.KILLSWITCH_SETTINGS}
    always |= {q.url_setting for q in resources.QUEUES.values()} | {b.setting for b in resources.BUCKETS.values()}
    assert listed & always <= names
    # Unset optional tuning values are left out, so the application's defaults apply.
    assert "LLM_MODEL" not in names and "TELEMETRY_ARCHIVE_BATCH" not in names


def test_worker_variables_are_narrow(deployment):
    assert set(variables(deployment.get(FUNCTION, "alertGenerator"))) == {"STAGE", "LOG_LEVEL", "DATABASE_URL"}
    assert set(variables(deployment.get(FUNCTION, "attemptReprocessWorker"))) == {
        "STAGE", "LOG_LEVEL", "DATABASE_URL", "SQS_LLM_CLASSIFY_URL"}
    for key in SEED:
        if key != "api":
            assert "SUPABASE_SERVICE_ROLE_KEY" not in variables(deployment.get(FUNCTION, key))


def test_variables_point_at_this_stacks_resources_and_config(deployment):
    api = variables(deployment.get(FUNCTION, "api"))
    queue_url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{SVC}"
    assert api["STAGE"] == "prod"
    assert api["LOG_LEVEL"] == "info"
    assert api["SQS_ATTEMPT_STREAM_URL"] == f"{queue_url}-attempt-stream.fifo"
    assert api["SQS_LLM_CLASSIFY_URL"] == f"{queue_url}-llm-classify-queue"
    assert api["EXERCISE_GENERATE_QUEUE_URL"] == f"{queue_url}-exercise-generate-queue"
    assert api["SQS_ADHOC_SOLVE_URL"] == f"{queue_url}-adhoc-solve-queue"
    assert api["S3_SUBMISSIONS_BUCKET"] == "innova-submissions-prod"
    assert api["S3_OCR_UPLOADS_BUCKET"] == f"{SVC}-ocr-uploads"
    assert api["SSM_LLM_PAUSED_PARAM"] == "/innova/llm/paused"
    assert api["PUBLIC_API_URL"] == "https://api.superprofes.app"
    assert api["CORS_ORIGINS"] == "https://superprofes.app,https://app.superprofes.app"
    assert api["DATABASE_URL"].startswith("postgresql://")
    telemetry = variables(deployment.get(FUNCTION, "telemetryWorker"))
    assert telemetry["S3_RAW_EVENTS_BUCKET"] == f"{SVC}-raw-events-lake"
    ocr = variables(deployment.get(FUNCTION, "ocrWorker"))
    assert ocr["SQS_ATTEMPT_REPROCESS_URL"] == f"{queue_url}-attempt-reprocess-queue"
    assert ocr["SSM_OCR_PAUSED_PARAM"] == "/innova/ocr/paused"


@pytest.mark.parametrize("key", sorted(SEED))
def test_environments_holding_secrets_are_stored_as_secrets(deployment, key):
    environment = deployment.get(FUNCTION, key).inputs["environment"]
    assert is_secret(environment), "DATABASE_URL is a secret: the environment must stay encrypted in state"


def test_every_sqs_mapping_reports_batch_item_failures(deployment):
    """Without it Lambda ignores the returned failure list and deletes the whole batch (infra.md §5.1)."""
    mappings = deployment.of_type(MAPPING)
    assert mappings
    for mapping in mappings:
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"], mapping.name
        assert mapping.inputs["enabled"] is True


@pytest.mark.parametrize("key", sorted(SQS_TRIGGERS))
def test_sqs_mapping_source_batch_size_and_window(deployment, key):
    queue, batch_size, window = SQS_TRIGGERS[key]
    (mapping,) = [m for m in deployment.of_type(MAPPING)
                  if m.inputs["functionName"] == deployment.get(FUNCTION, key).state["arn"]]
    assert mapping.inputs["eventSourceArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"
    assert mapping.inputs["batchSize"] == batch_size
    assert mapping.inputs.get("maximumBatchingWindowInSeconds") == window
    policy = deployment.get("aws:iam/rolePolicy:RolePolicy", f"{key}Policy")
    assert policy.urn in mapping.dependencies  # Lambda checks the role can read the queue


def test_mappings_respect_the_sqs_limits_of_lambda(deployment):
    """FIFO: batch ≤ 10 and no batching window; batch > 10 needs a window ≥ 1 s; window ≤ 300 s."""
    fifo = {q.state["arn"]: q.inputs["fifoQueue"] for q in deployment.of_type("aws:sqs/queue:Queue")}
    for mapping in deployment.of_type(MAPPING):
        batch, window = mapping.inputs["batchSize"], mapping.inputs.get("maximumBatchingWindowInSeconds", 0)
        if fifo[mapping.inputs["eventSourceArn"]]:
            assert batch <= 10 and window == 0, mapping.name
        if batch > 10:
            assert window >= 1, mapping.name
        assert 0 <= window <= 300


def test_only_sqs_workers_have_mappings(deployment):
    functions = {f.state["arn"]: f.name for f in deployment.of_type(FUNCTION)}
    assert sorted(functions[m.inputs["functionName"]] for m in deployment.of_type(MAPPING)) == sorted(SQS_TRIGGERS)


def test_alert_generator_runs_every_hour(deployment):
    (rule,) = deployment.of_type("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["scheduleExpression"] == "rate(1 hour)"
    assert rule.inputs["state"] == "ENABLED"
    (target,) = deployment.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["rule"] == rule.inputs["name"]
    assert target.inputs["arn"] == deployment.get(FUNCTION, "alertGenerator").state["arn"]
    permission = deployment.get("aws:lambda/permission:Permission", "alertGeneratorSchedulePermission")
    assert permission.inputs == {
        "action": "lambda:InvokeFunction",
        "function": f"{SVC}-alertGenerator",
        "principal": "events.amazonaws.com",
        "sourceArn": rule.state["arn"],
    }


def test_no_reserved_or_provisioned_concurrency(deployment):
    for function in deployment.of_type(FUNCTION):
        assert "reservedConcurrentExecutions" not in function.inputs
    assert deployment.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig") == []


def test_function_names_are_an_output(deployment):
    assert deployment.outputs["functionNames"] == {key: function_name(key) for key in SEED}
