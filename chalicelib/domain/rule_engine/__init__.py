"""Deterministic error classifier for arithmetic attempts (domain.md §1). Pure: no I/O.

Public import paths::

    from chalicelib.domain.rule_engine import classify, Classification, InvalidAttempt
    from chalicelib.domain.rule_engine import ErrorTag, EMITTED_TAGS, SPECIAL_TAGS
    from chalicelib.domain.rule_engine import routing_key, seeded_topic_routing_key, UNKNOWN_ROUTING_KEY
    from chalicelib.domain.rule_engine import STRATEGIES, REGISTERED_ROUTING_KEYS

``classify(attempt, routing_key)`` takes the attempt record with the field names of domain.md §1.2
(``expected_answer``, ``student_answer``, ``operand_a``, ``operand_b``, ``steps`` …) and returns a
frozen :class:`Classification` (``error_tag``, ``is_correct``, ``confidence``, ``evidence``).
One module per strategy family: ``whole_numbers``, ``signed_integers``, ``fractions``, ``decimals``,
``ratios``, ``linear_equations``, ``powers``; ``registry`` maps routing keys to them.
"""
from chalicelib.domain.rule_engine.classification import Classification, InvalidAttempt
from chalicelib.domain.rule_engine.error_tags import EMITTED_TAGS, SPECIAL_TAGS, ErrorTag
from chalicelib.domain.rule_engine.registry import REGISTERED_ROUTING_KEYS, STRATEGIES, Strategy, classify
from chalicelib.domain.rule_engine.routing import (
    LEGACY_TOPIC_SUBDOMAINS,
    UNKNOWN_ROUTING_KEY,
    routing_key,
    seeded_topic_routing_key,
)

__all__ = [
    "EMITTED_TAGS",
    "LEGACY_TOPIC_SUBDOMAINS",
    "REGISTERED_ROUTING_KEYS",
    "SPECIAL_TAGS",
    "STRATEGIES",
    "UNKNOWN_ROUTING_KEY",
    "Classification",
    "ErrorTag",
    "InvalidAttempt",
    "Strategy",
    "classify",
    "routing_key",
    "seeded_topic_routing_key",
]
