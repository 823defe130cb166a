"""boto3 clients, created lazily and cached per container; ``AWS_ENDPOINT_URL`` routes them to moto.

boto3 costs ~130 ms to import, so it is imported on the first client request, not at cold start.
"""
from __future__ import annotations

import functools
from typing import Any

from chalicelib.settings import get_settings


@functools.cache
def client(service: str) -> Any:
    """The cached boto3 client for ``service`` (``"sqs"``, ``"s3"``, ``"ssm"``)."""
    import boto3
    from botocore.config import Config

    settings = get_settings()
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        signature_version="s3v4" if service == "s3" else None,  # SigV4 presigned URLs everywhere
        connect_timeout=3,
        read_timeout=10,
        # Local emulators need path-style S3 URLs; presigned URLs then point at the endpoint.
        s3={"addressing_style": "path"} if settings.aws_endpoint_url else None,
        # Presigned PUTs must not embed a checksum of an empty body (api.md §1.10).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client(service, region_name=settings.aws_region,
                        endpoint_url=settings.aws_endpoint_url, config=config)


def reset_clients() -> None:
    client.cache_clear()
