"""Reading one file field of a ``multipart/form-data`` request body with the standard library.

The ``email`` package parses MIME multipart bodies (RFC 7578 form data is MIME); no extra dependency
is needed for the one upload route. Problems are 400s that name the field.
"""
from __future__ import annotations

from email import policy
from email.parser import BytesParser

from chalicelib import errors


def _invalid(field: str, message: str, kind: str) -> errors.InvalidInput:
    return errors.InvalidInput([f"{field}: {message}"], details=[{"field": field, "message": message, "type": kind}])


def file_field(body: bytes | None, content_type: str | None, field: str) -> bytes:
    """The bytes of the form field ``field``; 400 when the body is not multipart or lacks the field."""
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise _invalid(field, "send the file as multipart/form-data", "content_type")
    if "boundary=" not in content_type:
        raise _invalid(field, "the multipart Content-Type has no boundary", "content_type")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + (body or b""))
    if not message.is_multipart():
        raise _invalid(field, "the multipart body could not be read", "multipart")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            payload = part.get_payload(decode=True)
            if not payload:
                raise _invalid(field, "the file is empty", "empty")
            return payload
    raise _invalid(field, "field required", "missing")
