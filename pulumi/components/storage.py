"""The S3 buckets of ``resources.BUCKETS`` (infra.md §3) and the bucket holding the Lambda artifact.

Every bucket: all four Block Public Access settings, SSE-S3 default encryption, no versioning.
CORS and lifecycle rules come from ``resources``. The upload bucket's notification is wired by the
functions component (it needs the OCR function), so this bucket has exactly one notification owner.
"""
from __future__ import annotations

import pulumi
import pulumi_aws as aws

from chalicelib import resources


class Storage(pulumi.ComponentResource):
    """Buckets by their ``resources`` key, plus ``artifacts`` (deployment packages, not in resources)."""

    ARTIFACTS = "artifacts"

    def __init__(self, name: str, *, stage: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("innova:infra:Storage", name, None, opts)
        self.stage = stage
        self.buckets: dict[str, aws.s3.Bucket] = {}
        for spec in resources.BUCKETS.values():
            self._bucket(spec.key, spec.logical_name, spec.name(stage), spec.cors, spec.lifecycle)
        # Lambda accepts at most 50 MB zipped by direct upload and the artifact is close to that;
        # from S3 the limit is 250 MB unzipped, and the six functions share one uploaded object.
        self._bucket(self.ARTIFACTS, "ArtifactsBucket", f"{resources.SERVICE}-{stage}-lambda-artifacts")
        self.register_outputs({key: bucket.bucket for key, bucket in self.buckets.items()})

    def name(self, key: str) -> pulumi.Output[str]:
        return self.buckets[key].bucket

    def arn(self, key: str) -> pulumi.Output[str]:
        return self.buckets[key].arn

    def publish_artifact(self, path: str, sha256: str) -> aws.s3.BucketObjectv2:
        """Upload the deployment zip under a content-addressed key: a new build is a new key, so
        every function picks it up, and an unchanged build changes nothing."""
        return aws.s3.BucketObjectv2(
            "LambdaArtifact",
            bucket=self.buckets[self.ARTIFACTS].id,
            key=f"lambda/{sha256}.zip",
            source=pulumi.FileAsset(path),
            server_side_encryption="AES256",
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _bucket(self, key: str, logical_name: str, physical_name: str, cors: resources.CorsRule | None = None,
                lifecycle: resources.LifecycleRule | None = None) -> aws.s3.Bucket:
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(logical_name, bucket=physical_name, opts=child)
        aws.s3.BucketPublicAccessBlock(
            f"{logical_name}PublicAccessBlock",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{logical_name}Encryption",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        if cors is not None:
            aws.s3.BucketCorsConfiguration(
                f"{logical_name}Cors",
                bucket=bucket.id,
                cors_rules=[{
                    "allowed_methods": list(cors.methods),
                    "allowed_origins": list(cors.origins),
                    "allowed_headers": list(cors.headers),
                    "max_age_seconds": cors.max_age_seconds,
                }],
                opts=child,
            )
        if lifecycle is not None:
            aws.s3.BucketLifecycleConfiguration(
                f"{logical_name}Lifecycle",
                bucket=bucket.id,
                rules=[{
                    "id": lifecycle.rule_id,
                    "status": "Enabled",
                    "filter": {"prefix": lifecycle.prefix},  # "" = the whole bucket
                    "expiration": {"days": lifecycle.expire_after_days},
                }],
                opts=child,
            )
        self.buckets[key] = bucket
        return bucket
