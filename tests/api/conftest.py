"""Fixtures of the API tests: schools of data, a student and their headers, a caller that speaks as a person."""
from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import ProxyResponse
from tests.factories import Person, School, build_school


@pytest.fixture
def schools(db) -> tuple[School, School]:
    """Schools ``a`` and ``b`` (``tests.factories.build_school``): each a course, teacher, students, parent."""
    return build_school(db, "a"), build_school(db, "b")


@pytest.fixture
def school(db) -> School:
    """School ``a`` with two students; a module that needs another school overrides this fixture
    (``student`` and ``pupil`` then use the module's)."""
    return build_school(db, "a", students=2)


@pytest.fixture
def student(school: School) -> Person:
    """The first student of ``school``."""
    return school.students[0]


@pytest.fixture
def pupil(tokens, student: Person) -> dict[str, str]:
    """Request headers speaking as ``student`` (bearer token, JSON content type)."""
    return tokens.headers(**student.claims)


@pytest.fixture
def call(gateway, tokens) -> Callable[..., ProxyResponse]:
    """``call(method, path, person=None, body=None, query=None)`` through API Gateway proxy events,
    with ``person``'s bearer token (none when ``person`` is None); ``body`` is sent as JSON."""
    def _call(method: str, path: str, person: Person | None = None, body=None,
              query: dict[str, str] | None = None) -> ProxyResponse:
        headers = tokens.headers(**person.claims) if person else {"Content-Type": "application/json"}
        return gateway.request(method, path, headers=headers, query=query,
                               body=json.dumps(body) if body is not None else None)
    return _call
