"""Fixtures for the store tests: a database with *no* migrations applied."""
from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from chalicelib.store.database import Database

_counter = itertools.count()


@pytest.fixture
def empty_database_factory(postgres_server_url: str) -> Iterator[Callable[[], str]]:
    """Creates empty databases on demand (URLs); all are dropped after the test.

    Names start with ``innova_test_`` so the session fixture also sweeps leftovers of a crashed run.
    """
    admin = Database.from_url(postgres_server_url)
    created: list[str] = []

    def create() -> str:
        name = f"innova_test_empty_{os.getpid()}_{next(_counter)}"
        admin.execute_script(f'CREATE DATABASE "{name}"')
        created.append(name)
        parts = urlsplit(postgres_server_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))

    yield create
    for name in created:
        admin.execute_script(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def empty_database_url(empty_database_factory: Callable[[], str]) -> str:
    """URL of a fresh database without any table."""
    return empty_database_factory()


@pytest.fixture
def empty_db(empty_database_url: str) -> Iterator[Database]:
    """A connection to a fresh database without any table."""
    database = Database.from_url(empty_database_url)
    yield database
    database.close()
