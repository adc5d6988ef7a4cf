"""Column boundaries from the header's separators when body lines are lost (issue 14, "wrong
column"), on a page of the training family ``hand-photo`` and on constructed covers.

Two causes, both seen on kh-2006 easy hand-photo seed 690011 (three body lines lost under the
husband's columns): the ruling mask took a hand-drawn header separator out where header text
and a wobbly header line touch it, so it ran through only 2/3 of the band and was not seen;
and a found line's own separator, a few pixels off it, was counted as a lost line's, so a
boundary went 6 px from its neighbour (the name column 10 px wide, every field a column off).
"""

from __future__ import annotations

import numpy as np
from preprocessing_helpers import match_entries, off_column_fields

from preprocessing import analyze_page
from preprocessing.colplace import COVER, _cover, separators
from preprocessing.colsplit import split_at_valleys
from preprocessing.columns import ColumnMap
from preprocessing.layout import RuledLine
from sohoa.synth import generate_page
from sohoa.template import load_template


def test_hand_photo_page_with_lost_body_lines_keeps_its_columns() -> None:
    tpl = load_template("kh-2006")
    page = generate_page(tpl, 690011, "easy", font_role="test", layout="hand-photo")
    layout = analyze_page(page.image, tpl)
    assert layout.ok, layout.status
    pairs = match_entries(page.truth, layout)
    assert len(pairs) == len(page.truth["entries"])
    assert off_column_fields(pairs) == []


def test_a_separator_the_ruling_mask_cut_into_pieces_still_counts() -> None:
    full = np.zeros((40, 100), np.uint8)
    full[:, 50:53] = 255  # the separator
    full[10:18, 20:60] = 255  # header text / a wobbly line the mask took, across it
    full[26:32, 40:80] = 255
    ink = full.copy()
    ink[10:18, 20:60] = 0
    ink[26:32, 40:80] = 0
    assert _cover(ink, 0, 40)[51] < COVER  # 26 of 40 rows: taken for a broken line
    cover = _cover(ink, 0, 40, full)
    assert cover[51] >= COVER
    assert cover[25] < 0.1 and cover[70] < 0.1  # where the mask took ink: still no line


def test_text_the_mask_took_is_no_separator() -> None:
    full = np.zeros((40, 100), np.uint8)
    full[5:35, 30:34] = 255  # a tall letter stem ...
    ink = full.copy()
    ink[5:30, 30:34] = 0  # ... the mask took most of: 5 rows seen of 40
    assert _cover(ink, 0, 40, full)[31] < COVER


def _line(x: float, strength: float = 1.0) -> RuledLine:
    return RuledLine(x, (x,), strength)


def test_a_found_lines_own_separator_is_not_a_lost_lines() -> None:
    # found lines at 100 and 900; the two lost between them show their header separators at
    # 200 and 450 (the printed form's own widths, far from the template's); the left line's
    # own separator runs 3-7 px right of it (a slanted, wobbly line): before, it was counted
    # as a third separator, so the two lost lines were placed one by one and went wrong
    header = np.zeros(1000)
    for a, b in ((103, 108), (198, 203), (448, 453), (898, 903)):
        header[a:b] = 1.0
    bounds = (_line(0.0), _line(100.0), _line(500.0, 0.0), _line(700.0, 0.0), _line(900.0),
              _line(1000.0))
    cmap = ColumnMap(bounds, matched=4, residual=0.0, placed=(2, 3))
    frac = np.array([0.0, 0.1, 0.5, 0.7, 0.9, 1.0])
    clean = np.zeros((200, 1000), np.uint8)
    out = split_at_valleys(cmap, clean, 0, 200, frac, header=header)
    assert [round(b.pos) for b in out.boundaries][2:4] == [200, 450]


def test_a_separator_seen_over_all_rows_keeps_its_run() -> None:
    # a separator through every row that jogs right in the lower half, beside header text
    # the mask took in the upper half: its run (whose centre places the line) stays as it
    # was; only separators not seen before are judged on the unmasked rows
    full = np.zeros((40, 100), np.uint8)
    full[:, 50:53] = 255
    full[20:, 53:55] = 255
    full[:20, 58:70] = 255  # header text, taken by the mask
    ink = full.copy()
    ink[:20, 58:70] = 0
    assert separators(_cover(ink, 0, 40, full), 0, 100) == separators(_cover(ink, 0, 40), 0, 100)
