"""The table's frame (preprocessing/grid.py ``_walled``): the dotted leaders of the
"Xã/phường/thị trấn: ......" line printed just above the table pass for a ruling line, but no
column line runs on from them, so they are no part of the table. Taken for its top line, they
made a header band of one text line's height (the header was read as garbage, its words gave
no column anchors) and the columns and rows shifted."""

from __future__ import annotations

import numpy as np

from preprocessing.grid import _walled
from preprocessing.layout import RuledLine
from tests.preprocessing_helpers import analysed_family_page, match_entries, off_column_fields


def _line(pos: float, strength: float = 1.0) -> RuledLine:
    return RuledLine(pos=pos, coeffs=(pos,), strength=strength)


def test_an_outer_line_no_column_line_reaches_is_dropped_and_the_frame_kept() -> None:
    vmask = np.zeros((400, 660), np.uint8)
    xs = (50, 150, 250, 350, 450, 550)
    for x in xs:
        vmask[100:361, x - 1:x + 2] = 255  # columns from the frame at 100 to 360
    h = [_line(80, 0.6), *(_line(y) for y in (100, 160, 220, 280, 360)), _line(380, 0.5)]
    v = [_line(x) for x in xs]
    kept = _walled(h, v, vmask)
    assert [ln.pos for ln in kept] == [100, 160, 220, 280, 360]
    # a solid rule over a band without column lines (a title row inside the frame) stays
    solid = [_line(80), *h[1:]]
    assert [ln.pos for ln in _walled(solid, v, vmask)][0] == 80
    vmask[80:100, 150 - 1:150 + 2] = 255  # one column line of six above: not enough
    assert [ln.pos for ln in _walled(h, v, vmask)][0] == 100
    vmask[80:100, 50 - 1:50 + 2] = 255  # a third of them: a band of the table
    assert [ln.pos for ln in _walled(h, v, vmask)][0] == 80


def test_commune_line_leaders_above_a_wide_columns_table_are_not_its_top() -> None:
    """ks-2006 880093 (wide-columns, easy): the leaders' line was the table top; 7 columns
    were wrong and only 41 % of the fields' boxes overlapped their truth by half."""
    p, layout = analysed_family_page("ks-2006", 880093, "wide-columns")
    pairs = match_entries(p.truth, layout)
    assert len(pairs) == len(p.truth["entries"])
    assert off_column_fields(pairs) == []
    hb = p.truth["layout"]["header_bbox"]
    first = min(layout.entries, key=lambda e: min(y for _, y in e.quad))
    assert min(y for _, y in first.quad) > hb[1] + 0.8 * (hb[3] - hb[1])
