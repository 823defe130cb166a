"""SQS queues, DLQs, redrive policies and their stack outputs (infra.md §2)."""
import json

import pytest

from infra_harness import ACCOUNT, REGION

QUEUE = "aws:sqs/queue:Queue"
SVC = "innova-backend-serverless-prod"

# infra.md §2.1–2.2: logical name → (physical name, visibility s, DLQ logical name, maxReceiveCount)
SOURCE_QUEUES = {
    "AttemptStreamQueue": (f"{SVC}-attempt-stream.fifo", "AttemptStreamDLQ", 5),
    "LlmClassifyQueue": (f"{SVC}-llm-classify-queue", "LlmClassifyDLQ", 3),
    "OcrQueue": (f"{SVC}-ocr-queue", None, None),
    "AttemptReprocessQueue": (f"{SVC}-attempt-reprocess-queue", "AttemptReprocessDLQ", 5),
    "GuideIngestQueue": (f"{SVC}-guide-ingest-queue", "GuideIngestDLQ", 3),
    "SolutionGenQueue": (f"{SVC}-solution-generation-queue", "SolutionGenDLQ", 3),
    "SubmissionGradeQueue": (f"{SVC}-submission-grade-queue", "SubmissionGradeDLQ", 3),
    "ExerciseGenerateQueue": (f"{SVC}-exercise-generate-queue", "ExerciseGenerateDLQ", 3),
    "AdhocSolveQueue": (f"{SVC}-adhoc-solve-queue", "AdhocSolveDLQ", 3),
}
DEAD_LETTER_QUEUES = {
    "AttemptStreamDLQ": f"{SVC}-attempt-stream-dlq.fifo",
    "LlmClassifyDLQ": f"{SVC}-llm-classify-dlq",
    "AttemptReprocessDLQ": f"{SVC}-attempt-reprocess-dlq",
    "GuideIngestDLQ": f"{SVC}-guide-ingest-dlq",
    "SolutionGenDLQ": f"{SVC}-solution-generation-dlq",
    "SubmissionGradeDLQ": f"{SVC}-submission-grade-dlq",
    "ExerciseGenerateDLQ": f"{SVC}-exercise-generate-dlq",
    "AdhocSolveDLQ": f"{SVC}-adhoc-solve-dlq",
}
# Queues consumed by the external AI engine keep the visibility of infra.md §2.1.
AI_ENGINE_VISIBILITY = {"GuideIngestQueue": 900, "SolutionGenQueue": 900, "SubmissionGradeQueue": 180,
                        "ExerciseGenerateQueue": 360, "AdhocSolveQueue": 360, "OcrQueue": 60}


def arn(name):
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def test_exactly_the_specified_queues_exist_with_explicit_names(deployment):
    registered = {q.name: q.inputs["name"] for q in deployment.of_type(QUEUE)}
    expected = {k: v[0] for k, v in SOURCE_QUEUES.items()} | DEAD_LETTER_QUEUES
    assert registered == expected


def test_attempt_stream_is_fifo_with_content_based_dedup_and_a_fifo_dlq(deployment):
    stream = deployment.get(QUEUE, "AttemptStreamQueue").inputs
    assert stream["fifoQueue"] is True
    assert stream["contentBasedDeduplication"] is True
    dlq = deployment.get(QUEUE, "AttemptStreamDLQ").inputs
    assert dlq["fifoQueue"] is True and dlq["name"].endswith(".fifo")


def test_every_other_queue_is_standard(deployment):
    for queue in deployment.of_type(QUEUE):
        if queue.name not in ("AttemptStreamQueue", "AttemptStreamDLQ"):
            assert queue.inputs["fifoQueue"] is False, queue.name
            assert "contentBasedDeduplication" not in queue.inputs, queue.name


@pytest.mark.parametrize("logical", sorted(DEAD_LETTER_QUEUES))
def test_dead_letter_queues_keep_messages_14_days_with_default_visibility(deployment, logical):
    dlq = deployment.get(QUEUE, logical).inputs
    assert dlq["messageRetentionSeconds"] == 1_209_600
    assert dlq["visibilityTimeoutSeconds"] == 30
    assert "redrivePolicy" not in dlq  # no DLQ of a DLQ


@pytest.mark.parametrize("logical", sorted(SOURCE_QUEUES))
def test_source_queue_retention_and_redrive_policy(deployment, logical):
    _, dlq, max_receive = SOURCE_QUEUES[logical]
    queue = deployment.get(QUEUE, logical).inputs
    assert queue["messageRetentionSeconds"] == 86_400
    if dlq is None:
        assert "redrivePolicy" not in queue
    else:
        # Built from the DLQ's ARN output (the mock derives it from the DLQ's registered name).
        assert json.loads(queue["redrivePolicy"]) == {
            "deadLetterTargetArn": deployment.get(QUEUE, dlq).state["arn"], "maxReceiveCount": max_receive,
        }
        assert deployment.get(QUEUE, dlq).state["arn"] == arn(DEAD_LETTER_QUEUES[dlq])


def test_redrive_policy_waits_for_the_dlq(deployment):
    queue = deployment.get(QUEUE, "LlmClassifyQueue")
    assert deployment.get(QUEUE, "LlmClassifyDLQ").urn in queue.dependencies


def test_queues_use_sqs_managed_encryption(deployment):
    assert all(q.inputs["sqsManagedSseEnabled"] is True for q in deployment.of_type(QUEUE))


def test_ai_engine_queues_keep_their_visibility_timeouts(deployment):
    for logical, seconds in AI_ENGINE_VISIBILITY.items():
        assert deployment.get(QUEUE, logical).inputs["visibilityTimeoutSeconds"] == seconds, logical


def test_consumed_queues_stay_invisible_for_six_times_the_function_timeout(deployment):
    """AWS guidance (anchors §6): visibility ≥ 6× the consuming function's timeout, checked on
    what is deployed: each mapping's queue against its function's registered timeout."""
    mappings = deployment.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert len(mappings) == 3
    queues = {q.state["arn"]: q.inputs for q in deployment.of_type(QUEUE)}
    functions = {f.state["arn"]: f.inputs for f in deployment.of_type("aws:lambda/function:Function")}
    for mapping in mappings:
        queue = queues[mapping.inputs["eventSourceArn"]]
        function = functions[mapping.inputs["functionName"]]
        assert queue["visibilityTimeoutSeconds"] >= 6 * function["timeout"], queue["name"]


def test_ai_engine_arn_outputs_keep_the_former_export_names(deployment):
    expected = {
        "innova-prod-LlmClassifyQueueArn": arn(f"{SVC}-llm-classify-queue"),
        "innova-prod-GuideIngestQueueArn": arn(f"{SVC}-guide-ingest-queue"),
        "innova-prod-SolutionGenQueueArn": arn(f"{SVC}-solution-generation-queue"),
        "innova-prod-SubmissionGradeQueueArn": arn(f"{SVC}-submission-grade-queue"),
        "innova-prod-AttemptReprocessQueueArn": arn(f"{SVC}-attempt-reprocess-queue"),
        "innova-prod-ExerciseGenerateQueueArn": arn(f"{SVC}-exercise-generate-queue"),
        "innova-prod-AdhocSolveQueueArn": arn(f"{SVC}-adhoc-solve-queue"),
    }
    assert {k: v for k, v in deployment.outputs.items() if k.endswith("QueueArn")} == expected


def test_every_queue_url_is_an_output(deployment):
    for queue in deployment.of_type(QUEUE):
        assert deployment.outputs[f"{queue.name}Url"] == queue.state["url"]
