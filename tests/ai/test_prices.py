"""The price table and cost formula of workers.md §0.5."""
from __future__ import annotations

import pytest

from chalicelib.ai.prices import PRICES, TokenUsage, cost_usd, minimum_cacheable_tokens, pricing_key


def test_reference_values_of_the_spec():
    haiku = cost_usd("claude-haiku-4-5-20251001", TokenUsage(input_tokens=200, output_tokens=100,
                                                              cache_read_input_tokens=800))
    sonnet = cost_usd("claude-sonnet-4-6", TokenUsage(input_tokens=1000, output_tokens=500,
                                                      cache_creation_input_tokens=2000, cache_read_input_tokens=4000))
    assert haiku == pytest.approx(0.00078, abs=1e-12)
    assert sonnet == pytest.approx(0.0192, abs=1e-12)


def test_dated_model_ids_are_priced_by_their_short_key():
    assert pricing_key("claude-haiku-4-5-20251001") == "claude-haiku-4-5"
    assert pricing_key("claude-sonnet-4-6") == "claude-sonnet-4-6"
    usage = TokenUsage(input_tokens=1_000_000)
    assert cost_usd("claude-haiku-4-5-20251001", usage) == cost_usd("claude-haiku-4-5", usage) == 1.0


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "claude-unknown-9", "", "claude-opus-4-6-20260101"])
def test_models_without_a_price_cost_nothing(model):
    assert model not in PRICES
    assert cost_usd(model, TokenUsage(input_tokens=10_000, output_tokens=10_000)) == 0.0


def test_cache_writes_and_reads_are_priced_against_input():
    haiku = PRICES["claude-haiku-4-5"]
    assert haiku.cache_write == pytest.approx(1.25 * haiku.input)
    assert haiku.cache_read == pytest.approx(0.1 * haiku.input)


def test_derived_figures():
    usage = TokenUsage(input_tokens=100, output_tokens=50, cache_creation_input_tokens=300,
                       cache_read_input_tokens=600)
    assert usage.total_input_tokens == 1000
    assert usage.cache_hit_rate == pytest.approx(0.6)
    assert TokenUsage().cache_hit_rate == 0.0
    assert (usage + usage).cache_read_input_tokens == 1200


def test_usage_from_a_provider_block_defaults_missing_counters_to_zero():
    assert TokenUsage.from_provider({"input_tokens": 12, "output_tokens": 3,
                                     "cache_creation_input_tokens": None}) == TokenUsage(12, 3, 0, 0)
    assert TokenUsage.from_provider(None) == TokenUsage()
    assert TokenUsage.from_provider({"input_tokens": "x"}) == TokenUsage()


def test_minimum_cacheable_prefix_per_model():
    assert minimum_cacheable_tokens("claude-haiku-4-5-20251001") == 4096
    assert minimum_cacheable_tokens("claude-sonnet-4-6") == 1024
    assert minimum_cacheable_tokens("some-future-model") == 4096
