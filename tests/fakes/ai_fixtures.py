"""pytest fixtures that point the application's AI settings at the local fakes.

Import them into a test module (``from tests.fakes.ai_fixtures import anthropic_fake, gemini_fake``);
each test gets its own servers, so scripted replies and the prompt cache never leak between tests.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import dependencies
from tests.fakes.anthropic_server import AnthropicFake
from tests.fakes.gemini_server import GeminiFake

ANTHROPIC_TEST_KEY = "sk-ant-test-key"
GEMINI_TEST_KEY = "AIza-test-key"


@pytest.fixture
def anthropic_fake(monkeypatch) -> Iterator[AnthropicFake]:
    """The Anthropic fake; ``ANTHROPIC_BASE_URL``/``ANTHROPIC_API_KEY`` point at it."""
    fake = AnthropicFake()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_TEST_KEY)
    dependencies.reset()
    yield fake
    fake.stop()
    dependencies.reset()


@pytest.fixture
def gemini_fake(monkeypatch) -> Iterator[GeminiFake]:
    """The Gemini fake; ``GEMINI_BASE_URL``/``GEMINI_API_KEY`` point at it."""
    fake = GeminiFake()
    monkeypatch.setenv("GEMINI_BASE_URL", fake.url)
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_TEST_KEY)
    dependencies.reset()
    yield fake
    fake.stop()
    dependencies.reset()
