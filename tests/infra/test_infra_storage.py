"""S3 buckets: public access, encryption, CORS, lifecycle, the upload notification (infra.md §3)."""
import pytest

from infra_harness import ACCOUNT

BUCKET = "aws:s3/bucket:Bucket"
SVC = "innova-backend-serverless-prod"
BUCKETS = {
    "OcrUploadsBucket": f"{SVC}-ocr-uploads",
    "GuidesBucket": f"{SVC}-guides",
    "SubmissionsBucket": "innova-submissions-prod",
    "RawEventsLakeBucket": f"{SVC}-raw-events-lake",
    "ArtifactsBucket": f"{SVC}-lambda-artifacts",
}
CORS = {
    "OcrUploadsBucket": ["PUT"],
    "GuidesBucket": ["PUT", "GET"],
    "SubmissionsBucket": ["PUT", "GET"],
}
LIFECYCLE = {
    "OcrUploadsBucket": ("PurgeAfter30Days", "", 30),
    "GuidesBucket": ("PurgeUploadsAfter1Year", "guides/uploads/", 365),
    "SubmissionsBucket": ("PurgePhotosAfter30Days", "", 30),
}


def settings_of(deployment, type_, bucket_name):
    return [r.inputs for r in deployment.of_type(type_) if r.inputs["bucket"] == bucket_name]


def test_buckets_have_their_explicit_names(deployment):
    assert {b.name: b.inputs["bucket"] for b in deployment.of_type(BUCKET)} == BUCKETS


@pytest.mark.parametrize("logical", sorted(BUCKETS))
def test_every_bucket_blocks_all_public_access(deployment, logical):
    (block,) = settings_of(deployment, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", BUCKETS[logical])
    for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block[setting] is True, setting


@pytest.mark.parametrize("logical", sorted(BUCKETS))
def test_every_bucket_is_encrypted_with_s3_managed_keys(deployment, logical):
    (encryption,) = settings_of(
        deployment, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        BUCKETS[logical],
    )
    assert encryption["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]


@pytest.mark.parametrize("logical", sorted(BUCKETS))
def test_cors_rules(deployment, logical):
    rules = settings_of(deployment, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", BUCKETS[logical])
    if logical not in CORS:
        assert rules == []
        return
    (cors,) = rules
    assert cors["corsRules"] == [{
        "allowedMethods": CORS[logical], "allowedOrigins": ["*"], "allowedHeaders": ["*"], "maxAgeSeconds": 3000,
    }]


@pytest.mark.parametrize("logical", sorted(BUCKETS))
def test_lifecycle_rules(deployment, logical):
    rules = settings_of(deployment, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                        BUCKETS[logical])
    if logical not in LIFECYCLE:
        assert rules == []  # the raw-events lake is the cold record; artifacts are replaced by key
        return
    rule_id, prefix, days = LIFECYCLE[logical]
    (lifecycle,) = rules
    assert lifecycle["rules"] == [
        {"id": rule_id, "status": "Enabled", "filter": {"prefix": prefix}, "expiration": {"days": days}}
    ]


def test_upload_bucket_notifies_only_the_ocr_worker_of_every_created_object(deployment):
    notifications = deployment.of_type("aws:s3/bucketNotification:BucketNotification")
    assert len(notifications) == 1  # one owner per bucket: S3 keeps a single configuration
    (notification,) = notifications
    ocr = deployment.get("aws:lambda/function:Function", "ocrWorker")
    assert notification.inputs["bucket"] == BUCKETS["OcrUploadsBucket"]
    assert notification.inputs["lambdaFunctions"] == [
        {"lambdaFunctionArn": ocr.state["arn"], "events": ["s3:ObjectCreated:*"]}  # no prefix filter
    ]


def test_s3_may_invoke_the_ocr_worker_only_for_this_bucket_and_account(deployment):
    permission = deployment.get("aws:lambda/permission:Permission", "ocrWorkerBucketPermission")
    assert permission.inputs == {
        "action": "lambda:InvokeFunction",
        "function": f"{SVC}-ocrWorker",
        "principal": "s3.amazonaws.com",
        "sourceArn": f"arn:aws:s3:::{BUCKETS['OcrUploadsBucket']}",
        "sourceAccount": ACCOUNT,
    }
    notification = deployment.get("aws:s3/bucketNotification:BucketNotification", "OcrUploadsBucketNotification")
    assert permission.urn in notification.dependencies  # S3 validates the target when saving


def test_the_artifact_is_uploaded_under_its_content_hash_and_runs_every_function(deployment, artifact_zip):
    import hashlib

    digest = hashlib.sha256(artifact_zip.read_bytes()).hexdigest()
    upload = deployment.get("aws:s3/bucketObjectv2:BucketObjectv2", "LambdaArtifact").inputs
    assert upload["bucket"] == BUCKETS["ArtifactsBucket"]
    assert upload["key"] == f"lambda/{digest}.zip"
    for function in deployment.of_type("aws:lambda/function:Function"):
        assert (function.inputs["s3Bucket"], function.inputs["s3Key"]) == (upload["bucket"], upload["key"])


def test_bucket_names_are_outputs(deployment):
    for logical, name in BUCKETS.items():
        if logical != "ArtifactsBucket":
            assert deployment.outputs[f"{logical}Name"] == name
