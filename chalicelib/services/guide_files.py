"""The guides and submissions buckets as the guide services use them (api.md §1.10, infra.md §3).

Wraps the object storage with the bucket names and URL lifetimes from the settings: presigned PUTs
that sign the content type, presigned GETs, and a HEAD that reports what was really uploaded.
A bucket setting that is unset makes the operation unavailable (503) before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib import errors
from chalicelib.domain.guide_uploads import PDF_CONTENT_TYPE, PHOTO_CONTENT_TYPE, StoredUpload
from chalicelib.messaging.s3_storage import ObjectStorage, StorageUnavailable
from chalicelib.settings import Settings


@dataclass(frozen=True)
class GuideFiles:
    storage: ObjectStorage
    settings: Settings

    # -- buckets -------------------------------------------------------------------------------

    @property
    def guides_bucket(self) -> str:
        return self._bucket("S3_GUIDES_BUCKET")

    @property
    def submissions_bucket(self) -> str:
        return self._bucket("S3_SUBMISSIONS_BUCKET")

    def _bucket(self, setting: str) -> str:
        name = getattr(self.settings, setting.lower())
        if not name:
            raise errors.Unavailable(f"{setting} not configured")
        return name

    # -- URLs ----------------------------------------------------------------------------------

    def pdf_upload_url(self, key: str) -> str:
        return self.storage.presign_put(self.guides_bucket, key, content_type=PDF_CONTENT_TYPE,
                                        ttl_seconds=self.settings.guides_presigned_put_ttl)

    def pdf_download_url(self, key: str) -> str:
        return self.storage.presign_get(self.guides_bucket, key, ttl_seconds=self.settings.guides_presigned_get_ttl)

    def photo_upload_url(self, key: str) -> str:
        return self.storage.presign_put(self.submissions_bucket, key, content_type=PHOTO_CONTENT_TYPE,
                                        ttl_seconds=self.settings.guides_presigned_put_ttl)

    def photo_download_url(self, key: str) -> str:
        return self.storage.presign_get(self.submissions_bucket, key,
                                        ttl_seconds=self.settings.submissions_presigned_get_ttl)

    # -- what was uploaded ---------------------------------------------------------------------

    def uploaded_pdf(self, key: str) -> StoredUpload | None:
        return self._head(self.guides_bucket, key)

    def uploaded_photo(self, key: str) -> StoredUpload | None:
        return self._head(self.submissions_bucket, key)

    def _head(self, bucket: str, key: str) -> StoredUpload | None:
        """Size and content type of an object (one HEAD request); None when it does not exist."""
        try:
            info = self.storage.head(bucket, key)
        except StorageUnavailable as exc:
            raise errors.Unavailable("Object storage unavailable, retry shortly") from exc
        return None if info is None else StoredUpload(size_bytes=info.size_bytes, content_type=info.content_type)
