"""Where guide files live in S3 and what an upload must be (api.md §1.10, infra.md §3).

Key layout (the AI engine reads the same keys):
- teacher PDFs: ``guides/uploads/<uuid>.pdf`` in the guides bucket (365-day lifecycle on the prefix);
- submission photos: ``submissions/<submission_id>/<uuid>.jpg`` in the submissions bucket;
- full-page scans: ``guide-scans/<guide_id>/<student_id>/<uuid>.jpg`` in the submissions bucket.

A student may only hand the API keys under their own prefix (DECISIONS.md §2): :func:`is_own_scan_key`.
Presigned PUTs sign the content type, so S3 refuses an upload with another one; the API checks the
stored object again (type and size) before it hands the file to the pipeline.

Pure: no I/O.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PDF_CONTENT_TYPE = "application/pdf"
PHOTO_CONTENT_TYPE = "image/jpeg"

MAX_PDF_BYTES = 20 * 1024 * 1024
"""A guide PDF may be at most 20 MiB: a 40-page scanned worksheet at 300 dpi stays well below it,
and the ingest job (900 s visibility) must fit a whole extraction of it."""

MAX_PHOTO_BYTES = 10 * 1024 * 1024
"""A submission photo may be at most 10 MiB (a 12-megapixel phone JPEG is 3–6 MiB)."""

_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.jpg$")  # one name: no slash, no leading dot


def new_pdf_key() -> str:
    return f"guides/uploads/{uuid.uuid4()}.pdf"


def new_photo_key(submission_id: str) -> str:
    return f"submissions/{submission_id}/{uuid.uuid4()}.jpg"


def scan_prefix(guide_id: str, student_id: str) -> str:
    return f"guide-scans/{guide_id}/{student_id}/"


def new_scan_key(guide_id: str, student_id: str) -> str:
    return f"{scan_prefix(guide_id, student_id)}{uuid.uuid4()}.jpg"


def is_own_scan_key(key: str, guide_id: str, student_id: str) -> bool:
    """True only for ``guide-scans/<guide_id>/<student_id>/<one file name>.jpg``.

    No ``..``, no further slashes: the key must name one object directly under the caller's prefix.
    """
    prefix = scan_prefix(guide_id, student_id)
    if not key.startswith(prefix):
        return False
    name = key[len(prefix):]
    return bool(_FILE_NAME.match(name)) and ".." not in name


@dataclass(frozen=True)
class StoredUpload:
    """What S3 says about an uploaded object (a HEAD request)."""

    size_bytes: int
    content_type: str | None


class UploadProblem(ValueError):
    """An uploaded object the pipeline must not receive; the message is for people."""


@dataclass(frozen=True)
class UploadRule:
    """What one kind of upload must be, and how each refusal is worded."""

    content_type: str
    max_bytes: int
    missing: str
    wrong_type: str  # {got}
    too_large: str  # {size}, {limit}
    empty: str

    def check(self, upload: StoredUpload | None) -> None:
        """Raise :class:`UploadProblem` unless ``upload`` exists, has the type and fits the limit."""
        if upload is None:
            raise UploadProblem(self.missing)
        if not _same_type(upload.content_type, self.content_type):
            raise UploadProblem(self.wrong_type.format(got=upload.content_type or "none"))
        if upload.size_bytes > self.max_bytes:
            raise UploadProblem(self.too_large.format(size=upload.size_bytes, limit=self.max_bytes))
        if upload.size_bytes == 0:
            raise UploadProblem(self.empty)


PDF_RULE = UploadRule(
    PDF_CONTENT_TYPE, MAX_PDF_BYTES,
    missing="The guide PDF has not been uploaded yet — upload it with the presigned URL first",
    wrong_type=f"The guide file must be a PDF ({PDF_CONTENT_TYPE}), got {{got}}",
    too_large="The guide PDF is {size} bytes; the limit is {limit} bytes (20 MB)",
    empty="The guide PDF is empty")

PHOTO_RULE = UploadRule(
    PHOTO_CONTENT_TYPE, MAX_PHOTO_BYTES,
    missing="Not all photos were uploaded — finish the uploads before completing",
    wrong_type=f"Photos must be {PHOTO_CONTENT_TYPE}, got {{got}}",
    too_large="A photo is {size} bytes; the limit is {limit} bytes (10 MB)",
    empty="A photo is empty — upload it again")


def check_pdf(upload: StoredUpload | None) -> None:
    """The teacher's PDF must be there, be a PDF and stay within :data:`MAX_PDF_BYTES`."""
    PDF_RULE.check(upload)


def check_photo(upload: StoredUpload | None) -> None:
    """A submission photo must be there, be a JPEG and stay within :data:`MAX_PHOTO_BYTES`."""
    PHOTO_RULE.check(upload)


def _same_type(actual: str | None, expected: str) -> bool:
    # "application/pdf; charset=binary" is still a PDF.
    return (actual or "").split(";")[0].strip().lower() == expected
