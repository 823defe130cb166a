"""Course mastery views (api.md §4.4, domain.md §2.5): students × taxonomy subdomains. Pure, no I/O.

"Units" on the wire are taxonomy domains and "topics" are subdomains. An attempt is *placed* in a
subdomain by its shown error tag's (domain, subdomain) when that subdomain exists, else by its
exercise's topic's subdomain, else not at all (the caller resolves that, in SQL). A student's value
for a subdomain is the mean ``p_known`` of their mastery records on topics of that subdomain; without
one, the accuracy of the attempts placed there; without those, 0.3.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain.rule_engine.number_text import canonical_text

#: Value of a subdomain with neither mastery records nor placed attempts.
NO_SIGNAL_P_KNOWN = 0.3
COURSE_VIEW_ATTEMPTS = 50  # attempts per student the course view reads
COURSE_VIEW_HISTORY = 20  # of which it returns the most recent
HEATMAP_ATTEMPTS = 100  # attempts per student the heatmap reads (the most recent, DECISIONS.md §7)


@dataclass(frozen=True)
class Subdomain:
    id: str
    code: str
    name: str
    domain_id: str
    domain_code: str
    domain_name: str


@dataclass(frozen=True)
class AttemptView:
    """One of a student's attempts in the course, newest first, with its placement."""

    id: str
    is_correct: bool
    error_tag_code: str | None  # the tag shown (teacher override applied)
    error_tag_name: str | None
    classifier_source: str
    confidence: float | None
    created_at: datetime
    exercise_prompt: Any  # the exercise's raw content.prompt value (None when absent)
    subdomain: Subdomain | None


@dataclass(frozen=True)
class MasteryView:
    topic_id: str
    p_known: float
    subdomain: Subdomain


@dataclass
class SubdomainValue:
    """A student's value for one subdomain and how many of the read attempts are placed there."""

    subdomain: Subdomain
    p_known: float
    attempts_count: int


def prompt_text(value: Any) -> str:
    """``content.prompt`` as the course view shows it: strings as is, numbers and booleans as text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return canonical_text(float(value))
    return ""


def empty_as_null(text: str | None) -> str | None:
    return text or None


def subdomain_values(attempts: Sequence[AttemptView], mastery: Iterable[MasteryView]) -> dict[str, SubdomainValue]:
    """The student's live subdomains (placed attempts or mastery) → value, in order of encounter:
    placed attempts newest first, then mastery records."""
    placed: dict[str, list[AttemptView]] = {}
    known: dict[str, list[float]] = {}
    order: dict[str, Subdomain] = {}
    for attempt in attempts:
        if attempt.subdomain is not None:
            order.setdefault(attempt.subdomain.id, attempt.subdomain)
            placed.setdefault(attempt.subdomain.id, []).append(attempt)
    for record in mastery:
        order.setdefault(record.subdomain.id, record.subdomain)
        known.setdefault(record.subdomain.id, []).append(record.p_known)
    values = {}
    for subdomain_id, subdomain in order.items():
        in_subdomain = placed.get(subdomain_id, [])
        if subdomain_id in known:
            p_known = sum(known[subdomain_id]) / len(known[subdomain_id])
        elif in_subdomain:
            p_known = sum(1 for a in in_subdomain if a.is_correct) / len(in_subdomain)
        else:  # pragma: no cover - a live subdomain has one or the other
            p_known = NO_SIGNAL_P_KNOWN
        values[subdomain_id] = SubdomainValue(subdomain, p_known, len(in_subdomain))
    return values


def _locale_key(text: str) -> tuple[str, str]:
    """Sort key close to JavaScript's ``localeCompare``: accents and case second."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return stripped.casefold(), text


def ordered_for_course_view(values: Iterable[SubdomainValue]) -> list[SubdomainValue]:
    """By domain name (locale order), then subdomain code."""
    return sorted(values, key=lambda v: (_locale_key(v.subdomain.domain_name), v.subdomain.code))


@dataclass(frozen=True)
class ErrorCount:
    error_tag_code: str
    error_tag_name: str | None
    count: int
    percentage: float


def error_frequency(attempts: Iterable[AttemptView]) -> list[ErrorCount]:
    """Incorrect attempts with a tag, counted per tag, most frequent first (ties: first seen)."""
    counts: dict[str, list[Any]] = {}
    for attempt in attempts:
        if not attempt.is_correct and attempt.error_tag_code is not None:
            entry = counts.setdefault(attempt.error_tag_code, [empty_as_null(attempt.error_tag_name), 0])
            entry[1] += 1
    total = sum(entry[1] for entry in counts.values())
    rows = [ErrorCount(code, name, count, count / total) for code, (name, count) in counts.items()]
    return sorted(rows, key=lambda row: row.count, reverse=True)


# -- heatmap ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HeatmapUnit:
    id: str
    code: str
    name: str
    sequence: int


@dataclass(frozen=True)
class HeatmapTopicCell:
    topic_id: str  # subdomain id
    unit_id: str  # domain id
    topic_code: str
    topic_name: str
    p_known: float


@dataclass(frozen=True)
class HeatmapUnitCell:
    unit_id: str
    p_known: float
    topic_count: int


@dataclass(frozen=True)
class HeatmapRow:
    student_id: str
    display_name: str
    units: list[HeatmapUnitCell]
    topics: list[HeatmapTopicCell]


@dataclass
class Heatmap:
    units: list[HeatmapUnit] = field(default_factory=list)
    students: list[HeatmapRow] = field(default_factory=list)


def heatmap(students: Sequence[tuple[str, str, dict[str, SubdomainValue]]]) -> Heatmap:
    """Students × domains with the subdomain drill-down.

    ``students``: ``(student id, display name, subdomain values)`` in roster order. Subdomains are
    listed in the order they were first met scanning the students; units (domains owning a live
    subdomain) by domain code, numbered from 1. A student's unit value is the mean of their
    subdomain values in it.
    """
    first_met: dict[str, Subdomain] = {}
    for _, _, values in students:
        for subdomain_id, value in values.items():
            first_met.setdefault(subdomain_id, value.subdomain)
    domains = {s.domain_id: s for s in first_met.values()}
    ordered_domains = sorted(domains.values(), key=lambda s: (s.domain_code, s.domain_id))
    result = Heatmap(units=[HeatmapUnit(s.domain_id, s.domain_code, s.domain_name, position)
                            for position, s in enumerate(ordered_domains, start=1)])
    for student_id, display_name, values in students:
        topics = [HeatmapTopicCell(sub.id, sub.domain_id, sub.code, sub.name, values[sub_id].p_known)
                  for sub_id, sub in first_met.items() if sub_id in values]
        by_domain: dict[str, list[float]] = {}
        for cell in topics:
            by_domain.setdefault(cell.unit_id, []).append(cell.p_known)
        units = [HeatmapUnitCell(s.domain_id, sum(by_domain[s.domain_id]) / len(by_domain[s.domain_id]),
                                 len(by_domain[s.domain_id]))
                 for s in ordered_domains if s.domain_id in by_domain]
        result.students.append(HeatmapRow(student_id, display_name, units, topics))
    return result
