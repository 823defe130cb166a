"""Topic → routing key (domain.md §1.4).

The caller resolves the topic (by exercise, id, qualified code or unambiguous bare code —
DECISIONS.md §3) and passes its domain and subdomain codes here; nothing in this module reads storage.
"""
from __future__ import annotations

#: Routing key of an attempt whose topic is missing or has no subdomain.
UNKNOWN_ROUTING_KEY = "UNKNOWN"

#: The legacy curriculum topics and the (domain, subdomain) each belongs to, so the seed can link them.
LEGACY_TOPIC_SUBDOMAINS: dict[str, tuple[str, str]] = {
    "T-SUB-BORROW": ("ARITH", "SUB"),
    "T-ADD-CARRY": ("ARITH", "ADD"),
    "T-FRAC-SAME-DENOM": ("FRACT", "ADDSUB"),
}


def routing_key(domain_code: str | None, subdomain_code: str | None) -> str:
    """``<domain code>_<subdomain code>`` of a topic's subdomain; ``UNKNOWN`` without a subdomain.

    A subdomain without a domain gives an empty prefix (``_SUB``), as the spec states; such a key is
    unregistered and therefore takes the fallback.
    """
    if not subdomain_code:
        return UNKNOWN_ROUTING_KEY
    return f"{domain_code or ''}_{subdomain_code}"


def seeded_topic_routing_key(topic_code: str) -> str:
    """Routing key of a *seeded* topic from its code alone, for callers without a topic row.

    Legacy codes map through :data:`LEGACY_TOPIC_SUBDOMAINS`; a qualified code ``<unit>/<topic>``
    maps to ``<unit>_<topic>`` because the seed places each subdomain's topic (code = subdomain
    code) in the unit whose code is the domain code. Anything else is ``UNKNOWN``.
    """
    legacy = LEGACY_TOPIC_SUBDOMAINS.get(topic_code)
    if legacy is not None:
        return routing_key(*legacy)
    unit_code, separator, code = topic_code.partition("/")
    if separator and unit_code and code:
        return routing_key(unit_code, code)
    return UNKNOWN_ROUTING_KEY
