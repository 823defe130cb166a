"""The Claude classifier adapter against the local Anthropic fake: the real SDK, real HTTP requests."""
from __future__ import annotations

import pytest

from chalicelib.ai.claude_classifier import ClaudeClassifier
from chalicelib.ai.errors import MalformedOutput, ProviderError, ProviderNotConfigured
from chalicelib.ai.prompts import AttemptToClassify, Catalog, CatalogTag, classification_prompt
from tests.fakes.anthropic_server import AnthropicFake

MODEL = "claude-haiku-4-5-20251001"
CODES = ("ARITH_SUB_BORROW_OMITTED_TENS_G3", "ARITH_ADD_CARRY_OMITTED_G3")


@pytest.fixture
def fake():
    with AnthropicFake() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


def classifier(fake: AnthropicFake, sleeps: list[float], **kwargs) -> ClaudeClassifier:
    options = {"api_key": "sk-test", "base_url": fake.url, "model": MODEL, "max_tokens": 4096,
               "sleep": sleeps.append, **kwargs}
    return ClaudeClassifier(**options)


PROMPT = classification_prompt(Catalog("d-arith", "ARITH", "Aritmética",
                                       tuple(CatalogTag(code, f"description of {code}") for code in CODES)))


def attempts(n: int = 2) -> list[AttemptToClassify]:
    return [AttemptToClassify(f"att-{i}", "T-SUB", "SUB", "52 - 27 = ?", "25",
                              ({"expression": "35", "isFinal": True},), "35" if i else "25") for i in range(n)]


def answer(*rows: tuple[str, str, float], evidence: str = "En las unidades resta 7 − 2.") -> dict:
    return {"classifications": [{"attempt_id": a, "error_type": e, "evidence": evidence, "confidence": c}
                                for a, e, c in rows]}


def test_the_request_carries_the_cached_system_block_the_forced_tool_and_the_attempts(fake, sleeps):
    reply = classifier(fake, sleeps).classify(PROMPT, attempts())
    [request] = fake.requests
    body = request.body
    assert request.path == "/v1/messages" and request.api_key == "sk-test"
    assert body["model"] == MODEL and body["max_tokens"] == 4096 and body["temperature"] == 0
    assert body["system"] == [{"type": "text", "text": PROMPT.system_text, "cache_control": {"type": "ephemeral"}}]
    assert [tool["name"] for tool in body["tools"]] == ["classify_errors"]
    assert body["tools"][0]["input_schema"] == PROMPT.tool()["input_schema"]
    assert body["tool_choice"] == {"type": "tool", "name": "classify_errors"}
    assert len(body["messages"]) == 1 and body["messages"][0]["role"] == "user"
    assert "att-0" in request.user_text() and "att-1" in request.user_text()
    # The fake's default answer: CORRECT where the answers match, the first code otherwise.
    assert [(c.attempt_id, c.error_type) for c in reply.classifications] == [("att-0", "CORRECT"), ("att-1", CODES[0])]
    assert reply.model == MODEL and reply.message_id.startswith("msg_") and reply.retries == 0


def test_the_second_call_reads_the_prefix_from_the_cache(fake, sleeps):
    adapter = classifier(fake, sleeps)
    first = adapter.classify(PROMPT, attempts(2)).usage
    second = adapter.classify(PROMPT, attempts(3)).usage
    assert first.cache_creation_input_tokens >= 4096 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    assert second.cache_hit_rate > 0.9


@pytest.mark.parametrize("failures, expected_sleeps", [((429,), [1.0]), ((500, 529), [1.0, 2.0])])
def test_rate_limits_and_server_errors_are_retried_with_backoff(fake, sleeps, failures, expected_sleeps):
    fake.script(*[fake.error(status) for status in failures],
                fake.tool_use("classify_errors", answer(("att-0", "CORRECT", 1.0))))
    reply = classifier(fake, sleeps).classify(PROMPT, attempts(1))
    assert reply.retries == len(failures) and sleeps == expected_sleeps
    assert len(fake.requests) == len(failures) + 1


def test_errors_after_two_retries_give_up(fake, sleeps):
    fake.script(fake.error(529), fake.error(529), fake.error(529), fake.error(529))
    with pytest.raises(ProviderError) as failure:
        classifier(fake, sleeps).classify(PROMPT, attempts(1))
    assert failure.value.reason == "overloaded" and failure.value.status == 529 and failure.value.retries == 2
    assert len(fake.requests) == 3


def test_a_refused_request_is_not_retried(fake, sleeps):
    fake.script(fake.error(400, "bad request"))
    with pytest.raises(ProviderError) as failure:
        classifier(fake, sleeps).classify(PROMPT, attempts(1))
    assert failure.value.reason == "request_refused" and len(fake.requests) == 1 and sleeps == []


def test_no_retry_without_enough_invocation_time(fake, sleeps):
    left = iter([40.0, 15.5])  # enough for the call, not for a 1 s back-off plus 15 s
    fake.script(fake.error(429))
    with pytest.raises(ProviderError) as failure:
        classifier(fake, sleeps).classify(PROMPT, attempts(1), time_left=lambda: next(left))
    assert failure.value.reason == "rate_limited" and sleeps == [] and len(fake.requests) == 1


def test_a_time_out_is_a_provider_error(fake, sleeps):
    fake.script(fake.delay(1.5))
    with pytest.raises(ProviderError) as failure:
        classifier(fake, sleeps, timeout_seconds=0.3).classify(PROMPT, attempts(1))
    assert failure.value.reason == "timeout"


def test_prose_instead_of_the_tool_is_malformed_output(fake, sleeps):
    fake.script(fake.text("The first attempt is correct."))
    with pytest.raises(MalformedOutput) as failure:
        classifier(fake, sleeps).classify(PROMPT, attempts(1))
    assert "no classify_errors tool_use block" in str(failure.value)
    assert failure.value.usage.output_tokens > 0  # billed all the same


@pytest.mark.parametrize("bad_input, where", [
    (answer(("att-0", "CORRECT", 1.5)), "confidence"),
    (answer(("att-0", "CORRECT", "0.9")), "confidence"),
    ({"classifications": [{"attempt_id": "att-0", "error_type": "CORRECT", "confidence": 0.9}]}, "evidence"),
    ({"classifications": []}, "classifications"),
    ({"results": []}, "classifications"),
])
def test_tool_input_violating_the_schema_is_malformed_output(fake, sleeps, bad_input, where):
    fake.script(fake.tool_use("classify_errors", bad_input))
    with pytest.raises(MalformedOutput) as failure:
        classifier(fake, sleeps).classify(PROMPT, attempts(1))
    assert where in str(failure.value)


def test_overlong_evidence_is_cut_and_unknown_codes_pass_through(fake, sleeps):
    fake.script(fake.tool_use("classify_errors", answer(("att-0", "NOT_A_CODE", 0.8), evidence="x" * 400)))
    [classification] = classifier(fake, sleeps).classify(PROMPT, attempts(1)).classifications
    assert len(classification.evidence) == 300 and classification.error_type == "NOT_A_CODE"


def test_without_an_api_key_nothing_is_sent(fake, sleeps):
    with pytest.raises(ProviderNotConfigured):
        classifier(fake, sleeps, api_key=None).classify(PROMPT, attempts(1))
    assert fake.requests == []
