"""Orientation must not hinge on the template's column proportions (issue 14, item a).

A hard, hand-ruled "mixed"-family page whose columns are proportioned unlike ks-2006 fitted the
template poorly upright, while its evenly spaced rows, seen a quarter turn away, fitted the
template's columns well: the page was turned by 270 degrees. The page's shape (landscape like
its template) and its ruling decide the axis now; the header cues decide the half turn.
"""

from __future__ import annotations

import pytest

from preprocessing import analyze_page
from sohoa.synth import generate_page
from sohoa.template import load_template


def _read_upright(template: str, seed: int, difficulty: str, family: str, dpi: int = 200,
                  font_role: str = "bench") -> tuple:
    """An upright generated page and its analysis."""
    tpl = load_template(template)
    page = generate_page(tpl, seed, difficulty=difficulty, font_role=font_role, rotation=0,
                         layout=family, dpi=dpi)
    return page, analyze_page(page.image, tpl)


@pytest.mark.parametrize(("family", "seed"), [("mixed", 700003)])
def test_page_with_other_proportions_stays_upright(family: str, seed: int) -> None:
    page, layout = _read_upright("ks-2006", seed, "hard", family, dpi=150, font_role="test")
    assert layout.rotation == page.truth["rotation"] == 0
    assert len(layout.entries) >= len(page.truth["entries"]) - 1


def test_close_set_bold_writing_is_no_ruling_when_the_marks_are_counted() -> None:
    """Two-level kh-2006 901245 (easy, 200 dpi, bench hands): the ruling masks keep any
    straight run a line long once small gaps are closed, and lines of bold, close-set
    writing were such runs; taken out as ruling, they left the writing in specks, the
    diacritics said nothing (0.0 either way) and the page was read upside down, every
    column mirrored. Only long runs are ruling for the writing's cues now."""
    page, layout = _read_upright("kh-2006", 901245, "easy", "two-level")
    assert layout.rotation == 0
    assert len(layout.entries) == len(page.truth["entries"]) == 12


def test_letters_ink_keeps_a_short_run_of_words_and_drops_a_ruling_line() -> None:
    import cv2
    import numpy as np

    from preprocessing.clean import line_masks
    from preprocessing.grid import line_length
    from preprocessing.orientation import letters_ink

    ink = np.zeros((400, 1200), np.uint8)
    ink[50:53, 20:1180] = 255  # a row line across the page
    for x in range(100, 260, 9):  # a word of bold letters 3 px apart: one run in the mask
        ink[120:134, x:x + 6] = 255
    hmask, vmask = line_masks(ink, line_length(ink.shape))
    assert hmask[127, 110:240].all()  # the mask took the word for a line
    text = letters_ink(ink, hmask, vmask)
    assert not text[45:58].any()  # the ruling is gone
    assert cv2.countNonZero(text[120:134]) == cv2.countNonZero(ink[120:134])  # the word stays


def test_faint_writing_in_pieces_still_says_which_way_the_page_runs() -> None:
    """Sans-print kh-2006 1701062 (hard, 200 dpi): the pale writing binarised into pieces of
    letters, so the letter size was a piece's (4.5 px), words were not joined, and the
    writing's direction said almost nothing (0.08); all four turns were scored and the grid's
    fit turned the page by 270 degrees, every entry lost. A weak direction is looked at
    again with the letters joined twice as wide."""
    import numpy as np

    from preprocessing.clean import line_masks
    from preprocessing.grid import line_length
    from preprocessing.orientation import text_axis, text_ink

    page, layout = _read_upright("kh-2006", 1701062, "hard", "sans-print")
    assert layout.rotation == 0
    assert len(layout.entries) == len(page.truth["entries"]) == 12
    # the page turned a quarter: the wider look says so just as surely, the other way
    from preprocessing.clean import binarize, normalize_background, to_grey

    ink = binarize(normalize_background(to_grey(page.image)))
    hm, vm = line_masks(ink, line_length(ink.shape))
    words = text_ink(ink, hm, vm)
    assert text_axis(words, join=2.4) > 0.15
    ink = np.ascontiguousarray(np.rot90(ink))
    hm, vm = line_masks(ink, line_length(ink.shape))
    assert text_axis(text_ink(ink, hm, vm), join=2.4) < -0.15


def test_a_missing_row_line_near_the_bottom_is_no_number_row_against_the_title() -> None:
    """Hand-ruled kt-2006 1711082 (hard, 200 dpi, bench hands): a missing row line near the
    table's bottom left a tall gap over a short row, the pattern a header with its row of
    column numbers makes; the number-row cue called the upright page upside down and, with
    the mirrored column fit, outweighed the printed title above the table. The title now
    weighs more than a number row guessed from gaps."""
    page, layout = _read_upright("kt-2006", 1711082, "hard", "hand-ruled")
    assert layout.rotation == 0
    assert len(layout.entries) == len(page.truth["entries"]) == 14
