"""The guide state machine is exactly domain.md §5.1, and no sequence of moves leaves the table."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import guide_states
from chalicelib.domain.guide_states import (CompletionDecision, GuideStatus, IllegalCompletion,
                                            IllegalGuideTransition, IngestDecision, SubmissionStatus)

S = GuideStatus

# domain.md §5.1, written out again here so that a change of the module's table fails a test.
SPEC_TABLE = {
    "UPLOADED": {"EXTRACTING", "ARCHIVED"},
    "EXTRACTING": {"GENERATING_SOLUTIONS", "EXTRACTION_FAILED", "ARCHIVED"},
    "EXTRACTION_FAILED": {"EXTRACTING", "ARCHIVED"},
    "GENERATING_SOLUTIONS": {"REVIEW", "GENERATION_FAILED", "ARCHIVED"},
    "GENERATION_FAILED": {"EXTRACTING", "GENERATING_SOLUTIONS", "ARCHIVED"},
    "REVIEW": {"PUBLISHED", "GENERATING_SOLUTIONS", "ARCHIVED"},
    "PUBLISHED": {"ARCHIVED"},
    "ARCHIVED": set(),
}


def test_the_table_is_the_specified_one():
    assert {s.value: {t.value for t in targets} for s, targets in guide_states.TRANSITIONS.items()} == SPEC_TABLE
    assert {s.value for s in GuideStatus} == set(SPEC_TABLE)


@pytest.mark.parametrize("current,target", [("GENERATING_SOLUTIONS", "PUBLISHED"), ("UPLOADED", "PUBLISHED"),
                                            ("EXTRACTING", "REVIEW"), ("PUBLISHED", "REVIEW"),
                                            ("ARCHIVED", "UPLOADED"), ("REVIEW", "REVIEW")])
def test_the_review_gate_cannot_be_skipped_and_the_error_names_both_states(current, target):
    with pytest.raises(IllegalGuideTransition) as caught:
        guide_states.transition(current, target)
    assert current in str(caught.value) and target in str(caught.value)
    assert (caught.value.current.value, caught.value.target.value) == (current, target)


def test_archived_is_terminal_and_reachable_from_every_other_state():
    assert guide_states.reachable_from(S.ARCHIVED) == {S.ARCHIVED}
    for status in GuideStatus:
        if status is not S.ARCHIVED:
            assert guide_states.can_transition(status, S.ARCHIVED)
    assert guide_states.reachable_from(S.UPLOADED) == set(GuideStatus)


def test_published_is_reached_only_from_review():
    assert [s for s in GuideStatus if guide_states.can_transition(s, S.PUBLISHED)] == [S.REVIEW]


def test_unknown_statuses_are_refused():
    with pytest.raises(ValueError):
        guide_states.transition("UPLOADED", "DONE")


@given(st.lists(st.sampled_from(list(GuideStatus)), max_size=40))
def test_no_sequence_of_transition_attempts_leaves_the_table(attempts):
    """Apply arbitrary move attempts from UPLOADED: legal ones move, illegal ones raise and change
    nothing; every state ever held was reached by a move listed in the table."""
    current = S.UPLOADED
    for target in attempts:
        before = current
        try:
            current = guide_states.transition(current, target)
        except IllegalGuideTransition:
            assert target.value not in SPEC_TABLE[before.value]
            assert current is before
        else:
            assert current.value in SPEC_TABLE[before.value]
        assert current in guide_states.reachable_from(S.UPLOADED)


@pytest.mark.parametrize("status", ["UPLOADED", "EXTRACTION_FAILED", "GENERATION_FAILED"])
def test_ingest_starts_from_the_ingestable_states(status):
    assert guide_states.ingest_decision(status) is IngestDecision.START


@pytest.mark.parametrize("status", ["EXTRACTING", "GENERATING_SOLUTIONS"])
def test_ingest_is_a_no_op_while_running(status):
    assert guide_states.ingest_decision(status) is IngestDecision.ALREADY_RUNNING


@pytest.mark.parametrize("status", ["REVIEW", "PUBLISHED", "ARCHIVED"])
def test_ingest_is_refused_elsewhere(status):
    with pytest.raises(IllegalGuideTransition, match=f"Guide in status {status} cannot be ingested"):
        guide_states.ingest_decision(status)


def test_ingestable_states_agree_with_the_table():
    for status in guide_states.INGESTABLE:
        assert guide_states.can_transition(status, S.EXTRACTING)
    assert guide_states.CONTENT_LOCKED == {S.PUBLISHED, S.ARCHIVED}


def test_completion_enqueues_only_from_uploaded_and_refuses_failed():
    assert guide_states.completion_decision("UPLOADED") is CompletionDecision.ENQUEUE
    for status in ("TRANSCRIBING", "GRADING", "GRADED"):
        assert guide_states.completion_decision(status) is CompletionDecision.ALREADY_ENQUEUED
    with pytest.raises(IllegalCompletion, match="Submission already FAILED — cannot complete again"):
        guide_states.completion_decision(SubmissionStatus.FAILED)
