"""A pen so faded that the strict ink shows next to nothing of its entries (preprocessing/
faded.py), and a two-level header over a book of small rows: training-family pages drawn as
benchmarks/segment_errors.py draws them, and the faded-row rule on drawn cells."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from preprocessing.faded import FADED_AREA, faded_share, is_faded_row
from tests.preprocessing_helpers import analysed_family_page, match_entries

CELL_W, CELL_H = 120, 60


def _cells(n: int) -> list[tuple[int, int, int, int]]:
    return [(i * CELL_W + 2, 2, (i + 1) * CELL_W - 2, CELL_H - 2) for i in range(n)]


def _word(img: np.ndarray, x: int, y: int) -> None:
    """A handwriting-sized word: a few letters' strokes, 1-2 px thick."""
    for k in range(5):
        cv2.ellipse(img, (x + 12 * k, y), (5, 8), 0, 0, 300, 255, 2)


def test_faint_words_in_most_cells_make_a_faded_row() -> None:
    weak = np.zeros((CELL_H, 6 * CELL_W), np.uint8)
    for i in range(4):  # four of six cells written
        _word(weak, i * CELL_W + 20, 30)
    cells = _cells(6)
    assert faded_share(weak, cells, min_area=20) == 4 / 6
    assert is_faded_row(weak, cells, min_area=20)
    # with a larger smallest written area the same strokes are too little
    assert not is_faded_row(weak, cells, min_area=int(weak.sum() / 255 / FADED_AREA))


def test_a_stray_line_or_specks_make_no_faded_row() -> None:
    weak = np.zeros((CELL_H, 6 * CELL_W), np.uint8)
    cv2.line(weak, (0, 33), (6 * CELL_W - 1, 35), 255, 2)  # a border the grid did not take
    rng = np.random.default_rng(3)
    ys, xs = rng.integers(4, CELL_H - 4, 300), rng.integers(4, 6 * CELL_W - 4, 300)
    weak[ys, xs] = 255  # paper grain: single pixels
    assert faded_share(weak, _cells(6), min_area=20) == 0.0
    assert faded_share(weak, [], min_area=20) == 0.0


def test_a_faded_pens_entries_are_all_found() -> None:
    """ks-2006 781003 (photo, hard): the first entry in a dark pen, the next six in a pen so
    faded that Sauvola k 0.2 keeps a few specks of each row: they were called blank rows and
    the page, status "ok", gave one entry of seven."""
    p, layout = analysed_family_page("ks-2006", 781003, "photo")
    truth = p.truth["entries"]
    assert layout.status == "ok"
    assert len(layout.entries) == len(truth) == 7
    assert len(match_entries(p.truth, layout)) == 7
    # the faded entries' fields hold boxes around their writing, not empty cells
    written = [e for e in layout.entries[1:] if sum(not f.empty for f in e.fields.values()) >= 5]
    assert len(written) == 6


def test_blank_last_row_with_a_stray_border_line_stays_blank() -> None:
    """kh-2006 780089 (hand-photo, easy, turned 270): the blank last row holds a second,
    hand-drawn bottom line that the grid did not take as ruling; on the sensitive ink it
    crosses every cell, and must not make the row a faded entry."""
    p, layout = analysed_family_page("kh-2006", 780089, "hand-photo")
    truth = p.truth["entries"]
    last = max(t["row"] for t in truth)
    assert all(e.index <= last for e in layout.entries), [e.index for e in layout.entries]


@pytest.mark.parametrize("seed", [791003, 791024])
def test_show_through_in_blank_rows_makes_no_entry(seed: int) -> None:
    """ks-2006 791003 / 791024 (hand-ruled, hard): thin paper shows the back page's ruling
    (791003) and writing (791024) through its blank last rows; on the faint ink that grows
    boxes (Sauvola k 0.05) they passed for faded writing (4 and 1 extra entries)."""
    p, layout = analysed_family_page("ks-2006", seed, "hand-ruled")
    assert len(layout.entries) == len(p.truth["entries"])
    assert len(match_entries(p.truth, layout)) == len(p.truth["entries"])


def test_two_level_header_over_small_rows_keeps_the_first_entry() -> None:
    """kh-2006 751011 (hand-photo, hard): a two-level header whose upper level (41 px at the
    analysis scale) is taller than the book's small rows (38 px): the first entry row was
    taken into the header (a line the writing made split the second row into a short piece,
    which read as a number row). The first entry must be found and the header end above it."""
    p, layout = analysed_family_page("kh-2006", 751011, "hand-photo")
    first = min(p.truth["entries"], key=lambda t: t["row"])
    pairs = match_entries(p.truth, layout)
    assert any(t["row"] == first["row"] for t, _ in pairs)
    # the header's box (axis-aligned round a tilted quad) no longer reaches the first row's
    # bottom (it ran to 687 px, the row's bottom line at 684)
    assert layout.header_bbox[3] < max(y for _, y in first["quad"]) - 40


def test_a_washed_out_photos_rows_with_few_written_columns_are_found() -> None:
    """kt-2006 861049 (proportions, hard): a photo in flat light where the strict ink keeps
    little of the lower rows' writing. Death-register entries leave columns empty (no notes,
    no declarant's relation), so five of twelve looked-at columns held faint writing: under
    the half the rule asked, and seven of eleven entries were called blank rows."""
    p, layout = analysed_family_page("kt-2006", 861049, "proportions")
    truth = p.truth["entries"]
    assert len(truth) == 11
    assert len(match_entries(p.truth, layout)) >= 9  # was 4


def test_five_of_twelve_faintly_written_cells_make_a_faded_row_four_do_not() -> None:
    weak = np.zeros((CELL_H, 12 * CELL_W), np.uint8)
    for i in range(5):
        _word(weak, i * CELL_W + 20, 30)
    assert is_faded_row(weak, _cells(12), min_area=20)
    weak[:, 4 * CELL_W:5 * CELL_W] = 0
    assert not is_faded_row(weak, _cells(12), min_area=20)
