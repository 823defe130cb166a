"""Key layout of guide files, the caller's own scan prefix, and what an upload must be."""
from __future__ import annotations

import re

import pytest

from chalicelib.domain.guide_uploads import (MAX_PDF_BYTES, MAX_PHOTO_BYTES, StoredUpload, UploadProblem, check_pdf,
                                             check_photo, is_own_scan_key, new_pdf_key, new_photo_key,
                                             new_scan_key)

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_keys_follow_the_layout_of_the_spec():
    assert re.fullmatch(rf"guides/uploads/{UUID}\.pdf", new_pdf_key())
    assert re.fullmatch(rf"submissions/sub-1/{UUID}\.jpg", new_photo_key("sub-1"))
    key = new_scan_key("g-1", "s-1")
    assert re.fullmatch(rf"guide-scans/g-1/s-1/{UUID}\.jpg", key)
    assert is_own_scan_key(key, "g-1", "s-1")


@pytest.mark.parametrize("key", [
    "guide-scans/g-1/s-2/a.jpg",          # another student
    "guide-scans/g-2/s-1/a.jpg",          # another guide
    "guide-scans/g-1/s-1/",               # no file
    "guide-scans/g-1/s-1/x/a.jpg",        # a deeper key
    "guide-scans/g-1/s-1/../s-2/a.jpg",   # climbing out
    "guide-scans/g-1/s-1/..jpg",
    "guide-scans/g-1/s-1/a.png",
    "guide-scans/g-1/s-10/a.jpg",         # a prefix of another id is not the caller's prefix
    "submissions/x/a.jpg",
    "uploads/s-1/a.jpg",
])
def test_keys_outside_the_callers_own_prefix_are_refused(key):
    assert not is_own_scan_key(key, "g-1", "s-1")


def test_pdf_checks():
    check_pdf(StoredUpload(1000, "application/pdf"))
    check_pdf(StoredUpload(MAX_PDF_BYTES, "application/pdf; charset=binary"))
    with pytest.raises(UploadProblem, match="not been uploaded"):
        check_pdf(None)
    with pytest.raises(UploadProblem, match="must be a PDF"):
        check_pdf(StoredUpload(1000, "image/png"))
    with pytest.raises(UploadProblem, match="limit is 20971520 bytes"):
        check_pdf(StoredUpload(MAX_PDF_BYTES + 1, "application/pdf"))
    with pytest.raises(UploadProblem, match="empty"):
        check_pdf(StoredUpload(0, "application/pdf"))


def test_photo_checks():
    check_photo(StoredUpload(10, "image/jpeg"))
    with pytest.raises(UploadProblem, match="Not all photos were uploaded"):
        check_photo(None)
    with pytest.raises(UploadProblem, match="image/jpeg"):
        check_photo(StoredUpload(10, "application/x-www-form-urlencoded"))
    with pytest.raises(UploadProblem, match="limit"):
        check_photo(StoredUpload(MAX_PHOTO_BYTES + 1, "image/jpeg"))
