"""What a model call costs (workers.md §0.5): one price table, token usage, cache figures.

Prices are USD per million tokens (Anthropic list prices). A model id is looked up without its
``-YYYYMMDD`` snapshot suffix (``claude-haiku-4-5-20251001`` → ``claude-haiku-4-5``): the replaced
system keyed the table by the short id while calling with dated ids, so every cost read 0. Unknown
models — every Gemini model among them (free tier) — cost 0.0, and cost code never raises.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SNAPSHOT_SUFFIX = re.compile(r"-\d{8}$")


@dataclass(frozen=True)
class ModelPrice:
    """USD per one million tokens."""

    input: float
    output: float
    cache_write: float  # 5-minute TTL writes: 1.25 × input
    cache_read: float   # 0.1 × input


PRICES: dict[str, ModelPrice] = {
    "claude-haiku-4-5": ModelPrice(input=1.00, output=5.00, cache_write=1.25, cache_read=0.10),
    "claude-sonnet-4-6": ModelPrice(input=3.00, output=15.00, cache_write=3.75, cache_read=0.30),
}

# The shortest prefix Anthropic caches, per model family (anchors.md §4): below it a call succeeds
# but both cache counters stay 0.
MINIMUM_CACHEABLE_TOKENS: dict[str, int] = {
    "claude-haiku-4-5": 4096,
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-sonnet-4-6": 1024,
    "claude-sonnet-4-5": 1024,
}
DEFAULT_MINIMUM_CACHEABLE_TOKENS = 4096  # unknown model: assume the strictest floor


def pricing_key(model: str) -> str:
    """The model id without a trailing ``-YYYYMMDD`` snapshot suffix."""
    return _SNAPSHOT_SUFFIX.sub("", model or "")


def minimum_cacheable_tokens(model: str) -> int:
    return MINIMUM_CACHEABLE_TOKENS.get(pricing_key(model), DEFAULT_MINIMUM_CACHEABLE_TOKENS)


@dataclass(frozen=True)
class TokenUsage:
    """A provider's usage block; ``input_tokens`` is the *uncached* input the API reports."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @classmethod
    def from_provider(cls, usage: Any) -> "TokenUsage":
        """From an SDK usage object or dict; missing or null counters are 0."""
        def count(name: str) -> int:
            value = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
            try:
                return max(int(value or 0), 0)
            except (TypeError, ValueError):
                return 0

        if usage is None:
            return cls()
        return cls(count("input_tokens"), count("output_tokens"), count("cache_creation_input_tokens"),
                   count("cache_read_input_tokens"))

    def __add__(self, other: "TokenUsage") -> "TokenUsage":
        return TokenUsage(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens,
                          self.cache_creation_input_tokens + other.cache_creation_input_tokens,
                          self.cache_read_input_tokens + other.cache_read_input_tokens)

    @property
    def total_input_tokens(self) -> int:
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    @property
    def cache_hit_rate(self) -> float:
        """Share of the input read from the cache (0 when there was no input)."""
        total = self.total_input_tokens
        return self.cache_read_input_tokens / total if total else 0.0


def cost_usd(model: str, usage: TokenUsage) -> float:
    """The price of one call; 0.0 for models without a price (Gemini's free tier included)."""
    price = PRICES.get(pricing_key(model))
    if price is None:
        return 0.0
    return (usage.input_tokens * price.input + usage.output_tokens * price.output
            + usage.cache_creation_input_tokens * price.cache_write
            + usage.cache_read_input_tokens * price.cache_read) / 1_000_000
