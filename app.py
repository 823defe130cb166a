"""Innova Serverless: the six Lambda functions of one Chalice application.

- ``app`` — the REST API (API Gateway proxy); routes live in ``chalicelib/api/routes/``.
- ``telemetry_worker``, ``llm_classifier_worker``, ``attempt_reprocess_worker`` — SQS consumers
  returning partial-batch responses.
- ``ocr_worker`` — S3 ``ObjectCreated`` on the OCR upload bucket.
- ``alert_generator`` — hourly schedule.

Declarations only: each handler makes one call into ``chalicelib``, imported on first use so that
every function pays only for its own dependencies at cold start. Queue and bucket names come from
``chalicelib/resources.py``, the definitions Pulumi deploys (Pulumi, not Chalice, creates the
triggers: Chalice cannot set ``ReportBatchItemFailures``).
"""
import os

from chalice import Rate

from chalicelib import resources
from chalicelib.api.gateway import InnovaChalice
from chalicelib.api.routes import (
    admin, alerts, assignments, attempts, auth, classrooms, docs, guides, health, items, mastery, ocr,
    parent, practice, skills, student_guides,
)
from chalicelib.logs import configure_logging
from chalicelib.settings import check_lambda_environment

STAGE = os.environ.get("STAGE") or "dev"
configure_logging(os.environ.get("LOG_LEVEL") or "info")
check_lambda_environment()  # a function missing a required variable fails here, naming it

app = InnovaChalice(app_name=resources.SERVICE)
app.api.binary_types = list(resources.API_BINARY_MEDIA_TYPES)
for area in (health, docs, auth, attempts, ocr, mastery, skills, items, classrooms, guides, student_guides,
             assignments, practice, alerts, parent, admin):
    app.register_blueprint(area.routes.blueprint)


@app.on_sqs_message(queue=resources.QUEUES["attempt_stream"].name(STAGE), batch_size=10)
def telemetry_worker(event):
    from chalicelib.workers import telemetry_persister
    return telemetry_persister.handle(event)


@app.on_sqs_message(queue=resources.QUEUES["llm_classify"].name(STAGE), batch_size=20,
                    maximum_batching_window_in_seconds=60)
def llm_classifier_worker(event):
    from chalicelib.workers import llm_classifier
    return llm_classifier.handle(event)


@app.on_s3_event(bucket=resources.BUCKETS["ocr_uploads"].name(STAGE), events=["s3:ObjectCreated:*"])
def ocr_worker(event):
    from chalicelib.workers import ocr_transcriber
    return ocr_transcriber.handle(event)


@app.schedule(Rate(1, unit=Rate.HOURS), name="alertGenerator")
def alert_generator(event):
    from chalicelib.workers import alert_generator as generator
    return generator.handle(event)


@app.on_sqs_message(queue=resources.QUEUES["attempt_reprocess"].name(STAGE), batch_size=10)
def attempt_reprocess_worker(event):
    from chalicelib.workers import attempt_reprocessor
    return attempt_reprocessor.handle(event)
