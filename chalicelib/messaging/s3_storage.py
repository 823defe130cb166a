"""S3 access: presigned PUT/GET URLs for browsers, and the few object reads/writes the code does.

Presigned URLs are signed against the configured endpoint (moto locally, path-style) and never
embed a payload checksum, so a browser can PUT arbitrary bytes (api.md §1.10). A PUT URL signs
the ``Content-Type`` (and any metadata), so the client must send exactly those headers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    content_type: str | None
    metadata: dict[str, str]
    version: str  # ETag (or VersionId when versioning is on): identifies this upload


@dataclass(frozen=True)
class ObjectInfo:
    size_bytes: int
    content_type: str | None
    metadata: dict[str, str]


class StorageUnavailable(RuntimeError):
    """S3 could not be reached or refused the request (not a missing object)."""


class ObjectStorage(Protocol):
    def presign_put(self, bucket: str, key: str, *, content_type: str, ttl_seconds: int,
                    metadata: dict[str, str] | None = None) -> str: ...

    def presign_get(self, bucket: str, key: str, *, ttl_seconds: int) -> str: ...

    def exists(self, bucket: str, key: str) -> bool: ...

    def head(self, bucket: str, key: str) -> ObjectInfo | None: ...

    def get(self, bucket: str, key: str) -> StoredObject: ...

    def put(self, bucket: str, key: str, body: bytes, *, content_type: str) -> None: ...


class S3Storage:
    """boto3-backed :class:`ObjectStorage` (client created on first use)."""

    def __init__(self, s3_client: Any = None):
        self._client = s3_client

    @property
    def client(self) -> Any:
        if self._client is None:
            from chalicelib import aws

            self._client = aws.client("s3")
        return self._client

    def presign_put(self, bucket: str, key: str, *, content_type: str, ttl_seconds: int,
                    metadata: dict[str, str] | None = None) -> str:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "ContentType": content_type}
        if metadata:
            params["Metadata"] = metadata
        return self.client.generate_presigned_url("put_object", Params=params, ExpiresIn=ttl_seconds,
                                                  HttpMethod="PUT")

    def presign_get(self, bucket: str, key: str, *, ttl_seconds: int) -> str:
        return self.client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                                  ExpiresIn=ttl_seconds)

    def exists(self, bucket: str, key: str) -> bool:
        return self.head(bucket, key) is not None

    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        """Size, content type and metadata of an object (one HEAD request); None when it is absent."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            reply = self.client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StorageUnavailable(f"HEAD {bucket}/{key} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"HEAD {bucket}/{key} failed: {exc}") from exc
        return ObjectInfo(size_bytes=int(reply.get("ContentLength") or 0), content_type=reply.get("ContentType"),
                          metadata=dict(reply.get("Metadata") or {}))

    def get(self, bucket: str, key: str) -> StoredObject:
        reply = self.client.get_object(Bucket=bucket, Key=key)
        return StoredObject(body=reply["Body"].read(), content_type=reply.get("ContentType"),
                            metadata=dict(reply.get("Metadata") or {}),
                            version=reply.get("VersionId") or (reply.get("ETag") or "").strip('"'))

    def put(self, bucket: str, key: str, body: bytes, *, content_type: str) -> None:
        self.client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
