"""Pure parts of the classroom and parent services: course labels, invite codes, mastery bands."""
from __future__ import annotations

import pytest

from chalicelib.services.classroom_service import course_label, new_invite_code
from chalicelib.services.parent_service import mastery_band


@pytest.mark.parametrize("grade, letter, expected", [
    (1, None, "1° básico · Matemáticas"), (8, "d", "8° básico D · Matemáticas"),
    (9, None, "I medio · Matemáticas"), (10, "a", "II medio A · Matemáticas"),
    (11, " b ", "III medio B · Matemáticas"), (12, "", "IV medio · Matemáticas"),
])
def test_course_label(grade, letter, expected):
    assert course_label(grade, letter, "Matemáticas") == expected


def test_invite_codes_are_cuid_shaped_and_distinct():
    codes = {new_invite_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 25 and c[0] == "c" and c.isalnum() and c == c.lower() for c in codes)


@pytest.mark.parametrize("mean, band", [(0.95, "high"), (0.7, "high"), (0.6999, "mid"), (0.4, "mid"),
                                        (0.3999, "low"), (0.0, "low")])
def test_mastery_band_edges(mean, band):
    assert mastery_band(mean) == band
