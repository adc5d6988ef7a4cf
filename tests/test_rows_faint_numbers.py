"""Entry numbers in a pen too faded for the strict ink (preprocessing/numbercol.py
``with_faint_numbers``): where a row line is missing too, the numbers are what tells two
entries apart, and the strict ink had none for them."""

from __future__ import annotations

import numpy as np

from preprocessing import analyze_page
from preprocessing.numbercol import with_faint_numbers
from preprocessing.rowfit import mark_runs
from sohoa.synth import generate_page
from sohoa.template import load_template
from tests.preprocessing_helpers import match_entries


def _profile(runs: list[tuple[int, int]], n: int = 600, ink: float = 6.0) -> np.ndarray:
    p = np.zeros(n)
    for a, b in runs:
        p[a:b] = ink
    return p


def test_a_faint_number_in_room_for_two_entries_is_taken_and_a_speck_is_not() -> None:
    he = 60.0
    strict = _profile([(20, 40), (80, 100), (140, 160)])  # three numbers 20 px tall
    faint = _profile([(20, 40), (80, 100), (140, 160), (260, 272), (320, 332), (400, 406)])
    slots = np.array([0.0, 60.0, 120.0, 180.0, 420.0])  # the last stretch four rows tall
    out = with_faint_numbers(strict, faint, he, slots)
    centres, _ = mark_runs(out, he)
    # the 12 px numbers in the tall stretch are taken; the 6 px speck is not
    assert [round(c) for c in centres] == [30, 90, 150, 266, 326]
    # a faint run next to a strict number (within half a row) is that number's own faint ink
    near = with_faint_numbers(strict, _profile([(20, 40), (175, 187)]), he, slots)
    assert np.array_equal(near, strict)
    # in a stretch one row tall a faint run is left out (a speck splits no row there)
    short = np.array([0.0, 60.0, 120.0, 180.0, 240.0, 300.0, 360.0, 420.0])
    assert np.array_equal(with_faint_numbers(strict, faint, he, short), strict)


def test_two_entries_written_faintly_under_a_missing_row_line_are_two() -> None:
    """Mixed kt-2006 901022 (easy, 200 dpi): entries 8 and 9 written in a faded pen, the row
    line between them not drawn; their numbers showed only on the faded ink and the two
    entries were one."""
    tpl = load_template("kt-2006")
    p = generate_page(tpl, 901022, difficulty="easy", font_role="bench", layout="mixed",
                      dpi=200)
    layout = analyze_page(p.image, tpl)
    assert len(match_entries(p.truth, layout)) == len(p.truth["entries"]) == len(
        layout.entries) == 10
