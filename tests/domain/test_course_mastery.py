"""Pure course-mastery aggregation: values per subdomain, ordering, error frequencies, heatmap."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain import course_mastery as views

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
ALG = views.Subdomain("sd-eq", "EQ", "Ecuaciones", "d-alg", "ALG", "Álgebra")
ARI = views.Subdomain("sd-sub", "SUB", "Resta", "d-ari", "ARITH", "Aritmética")
ARI_ADD = views.Subdomain("sd-add", "ADD", "Suma", "d-ari", "ARITH", "Aritmética")
BAS = views.Subdomain("sd-cmp", "CMP", "Comparar", "d-bas", "BAS", "básicos")


def attempt(key: str, subdomain, *, correct: bool = False, tag: str | None = None, name: str | None = None):
    return views.AttemptView(key, correct, tag, name, "RULE", 0.9, NOW, None, subdomain)


def test_a_subdomain_value_is_mastery_else_accuracy():
    values = views.subdomain_values(
        [attempt("1", ARI, correct=True), attempt("2", ALG, correct=True), attempt("3", ALG), attempt("4", None)],
        [views.MasteryView("t1", 0.2, ARI), views.MasteryView("t2", 0.6, ARI), views.MasteryView("t3", 0.9, BAS)])
    assert list(values) == ["sd-sub", "sd-eq", "sd-cmp"]  # attempts first, in order, then mastery
    assert [(v.p_known, v.attempts_count) for v in values.values()] == [(0.4, 1), (0.5, 2), (0.9, 0)]


def test_course_view_order_is_by_domain_name_ignoring_accents_and_case_then_code():
    values = views.subdomain_values([], [views.MasteryView("a", 0.5, s) for s in (ARI, BAS, ALG, ARI_ADD)])
    ordered = views.ordered_for_course_view(values.values())
    assert [(v.subdomain.domain_name, v.subdomain.code) for v in ordered] == [
        ("Álgebra", "EQ"), ("Aritmética", "ADD"), ("Aritmética", "SUB"), ("básicos", "CMP")]


def test_prompt_text_follows_javascript_string_conversion():
    assert [views.prompt_text(v) for v in ("3 + 4", 12, 2.5, 12.0, True, None, {"a": 1}, [1])] == \
        ["3 + 4", "12", "2.5", "12", "true", "", "", ""]


def test_error_frequency_counts_wrong_tagged_attempts():
    counts = views.error_frequency([
        attempt("1", None, tag="B", name=""), attempt("2", None, tag="A", name="Nombre A"),
        attempt("3", None, tag="A", name="Nombre A"), attempt("4", None, correct=True, tag="CORRECT"),
        attempt("5", None), attempt("6", None, tag="C")])
    assert counts == [views.ErrorCount("A", "Nombre A", 2, 0.5), views.ErrorCount("B", None, 1, 0.25),
                      views.ErrorCount("C", None, 1, 0.25)]
    assert views.error_frequency([]) == []


def test_heatmap_units_by_code_and_cells_in_first_met_order():
    first = views.subdomain_values([attempt("1", ARI, correct=True)], [views.MasteryView("t", 0.2, ALG)])
    second = views.subdomain_values([], [views.MasteryView("t", 0.8, ARI_ADD), views.MasteryView("u", 0.4, ARI)])
    heatmap = views.heatmap([("s1", "Ana", first), ("s2", "Beto", second), ("s3", "Cata", {})])

    assert [(u.code, u.sequence) for u in heatmap.units] == [("ALG", 1), ("ARITH", 2)]
    s1, s2, s3 = heatmap.students
    assert [c.topic_code for c in s1.topics] == ["SUB", "EQ"]
    assert [(c.topic_code, c.p_known) for c in s2.topics] == [("SUB", 0.4), ("ADD", 0.8)]
    assert [(u.unit_id, u.topic_count) for u in s2.units] == [("d-ari", 2)]
    assert s2.units[0].p_known == pytest.approx(0.6)
    assert [u.unit_id for u in s1.units] == ["d-alg", "d-ari"]
    assert (s3.units, s3.topics) == ([], [])
