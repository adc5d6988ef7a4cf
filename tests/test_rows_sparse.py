"""Rows of a hand-ruled book with a line only every two or three rows.

The gaps between the found lines then span several rows each, so the usual row height read off
the lines is two or three rows; the entry numbers written in one such slot (one per entry, a row
apart) correct it, and a tall slot with writing stacked in its narrow cells is no printed row
of column numbers. Found on the training family hand-ruled (kt-2006, hard, seed 621016: five
rows, lines under rows 1, 2 and 4 missing), where the page came out "torn" with one entry.
"""

from __future__ import annotations

import numpy as np

from preprocessing import analyze_page
from preprocessing.rowfit import height_from_numbers
from sohoa.synth import generate_page
from sohoa.template import load_template
from tests.preprocessing_helpers import match_entries


def test_a_hand_ruled_page_with_most_row_lines_missing_keeps_every_entry() -> None:
    tpl = load_template("kt-2006")
    p = generate_page(tpl, 621016, difficulty="hard", font_role="bench", layout="hand-ruled")
    assert p.truth["layout"]["missing_lines"]["rows"] == [1, 2, 4]  # the case drawn
    layout = analyze_page(p.image, tpl)
    assert layout.ok, layout.status
    assert len(layout.entries) == len(p.truth["entries"]) == 5
    assert len(match_entries(p.truth, layout)) == 5


def _number_column(rows: list[tuple[int, int]], n: int = 600) -> np.ndarray:
    prof = np.zeros(n)
    for a, b in rows:
        prof[a:b] = 6.0
    return prof


def test_numbers_a_row_apart_inside_one_slot_give_the_row_height() -> None:
    # slots of 3 and 2 rows of 100 px; a 12 px number near the top of each row
    num = _number_column([(20, 32), (120, 132), (220, 232), (320, 332), (420, 432)])
    slots = np.array([0.0, 300.0, 500.0])
    assert abs(height_from_numbers(num, slots, he=250.0) - 100.0) < 1.0
    # one number per slot: nothing says the slots hold several rows
    one = _number_column([(20, 32), (320, 332)])
    assert height_from_numbers(one, slots, he=250.0) == 250.0
    # numbers as far apart as the height found: it stands
    assert height_from_numbers(num, np.array([0.0, 600.0]), he=110.0) == 110.0
