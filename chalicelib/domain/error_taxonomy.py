"""The error catalogue's rules (domain.md §6): entry validation and the status lifecycle. Pure.

Lifecycle (domain.md §6.3 leaves transitions open; this product enforces these):

             promote             deprecate
    DRAFT ────────────▶ ACTIVE ──────────────▶ DEPRECATED
      │                   ▲         revert          │ ▲
      │                   └─────────────────────────┘ │
      └───────────────────── reject ──────────────────┘

- ``DRAFT → ACTIVE`` promotes a reviewed tag; ``DRAFT → DEPRECATED`` rejects it.
- ``ACTIVE → DEPRECATED`` retires a tag, optionally naming its ACTIVE successor (``deprecated_by``).
- ``DEPRECATED → ACTIVE`` reverts a deprecation and forgets the successor.
- Nothing goes back to ``DRAFT``: once published, a code may be on attempts and in the generated
  code list, so it can only be retired, not un-published.
- ``CORRECT`` and ``UNCLASSIFIED`` are always ACTIVE (domain.md §6.4).
- Setting the status a tag already has is a no-op (PATCH is idempotent).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

SPECIAL_CODES = frozenset({"CORRECT", "UNCLASSIFIED"})
CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
SUBDOMAIN_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
CROSS_CUTTING_PART = "TRANSV"  # ARITH_TRANSV_* tags are filed without a subdomain (domain.md §6.5)


class TagStatus(str, Enum):
    ACTIVE = "ACTIVE"
    DRAFT = "DRAFT"
    DEPRECATED = "DEPRECATED"


class TagSource(str, Enum):
    CURATED = "CURATED"
    LLM_GENERATED = "LLM_GENERATED"
    FIELD_REPORTED = "FIELD_REPORTED"


class TagSeverity(str, Enum):
    LOW = "LOW"
    MED = "MED"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


_ALLOWED_MOVES: dict[TagStatus, frozenset[TagStatus]] = {
    TagStatus.DRAFT: frozenset({TagStatus.ACTIVE, TagStatus.DEPRECATED}),
    TagStatus.ACTIVE: frozenset({TagStatus.DEPRECATED}),
    TagStatus.DEPRECATED: frozenset({TagStatus.ACTIVE}),
}


class IllegalTransition(ValueError):
    """The requested status change breaks the lifecycle (the message says why)."""


@dataclass(frozen=True)
class StatusChange:
    """What to store after a legal request.

    ``keep_successor``: leave the tag's current successor as it is (re-deprecating without naming
    one); otherwise store ``successor_code`` (None clears it).
    """

    status: TagStatus
    successor_code: str | None = None
    keep_successor: bool = False


def plan_status_change(code: str, current: TagStatus, target: TagStatus, *,
                       successor_code: str | None = None,
                       successor_status: TagStatus | None = None) -> StatusChange:
    """Check a status change of tag ``code`` and say what to store; raises :class:`IllegalTransition`.

    ``successor_code``/``successor_status`` describe the requested replacement (only allowed when
    deprecating; the caller has checked that it exists).
    """
    if successor_code is not None and target is not TagStatus.DEPRECATED:
        raise IllegalTransition("deprecatedBy can only be given when deprecating")
    if code in SPECIAL_CODES and target is not TagStatus.ACTIVE:
        raise IllegalTransition(f"{code} is a reserved tag and always stays ACTIVE")
    if successor_code is not None:
        if successor_code == code:
            raise IllegalTransition("A tag cannot replace itself")
        if successor_status is not TagStatus.ACTIVE:
            raise IllegalTransition(f"The replacement {successor_code} must be ACTIVE")
    if target is current:
        if target is TagStatus.DEPRECATED:
            return StatusChange(target, successor_code, keep_successor=successor_code is None)
        return StatusChange(target)
    if target not in _ALLOWED_MOVES[current]:
        raise IllegalTransition(f"Cannot change error tag {code} from {current.value} to {target.value}")
    return StatusChange(target, successor_code)


# -- catalogue entries (domain.md §6.1) --------------------------------------------------------

@dataclass(frozen=True)
class CatalogEntry:
    """A validated catalogue entry, as the import writes it (``domain`` is the domain code)."""

    code: str
    name: str
    description: str
    domain: str | None
    subdomain_code: str | None
    topic_scope: str | None
    source: TagSource | None
    status: TagStatus | None
    severity: TagSeverity
    applicable_grades: tuple[int, ...]
    evidence_required: tuple[str, ...]
    diagnostic_hint: str | None
    remediation: str | None
    references: tuple[str, ...]
    deprecated_by: str | None


class InvalidEntry(ValueError):
    """A catalogue entry breaks the entry rules; ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _text(raw: dict, key: str, problems: list[str], *, required: bool = False, max_length: int = 4000) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{key} is required")
        return None
    if not isinstance(value, str):
        problems.append(f"{key} must be a string")
        return None
    value = value.strip()
    if len(value) > max_length:
        problems.append(f"{key} is longer than {max_length} characters")
    return value


def _string_list(raw: dict, key: str, problems: list[str]) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{key} must be a list of strings")
        return ()
    return tuple(v.strip() for v in value if v.strip())


def _enum(raw: dict, key: str, enum: type[Enum], problems: list[str]):
    value = raw.get(key)
    if value is None or value == "":
        return None
    try:
        return enum(str(value).strip().upper())
    except ValueError:
        problems.append(f"{key} must be one of {', '.join(m.value for m in enum)}")
        return None


# Other spellings of the same fields (error-tags.json writes ``subdomain``; exports may write ``domain_code``).
_ALIASES = {"subdomain": "subdomain_code", "domain_code": "domain"}


def parse_entry(raw: dict) -> CatalogEntry:
    """Validate one entry (code pattern, required texts, enums, grades 1–12); raises :class:`InvalidEntry`.

    ``name`` may be empty (freshly imported tags; clients humanise the code — domain.md §6.1).
    The subdomain is required except for the two special codes and cross-cutting ``<D>_TRANSV_*``
    tags, which carry no subdomain.
    """
    if not isinstance(raw, dict):
        raise InvalidEntry(["entry must be an object"])
    raw = {_ALIASES.get(key, key): value for key, value in raw.items()}
    problems: list[str] = []
    code = _text(raw, "code", problems, required=True, max_length=200)
    if code is not None and code not in SPECIAL_CODES and not CODE_PATTERN.match(code):
        problems.append("code must be upper snake case like ARITH_SUB_BORROW_OMITTED_TENS_G3")
    name = _text(raw, "name", problems, max_length=300) or ""
    description = _text(raw, "description", problems, required=True)
    domain = _text(raw, "domain", problems, max_length=64)
    subdomain = _text(raw, "subdomain_code", problems, max_length=64)
    if code in SPECIAL_CODES:
        if domain is not None:
            problems.append(f"{code} carries no domain")
    elif code is not None:
        if domain is None:
            problems.append("domain is required")
        elif not code.startswith(f"{domain}_"):
            problems.append(f"code must start with its domain {domain}_")
        cross_cutting = domain is not None and code.startswith(f"{domain}_{CROSS_CUTTING_PART}_")
        if subdomain is None and not cross_cutting:
            problems.append("subdomain_code is required")
    if subdomain is not None and not SUBDOMAIN_PATTERN.match(subdomain):
        problems.append("subdomain_code must be upper snake case")
    grades_raw = raw.get("applicable_grades")
    grades: tuple[int, ...] = ()
    if grades_raw is not None:
        if (not isinstance(grades_raw, list)
                or not all(isinstance(g, int) and not isinstance(g, bool) and 1 <= g <= 12 for g in grades_raw)):
            problems.append("applicable_grades must be a list of integers from 1 to 12")
        else:
            grades = tuple(sorted(set(grades_raw)))
    source = _enum(raw, "source", TagSource, problems)
    status = _enum(raw, "status", TagStatus, problems)
    severity = _enum(raw, "severity", TagSeverity, problems) or TagSeverity.MED
    evidence = _string_list(raw, "evidence_required", problems)
    references = _string_list(raw, "references", problems)
    deprecated_by = _text(raw, "deprecated_by", problems, max_length=200)
    topic_scope = _text(raw, "topic_scope", problems, max_length=200)
    diagnostic_hint = _text(raw, "diagnostic_hint", problems)
    remediation = _text(raw, "remediation", problems)
    if problems or code is None or description is None:
        raise InvalidEntry(problems)
    return CatalogEntry(code=code, name=name, description=description, domain=domain,
                        subdomain_code=subdomain, topic_scope=topic_scope, source=source, status=status,
                        severity=severity, applicable_grades=grades, evidence_required=evidence,
                        diagnostic_hint=diagnostic_hint, remediation=remediation, references=references,
                        deprecated_by=deprecated_by)
