"""S3Storage against the moto server: a browser-style PUT through a presigned URL really lands."""
from __future__ import annotations

import urllib.request

from chalicelib.messaging.s3_storage import S3Storage


def _http(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request) as reply:  # noqa: S310 - local moto endpoint
        return reply.status, reply.read()


def test_presigned_put_then_get_round_trip_with_metadata(aws):
    storage = S3Storage()
    bucket = aws.bucket_names["ocr_uploads"]
    url = storage.presign_put(bucket, "uploads/s1/u1.jpg", content_type="image/jpeg", ttl_seconds=600,
                              metadata={"attempt-id": "a-1"})
    assert "X-Amz-Signature" in url and "checksum" not in url.lower()
    status, _ = _http("PUT", url, b"\xff\xd8jpeg-bytes", {"Content-Type": "image/jpeg", "x-amz-meta-attempt-id": "a-1"})
    assert status == 200
    assert storage.exists(bucket, "uploads/s1/u1.jpg") and not storage.exists(bucket, "uploads/s1/none.jpg")
    stored = storage.get(bucket, "uploads/s1/u1.jpg")
    assert stored.body == b"\xff\xd8jpeg-bytes" and stored.content_type == "image/jpeg"
    assert stored.metadata == {"attempt-id": "a-1"} and stored.version
    assert _http("GET", storage.presign_get(bucket, "uploads/s1/u1.jpg", ttl_seconds=300))[1] == b"\xff\xd8jpeg-bytes"
