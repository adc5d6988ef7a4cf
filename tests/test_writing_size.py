"""How much ink makes a cell written (preprocessing/writing_size.py): the threshold follows the
size of the writing on the page, not the row height alone, so short thin values on a page of
few, tall rows are not called blank (and their rows not joined to the next)."""

from __future__ import annotations

import numpy as np
import pytest

from preprocessing.writing_size import min_written_area, writing_height
from tests.preprocessing_helpers import analysed_family_page, match_entries


def _letters(n: int, h: int = 12, w: int = 7) -> np.ndarray:
    """An ink mask with ``n`` letter-sized blobs in rows across a 1200 x 900 body."""
    ink = np.zeros((900, 1200), np.uint8)
    for i in range(n):
        y, x = 40 + (i // 40) * 60, 20 + (i % 40) * 28
        ink[y:y + h, x:x + w] = 255
    return ink


def test_tall_rows_with_small_writing_are_capped_by_the_writing() -> None:
    ink = _letters(200)
    body = (0, 0, 1200, 900)
    assert writing_height(ink, body, he=200.0) == 12.0
    # 10 letter heights = 120 px counts as the row height: 0.004 * 120^2
    assert min_written_area(ink, body, he=200.0) == 57
    # usual rows (under 10 letters tall): the row height, as before
    assert min_written_area(ink, body, he=80.0) == int(0.004 * 80 * 80)


def test_too_little_writing_to_tell_keeps_the_row_height() -> None:
    ink = _letters(10)
    assert writing_height(ink, (0, 0, 1200, 900), he=200.0) is None
    assert min_written_area(ink, (0, 0, 1200, 900), he=200.0) == int(0.004 * 200 * 200)


def test_strokes_and_ruling_left_overs_do_not_count_as_writing() -> None:
    ink = _letters(60)
    ink[600:602, 0:1200] = 255  # a ruling line left in the ink: wider than three rows
    ink[100:280, 1100:1104] = 255  # taller than 0.8 of a row
    assert writing_height(ink, (0, 0, 1200, 900), he=200.0) == 12.0


@pytest.mark.parametrize(("tid", "seed", "family"), [
    ("ks-2006", 861075, "hand-photo"),  # 4 rows of 160 px: 1 entry found (all joined)
    ("ks-2006", 861072, "hand-ruled"),  # 4 rows of 153 px: a short entry missed
])
def test_entries_on_a_page_of_few_tall_rows_are_all_found(tid: str, seed: int,
                                                          family: str) -> None:
    """Pages of 4 tall rows with writing 6-7 px a component: the threshold from the row
    height (94-103 px of ink) called short written rows blank and joined them."""
    p, layout = analysed_family_page(tid, seed, family)
    pairs = match_entries(p.truth, layout)
    assert len(pairs) == len(p.truth["entries"]) == len(layout.entries)


def test_a_faded_pen_page_of_usual_rows_keeps_its_threshold() -> None:
    """ks-2006 781003 (photo, hard; tests/test_rows_faded.py): the strict ink keeps specks
    of six faded rows; a threshold cut lower there (8 letter heights: 31 -> 25 px) let the
    specks pass for writing and the faded-pen pass never saw those rows."""
    p, layout = analysed_family_page("ks-2006", 781003, "photo")
    assert len(match_entries(p.truth, layout)) == len(p.truth["entries"]) == 7
