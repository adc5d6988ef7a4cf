"""The table's frame (preprocessing/grid.py ``_walled``): the dotted leaders of the
"Xã/phường/thị trấn: ......" line printed just above the table pass for a ruling line, but no
column line runs on from them, so they are no part of the table. Taken for its top line, they
made a header band of one text line's height (the header was read as garbage, its words gave
no column anchors) and the columns and rows shifted."""

from __future__ import annotations

import numpy as np

from preprocessing import analyze_page
from preprocessing.grid import _walled
from preprocessing.layout import RuledLine
from sohoa.synth import generate_page
from sohoa.template import load_template
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


def test_a_leader_of_dots_found_across_most_of_the_width_is_no_frame() -> None:
    """The leaders close into a line in the ruling mask, and the words written on them fill
    it in across 0.8-0.9 of the table's width: found that far, the line is judged on its own
    ink, dots covering about half its length; a ruled frame's ink covers all of it."""
    vmask = np.zeros((400, 660), np.uint8)
    ink = np.zeros((400, 660), np.uint8)
    xs = (50, 150, 250, 350, 450, 550)
    for x in xs:
        vmask[100:361, x - 1:x + 2] = 255
    for y in (100, 160, 220, 280, 360):
        ink[y - 1:y + 2, 50:551] = 255
    ink[79:82, 50:540:4] = 255  # dots every 4 px, one wide ...
    ink[79:82, 51:540:4] = 255  # ... two wide: half the line
    h = [_line(80, 0.9), *(_line(y) for y in (100, 160, 220, 280, 360))]
    v = [_line(x) for x in xs]
    assert [ln.pos for ln in _walled(h, v, vmask, ink)][0] == 100
    assert [ln.pos for ln in _walled(h, v, vmask)][0] == 80  # without its ink: kept
    ink[79:82, 50:540] = 255  # a solid rule over a band without column lines stays
    assert [ln.pos for ln in _walled(h, v, vmask, ink)][0] == 80


def test_leaders_found_over_0_8_of_the_width_over_a_hand_ruled_photo() -> None:
    """ks-2006 894033 (hand-photo, easy, 200 dpi): the commune line's leaders, with the
    commune, district and province written on them, were found over 0.8 of the width and
    kept as the table's top; the header band was the 17 px between them and the frame, its
    words gave no anchors, the four column lines missing from the body were placed by the
    template and seven columns were wrong (28 % of the fields' boxes overlapped their truth
    by half); the number row was an entry."""
    tpl = load_template("ks-2006")
    p = generate_page(tpl, 894033, difficulty="easy", font_role="bench", layout="hand-photo",
                      dpi=200)
    layout = analyze_page(p.image, tpl)
    pairs = match_entries(p.truth, layout)
    assert len(pairs) == len(p.truth["entries"]) == len(layout.entries) == 16
    assert off_column_fields(pairs) == []
