"""A stroke through a row strikes its writing out unless all the writing lies on one side of
it (preprocessing.strikes.writing_side): the struck blank rows joined to the last
entry by a missing row line have all the writing above the stroke (hand-ruled kt-2006
1730013); a cancelled entry struck corner to corner has writing above and below it; pieces of
the stroke itself lie on neither side."""

from __future__ import annotations

import cv2
import numpy as np

from preprocessing.strikes import writing_side

QUAD = ((10.0, 10.0), (590.0, 10.0), (590.0, 190.0), (10.0, 190.0))
UNDER = [(20.0, 110.0, 580.0, 180.0)]  # a stroke across the lower part of the row


def _words(img: np.ndarray, y0: int, y1: int) -> list[tuple[float, float, float, float]]:
    """Nine words; their boxes, as a row's written fields."""
    boxes = []
    for x in range(30, 560, 60):
        img[y0:y1, x:x + 35] = 255
        boxes.append((float(x), float(y0), float(x + 34), float(y1 - 1)))
    return boxes


def test_writing_above_a_stroke_under_it() -> None:
    ink = np.zeros((200, 600), np.uint8)
    boxes = _words(ink, 25, 80)  # the entry's writing, top half
    assert writing_side(ink, UNDER, QUAD, 8.0, 50, boxes) == "above"
    # the same stroke drawn right to left
    assert writing_side(ink, [(580.0, 180.0, 20.0, 110.0)], QUAD, 8.0, 50, boxes) == "above"
    ink[150:152, 300:310] = 255  # a few stray pixels under it are not writing
    assert writing_side(ink, UNDER, QUAD, 8.0, 50, boxes) == "above"
    # but writing under it is, and so is a field's box under it
    ink[150:170, 300:340] = 255
    assert writing_side(ink, UNDER, QUAD, 8.0, 50, boxes) is None
    ink[150:170, 300:340] = 0
    assert writing_side(ink, UNDER, QUAD, 8.0, 50, boxes + [(300, 165, 320, 185)]) is None


def test_writing_below_a_stroke_over_it() -> None:
    ink = np.zeros((200, 600), np.uint8)
    boxes = _words(ink, 120, 175)
    over = [(20.0, 20.0, 580.0, 90.0)]
    assert writing_side(ink, over, QUAD, 8.0, 50, boxes) == "below"


def test_a_row_struck_corner_to_corner_has_writing_on_both_sides() -> None:
    ink = np.zeros((200, 600), np.uint8)
    boxes = _words(ink, 40, 160)
    cv2.line(ink, (20, 20), (580, 180), 0, 9)  # painted out, as entries.segment does
    assert writing_side(ink, [(20.0, 20.0, 580.0, 180.0)], QUAD, 8.0, 50, boxes) is None
    assert writing_side(ink, [(580.0, 180.0, 20.0, 20.0)], QUAD, 8.0, 50, boxes) is None


def test_pieces_of_a_stroke_or_a_line_are_no_entry() -> None:
    ink = np.zeros((200, 600), np.uint8)
    cv2.line(ink, (20, 110), (580, 180), 255, 5)  # the stroke where it was not painted out
    ink[20:180, 12:15] = 255  # a column line's stub
    stubs = [(20.0, 105.0, 200.0, 135.0), (12.0, 20.0, 14.0, 179.0)]  # two cells "written"
    assert writing_side(ink, UNDER, QUAD, 8.0, 50, stubs) is None


def test_outside_the_row_counts_for_nothing() -> None:
    ink = np.zeros((300, 600), np.uint8)
    boxes = _words(ink, 25, 80)
    _words(ink, 230, 280)  # the next row's writing, below the quad
    assert writing_side(ink, UNDER, QUAD, 8.0, 50, boxes) == "above"
