"""Hard pages of the training families (phone photos, hand ruling, cut tables, two-level
headers; seeds of benchmarks/segment_errors.py's 670000 series, turned as it turns them) on
which the header took entries in or gave printed header text out as an entry, one reason
each. Every page must give exactly its written entries, each matching the generator's row
quad (IoU >= 0.5)."""

from __future__ import annotations

import numpy as np
import pytest

from preprocessing.grid import _drift
from preprocessing.layout import RuledLine
from tests.preprocessing_helpers import analysed_family_page, match_entries


@pytest.mark.parametrize("tid,seed,family,why", [
    # a hand-drawn top frame on a keystoned photo: its cubic fit bent away beyond its first
    # and last samples, so it "drifted" against the other lines and was dropped; the
    # header's bottom line then passed for the table's top and the first two entries
    # became header
    ("ks-2006", 671000, "hand-photo", "top frame kept"),
    # a cut table on a photo: the header's wobbly bottom line wandered off its fitted curve,
    # its ink along the curve was 0.67 of the width and it counted as header print; the
    # header then ended at a row of bold header words and its lower half became entry 0
    ("ks-2006", 671036, "hand-photo", "wobbly header bottom line"),
    # two-level headers whose upper level (over the merged group cells) is short: the group
    # line was taken for the header's bottom and the lower level's printed column names
    # became entry 0 (cut at the left, and a whole hand-ruled page)
    ("kh-2006", 671062, "mixed", "two-level header, cut table"),
    ("kh-2006", 671080, "hand-photo", "two-level header"),
])
def test_header_band_takes_no_entry_and_gives_no_print(tid: str, seed: int, family: str,
                                                        why: str) -> None:
    p, layout = analysed_family_page(tid, seed, family)
    truth = p.truth["entries"]
    assert len(layout.entries) == len(truth), (why, [e.bbox for e in layout.entries])
    assert len(match_entries(p.truth, layout)) == len(truth), why


def test_drift_is_measured_where_the_line_was_seen() -> None:
    """A level line whose cubic fit swings away beyond its samples does not drift."""
    xs = np.array([300.0, 450, 600, 750, 900, 1050, 1200, 1350, 1500])
    ys = 300 + 3 * np.sin(xs / 150.0)  # wobbles 3 px, level overall
    coeffs = np.polyfit(xs, ys, 3)
    ln = RuledLine(float(np.polyval(coeffs, 900)), tuple(coeffs), 0.9)
    span = 1600.0
    assert abs(float(ln.at(span)) - float(ln.at(0.0))) > 15  # at the span's ends: "drifts"
    assert abs(_drift(ln, list(zip(xs, ys, strict=True)), span)) < 8


def test_faint_ruling_gets_a_second_look() -> None:
    """A phone photo whose thin, faint ruling binarised into dashes shorter than the line
    masks keep (kh-2006 671017, photo, turned 90): no row line was seen along most of the
    table, a third of the table was taken for all of it and its 8 entries came out as 3.
    The ruling is looked for again on a more sensitive ink. There the table is keystoned
    but no frame is found in the dashed ruling: the column lines that lean (the keystone fans
    them out) were dropped as drifting (4 of 10 found); they lean as a pencil now, and the
    page is rectified from the grid's lines."""
    p, layout = analysed_family_page("kh-2006", 671017, "photo")
    assert len(layout.entries) == len(p.truth["entries"]) == 8
    assert len(match_entries(p.truth, layout)) == 8


def test_cut_off_key_columns_join_no_rows() -> None:
    """A table cut at the left through its first columns (ks-2006 681027, mixed, turned 90):
    the entry number and registration date, which tell a long entry's second row from a new
    entry, lie off the image or are cut through, so their cells were "empty" in row after
    row and nine entries were joined into one. Cut-away cells are no evidence: every entry
    stays."""
    p, layout = analysed_family_page("ks-2006", 681027, "mixed")
    assert layout.status.startswith("partial page: the table is cut off at the left")
    assert len(layout.entries) == len(p.truth["entries"]) == 12
    assert len(match_entries(p.truth, layout)) == 12
