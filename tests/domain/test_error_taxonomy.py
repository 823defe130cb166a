"""The error-tag lifecycle and entry rules (domain.md §6), pure."""
from __future__ import annotations

import itertools

import pytest

from chalicelib.domain.error_taxonomy import (
    IllegalTransition, StatusChange, TagStatus, parse_entry, plan_status_change,
)

A, D, X = TagStatus.ACTIVE, TagStatus.DRAFT, TagStatus.DEPRECATED
LEGAL = {(D, A), (D, X), (A, X), (X, A), (A, A), (D, D), (X, X)}


@pytest.mark.parametrize("current, target", list(itertools.product(TagStatus, TagStatus)))
def test_transition_table(current, target):
    if (current, target) in LEGAL:
        assert plan_status_change("ARITH_SUB_X_G3", current, target).status is target
    else:
        with pytest.raises(IllegalTransition, match=f"from {current.value} to {target.value}"):
            plan_status_change("ARITH_SUB_X_G3", current, target)


def test_deprecating_with_a_successor_and_re_deprecating_keeps_or_replaces_it():
    assert plan_status_change("OLD_X_G3", A, X, successor_code="NEW_X_G3", successor_status=A) == \
        StatusChange(X, "NEW_X_G3")
    assert plan_status_change("OLD_X_G3", X, X) == StatusChange(X, None, keep_successor=True)
    assert plan_status_change("OLD_X_G3", X, X, successor_code="NEW_X_G3", successor_status=A) == \
        StatusChange(X, "NEW_X_G3")
    assert plan_status_change("OLD_X_G3", X, A) == StatusChange(A, None)  # revert forgets it


@pytest.mark.parametrize("kwargs, message", [
    ({"successor_code": "OLD_X_G3", "successor_status": A}, "cannot replace itself"),
    ({"successor_code": "NEW_X_G3", "successor_status": D}, "must be ACTIVE"),
    ({"successor_code": "NEW_X_G3", "successor_status": X}, "must be ACTIVE"),
])
def test_bad_successors(kwargs, message):
    with pytest.raises(IllegalTransition, match=message):
        plan_status_change("OLD_X_G3", A, X, **kwargs)


def test_successor_only_when_deprecating_and_specials_stay_active():
    with pytest.raises(IllegalTransition, match="only be given when deprecating"):
        plan_status_change("OLD_X_G3", X, A, successor_code="NEW_X_G3", successor_status=A)
    for code in ("CORRECT", "UNCLASSIFIED"):
        with pytest.raises(IllegalTransition, match="always stays ACTIVE"):
            plan_status_change(code, A, X)
        assert plan_status_change(code, A, A).status is A


def test_entry_defaults_aliases_and_normalisation():
    entry = parse_entry({"code": "ARITH_SUB_X_G3", "description": " Hace algo ", "domain_code": "ARITH",
                         "subdomain": "SUB", "applicable_grades": [4, 3, 4], "severity": "high"})
    assert (entry.domain, entry.subdomain_code, entry.description) == ("ARITH", "SUB", "Hace algo")
    assert entry.applicable_grades == (3, 4) and entry.severity.value == "HIGH"
    assert entry.name == "" and entry.status is None and entry.source is None
    special = parse_entry({"code": "CORRECT", "description": "Correcta"})
    assert special.domain is None and special.subdomain_code is None
