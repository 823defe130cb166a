"""OCR through the real SDKs against the local Gemini and Anthropic fakes: requests, fallback rules, statuses."""
from __future__ import annotations

import base64
import json

import pytest

from chalicelib.ai.claude_vision import ClaudeVision
from chalicelib.ai.gemini_vision import GeminiVision
from chalicelib.ai.images import prepare_image
from chalicelib.ai.ocr_orchestrator import OcrOrchestrator
from chalicelib.ai.ocr_prompts import EXERCISES_SCHEMA, STEPS_SCHEMA
from tests.ai import image_samples as samples
from tests.fakes.anthropic_server import AnthropicFake
from tests.fakes.gemini_server import GeminiFake

IMAGE = prepare_image(samples.jpeg_with_exif())


@pytest.fixture
def gemini():
    with GeminiFake() as fake:
        yield fake


@pytest.fixture
def claude():
    with AnthropicFake() as fake:
        yield fake


def orchestrator(gemini, claude, *, paused=lambda: False, gemini_key="AIza-key", claude_key="sk-key",
                 **kwargs) -> OcrOrchestrator:
    return OcrOrchestrator(GeminiVision(api_key=gemini_key, model="gemini-2.5-flash", base_url=gemini.url),
                           ClaudeVision(api_key=claude_key, model="claude-haiku-4-5-20251001", base_url=claude.url),
                           is_paused=paused, **kwargs)


def steps(confidence: float, *lines: str, answer: str = "225") -> dict:
    return {"latex_steps": list(lines or ["352 - 127 = 225"]), "final_answer": answer,
            "overall_confidence": confidence, "topic_hint": "subtraction_borrow"}


def test_gemini_receives_the_cleaned_image_and_the_structured_output_config(gemini, claude):
    gemini.script(gemini.json_reply(steps(0.93, "352 - 127", "= 225")))
    outcome = orchestrator(gemini, claude).read_steps(IMAGE)
    [request] = gemini.requests
    assert request.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert request.api_key == "AIza-key"
    assert request.inline_images() == [("image/jpeg", IMAGE.data)]
    assert samples.GPS_MARKER not in request.inline_images()[0][1]
    config = request.generation_config
    assert config["responseMimeType"] == "application/json" and config["responseJsonSchema"] == STEPS_SCHEMA
    assert config["temperature"] == 0 and config["maxOutputTokens"] == 8192
    assert "verbatim" in request.text().lower() and "never correct" in request.system_instruction
    assert claude.requests == []  # 0.93 ≥ 0.7: no fallback
    assert outcome.transcription.latex_steps == ("352 - 127", "= 225")
    assert (outcome.provider, outcome.used_fallback, outcome.fallback_provider) == ("gemini", False, None)
    assert outcome.status() == "completed" and outcome.cost_usd == 0.0
    assert outcome.calls[0].usage.input_tokens > 0


def test_low_gemini_confidence_asks_claude_with_the_image_and_a_forced_tool(gemini, claude):
    gemini.script(gemini.json_reply(steps(0.4)))
    claude.script(claude.tool_use("extract_math_steps", steps(0.8, "352 - 127 = 235", answer="235")))
    outcome = orchestrator(gemini, claude).read_steps(IMAGE)
    [request] = claude.requests
    assert request.body["tool_choice"] == {"type": "tool", "name": "extract_math_steps"}
    assert request.body["tools"][0]["input_schema"] == STEPS_SCHEMA
    assert request.body["max_tokens"] == 1024 and request.body["temperature"] == 0
    [source] = request.images()
    assert source["media_type"] == "image/jpeg" and base64.b64decode(source["data"]) == IMAGE.data
    assert outcome.provider == "claude" and outcome.used_fallback and outcome.fallback_provider == "claude"
    assert outcome.transcription.final_answer == "235"
    assert len(outcome.calls) == 2 and outcome.cost_usd > 0  # Claude is priced, Gemini is free


def test_claude_is_kept_only_with_a_strictly_higher_confidence(gemini, claude):
    gemini.script(gemini.json_reply(steps(0.6)))
    claude.script(claude.tool_use("extract_math_steps", steps(0.6, answer="999")))
    outcome = orchestrator(gemini, claude).read_steps(IMAGE)
    assert outcome.provider == "gemini" and not outcome.used_fallback and outcome.fallback_provider == "claude"
    assert outcome.transcription.final_answer == "225" and outcome.status() == "completed"


@pytest.mark.parametrize("reply", ["error429", "garbage", "blocked"])
def test_a_failed_gemini_call_is_an_empty_reading_that_triggers_the_fallback(gemini, claude, reply):
    gemini.script({"error429": gemini.error(429, "quota"), "garbage": gemini.text_reply("I cannot read this"),
                   "blocked": gemini.blocked()}[reply])
    claude.script(claude.tool_use("extract_math_steps", steps(0.75)))
    outcome = orchestrator(gemini, claude).read_steps(IMAGE)
    assert outcome.calls[0].error in ("rate_limited", "malformed_output")
    assert outcome.provider == "claude" and outcome.status() == "completed"


@pytest.mark.parametrize("text", ['```json\n{"latex_steps": ["1+1=2"], "final_answer": "2", "overall_confidence": 0.9}\n```',
                                  'Here it is: {"latex_steps": ["1+1=2"], "final_answer": "2", "overall_confidence": "0.9"} done'])
def test_gemini_text_around_the_json_is_tolerated(gemini, claude, text):
    gemini.script(gemini.text_reply(text))
    outcome = orchestrator(gemini, claude).read_steps(IMAGE)
    assert outcome.transcription.latex_steps == ("1+1=2",) and outcome.transcription.overall_confidence == 0.9
    assert claude.requests == []


def test_confidences_are_clamped(gemini, claude):
    gemini.script(gemini.json_reply(steps(7)))
    assert orchestrator(gemini, claude).read_steps(IMAGE).transcription.overall_confidence == 1.0
    gemini.script(gemini.json_reply(steps("high")))  # type: ignore[arg-type]
    claude.script(claude.tool_use("extract_math_steps", steps(-3)))
    outcome = orchestrator(gemini, claude).read_steps(IMAGE)
    assert outcome.transcription.overall_confidence == 0.0 and outcome.status() == "low_confidence_review"


def test_both_providers_failing_is_a_failed_and_retryable_outcome(gemini, claude):
    gemini.script(gemini.error(503))
    claude.script(claude.error(529))
    outcome = orchestrator(gemini, claude).read_steps(IMAGE)
    assert outcome.all_failed and outcome.transient_failure and outcome.status() == "failed"
    assert outcome.error_message == "ocr_providers_failed: gemini: server_error; claude: overloaded"


def test_no_configured_provider_is_failed_without_a_call(gemini, claude):
    outcome = orchestrator(gemini, claude, gemini_key=None, claude_key=None).read_steps(IMAGE)
    assert gemini.requests == [] and claude.requests == []
    assert outcome.status() == "failed" and outcome.error_message.startswith("provider_unconfigured")
    assert not outcome.transient_failure


def test_paused_means_no_provider_call(gemini, claude):
    outcome = orchestrator(gemini, claude, paused=lambda: True).read_steps(IMAGE)
    assert gemini.requests == [] and claude.requests == []
    assert outcome.paused and outcome.status() == "failed" and outcome.error_message == "paused_due_to_cost"


def test_the_switch_is_checked_again_before_claude(gemini, claude):
    answers = iter([False, True])
    gemini.script(gemini.json_reply(steps(0.3)))
    outcome = orchestrator(gemini, claude, paused=lambda: next(answers)).read_steps(IMAGE)
    assert len(gemini.requests) == 1 and claude.requests == []
    assert outcome.paused and outcome.status() == "failed"


@pytest.mark.parametrize("confidence, lines, status", [(0.5, ("1",), "completed"), (0.49, ("1",), "low_confidence_review"),
                                                       (0.9, (), "low_confidence_review")])
def test_review_threshold_and_empty_steps(gemini, claude, confidence, lines, status):
    value = {**steps(confidence), "latex_steps": list(lines)}
    gemini.script(gemini.json_reply(value))
    claude.script(claude.tool_use("extract_math_steps", {**value, "overall_confidence": 0.0}))
    assert orchestrator(gemini, claude).read_steps(IMAGE).status(0.5) == status


def test_heic_photos_get_no_claude_fallback(gemini, claude):
    heic = prepare_image(samples.heic_with_exif()[0])
    gemini.script(gemini.json_reply(steps(0.2)))
    outcome = orchestrator(gemini, claude).read_steps(heic)
    assert gemini.requests[0].inline_images()[0][0] == "image/heic"
    assert claude.requests == [] and outcome.provider == "gemini" and outcome.fallback_provider is None


def test_a_tight_time_budget_skips_the_fallback(gemini, claude):
    clock = iter([0.0, 0.0, 26.0])  # deadline set at 0; Gemini starts at 0; after it only 4 s are left
    gemini.script(gemini.json_reply(steps(0.3)))
    outcome = orchestrator(gemini, claude, clock=lambda: next(clock)).read_steps(IMAGE, time_budget_seconds=30)
    assert len(gemini.requests) == 1 and claude.requests == [] and outcome.provider == "gemini"


def test_a_page_reads_several_exercises_with_the_multi_exercise_schema(gemini, claude):
    page = {"exercises": [{"problem": "52 - 27", "latex_steps": ["52-27=35"], "final_answer": "35",
                           "overall_confidence": 0.9, "topic_hint": None},
                          {"problem": "3/4 + 1/4", "latex_steps": ["\\frac{4}{4}", "1"], "final_answer": "1",
                           "overall_confidence": 0.8}]}
    gemini.script(gemini.json_reply(page))
    claude.script(claude.tool_use("extract_exercises", {"exercises": page["exercises"][:1]}))
    outcome = orchestrator(gemini, claude).read_page(IMAGE)
    assert gemini.requests[0].response_schema == EXERCISES_SCHEMA
    # Page confidence 0.85 is not below the in-request threshold: Claude is not asked.
    assert outcome.page.confidence == pytest.approx(0.85) and claude.requests == []
    assert [problem for problem, _ in outcome.page.exercises] == ["52 - 27", "3/4 + 1/4"]


def test_a_doubtful_page_asks_claude_which_wins_only_when_more_confident(gemini, claude):
    low = {"exercises": [{"problem": "52 - 27", "latex_steps": ["35"], "final_answer": "35", "overall_confidence": 0.5}]}
    high = {"exercises": [{"problem": "52 - 27", "latex_steps": ["25"], "final_answer": "25", "overall_confidence": 0.9}]}
    gemini.script(gemini.json_reply(low))
    claude.script(claude.tool_use("extract_exercises", high))
    outcome = orchestrator(gemini, claude).read_page(IMAGE)
    assert json.loads(json.dumps(claude.requests[0].body["tools"][0]["input_schema"])) == EXERCISES_SCHEMA
    assert outcome.provider == "claude" and outcome.used_fallback
    assert outcome.page.exercises[0][1].final_answer == "25"


def test_a_page_with_errors_everywhere_is_empty_not_an_exception(gemini, claude):
    gemini.script(gemini.error(500))
    claude.script(claude.error(500))
    outcome = orchestrator(gemini, claude).read_page(IMAGE)
    assert outcome.page.exercises == () and outcome.provider is None and outcome.page.confidence == 0.0
