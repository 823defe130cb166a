"""pytest fixtures that point the application's AI settings at the local fakes and its cost switches at SSM.

Registered for every test by ``pytest_plugins`` in ``tests/conftest.py`` (ask for ``anthropic_fake``,
``gemini_fake``, ``ai_switches`` or ``ssm_switches``); each test gets its own servers and its own SSM
parameter names, so scripted replies, the prompt cache and a paused switch never leak between tests.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import dependencies
from tests.fakes.anthropic_server import AnthropicFake
from tests.fakes.gemini_server import GeminiFake

ANTHROPIC_TEST_KEY = "sk-ant-test-key"
GEMINI_TEST_KEY = "AIza-test-key"


def _serve(monkeypatch, fake: Any, base_url_setting: str, key_setting: str, key: str) -> Iterator[Any]:
    monkeypatch.setenv(base_url_setting, fake.url)
    monkeypatch.setenv(key_setting, key)
    dependencies.reset()
    yield fake
    fake.stop()
    dependencies.reset()


@pytest.fixture
def anthropic_fake(monkeypatch) -> Iterator[AnthropicFake]:
    """The Anthropic fake; ``ANTHROPIC_BASE_URL``/``ANTHROPIC_API_KEY`` point at it."""
    yield from _serve(monkeypatch, AnthropicFake(), "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", ANTHROPIC_TEST_KEY)


@pytest.fixture
def gemini_fake(monkeypatch) -> Iterator[GeminiFake]:
    """The Gemini fake; ``GEMINI_BASE_URL``/``GEMINI_API_KEY`` point at it."""
    yield from _serve(monkeypatch, GeminiFake(), "GEMINI_BASE_URL", "GEMINI_API_KEY", GEMINI_TEST_KEY)


class CostSwitches:
    """``LLM_PAUSED`` and ``OCR_PAUSED`` under SSM parameter names of one test (moto)."""

    def __init__(self, aws: Any, names: dict[str, str]):
        self._aws, self.names = aws, names

    def set(self, switch: str, paused: bool) -> None:
        from chalicelib import killswitches

        self._aws.client("ssm").put_parameter(Name=self.names[switch], Value="true" if paused else "false",
                                              Type="String", Overwrite=True)
        killswitches.clear_cache()  # the workers cache reads for up to 60 s


@pytest.fixture
def ai_switches(aws, monkeypatch) -> Iterator[CostSwitches]:
    """Both cost switches, unset (= not paused); ``ai_switches.set("OCR_PAUSED", True)`` pauses OCR."""
    from chalicelib import killswitches

    names = {"LLM_PAUSED": f"/test/{aws.stage}/llm/paused", "OCR_PAUSED": f"/test/{aws.stage}/ocr/paused"}
    monkeypatch.setenv("SSM_LLM_PAUSED_PARAM", names["LLM_PAUSED"])
    monkeypatch.setenv("SSM_OCR_PAUSED_PARAM", names["OCR_PAUSED"])
    dependencies.reset()
    killswitches.clear_cache()
    yield CostSwitches(aws, names)
    killswitches.clear_cache()


@pytest.fixture
def ssm_switches(aws, monkeypatch):
    """The raw SSM client, with parameter names unique to this test for the two configurable switches
    (``/<stage>/llm/paused``, ``/<stage>/ocr/paused``) and the fixed guide switches deleted before and after."""
    from chalicelib import killswitches

    monkeypatch.setenv("SSM_LLM_PAUSED_PARAM", f"/{aws.stage}/llm/paused")
    monkeypatch.setenv("SSM_OCR_PAUSED_PARAM", f"/{aws.stage}/ocr/paused")
    dependencies.reset()
    killswitches.clear_cache()
    ssm = aws.client("ssm")
    fixed = ["/innova/guides/grading_paused", "/innova/guides/solution_paused"]
    ssm.delete_parameters(Names=fixed)
    yield ssm
    ssm.delete_parameters(Names=fixed)
    killswitches.clear_cache()
