"""Errors that services raise and every edge understands.

Services know nothing about HTTP: they raise these, and the HTTP edge maps each class to a status
and envelope code (``chalicelib/api/envelope.py``); workers map them to a failed batch item.
A foreign resource is reported exactly like a missing one (:class:`NotFound`), so ids can't be probed.
"""
from __future__ import annotations


class InnovaError(Exception):
    """Base class: ``message`` is a string, or a list of strings for several field problems."""

    def __init__(self, message: str | list[str], *, details: list[dict] | None = None):
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.message = message
        self.details = details


class InvalidInput(InnovaError):
    """Bad input (400). ``details`` lists ``{"field", "message"}`` pairs when fields are known."""


class Unauthenticated(InnovaError):
    """No valid credentials (401)."""


class PermissionDenied(InnovaError):
    """The caller's role may not use this operation at all (403)."""


class NotFound(InnovaError):
    """Unknown id, or a resource the caller may not see (404)."""


class Conflict(InnovaError):
    """Illegal state change or duplicate (409)."""


class Unavailable(InnovaError):
    """A dependency is not configured or not reachable (503)."""
