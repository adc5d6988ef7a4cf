"""The header band ends where the printed header does: a row of column numbers as tall as a
short entry row is header, and "lines" the header's bold print makes are not its bottom.

Pages are generated from ks-2006 with the geometry changed on purpose (tests/layout_helpers.py)
and analysed with the shipped template; entry 0 must be the first written row.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from layout_helpers import drawn, variant
from preprocessing_helpers import match_entries, quad_iou

from preprocessing import analyze_page
from preprocessing.layout import RuledLine
from preprocessing.rows import drop_header_print
from sohoa.synth.layout import PageGeometry
from sohoa.template import load_template

TPL = load_template("ks-2006")


def _tall_number_row(g: PageGeometry, rng: np.random.Generator) -> PageGeometry:
    """14 short rows under a number row 0.8 of their height (a dense book's print run)."""
    n = len(g.row_edges) - 1
    bottom = g.row_edges[-1]
    row_h = (bottom - g.header_bottom) / (n + 0.8)
    nb = g.header_bottom + int(round(0.8 * row_h))
    edges = tuple(int(round(nb + i * (bottom - nb) / n)) for i in range(n + 1))
    return replace(g, numbers_bottom=nb, row_edges=edges)


def test_a_number_row_as_tall_as_a_short_entry_row_is_header_not_entry_0() -> None:
    p = drawn(variant("ks-2006", rows=14), 7, (_tall_number_row,))
    layout = analyze_page(p.image, TPL)
    assert layout.ok, layout.status
    truth = p.truth["entries"]
    assert len(layout.entries) == len(truth), [e.bbox for e in layout.entries[:3]]
    assert len(match_entries(p.truth, layout)) == len(truth)
    t0, f0 = truth[0], layout.entries[0]
    assert t0["row"] == 0 and quad_iou(t0["quad"], f0.quad) >= 0.8


def _line(y: float, strength: float) -> RuledLine:
    return RuledLine(pos=y, coeffs=(y,), strength=strength)


def _ink(full: list[int], words: list[int]) -> np.ndarray:
    """Ruling lines across x 100..1500 at ``full``; at ``words`` a row of bold print: 40 px
    words with 40 px spaces (the strokes a line mask may join into a weak "line")."""
    ink = np.zeros((600, 1600), np.uint8)
    for y in full:
        ink[y - 1:y + 2, 100:1500] = 255
    for y in words:
        for x in range(110, 1490, 80):
            ink[y - 6:y + 6, x:x + 40] = 255
    return ink


def test_lines_made_by_the_header_print_are_not_its_bottom() -> None:
    full = [177, 276, 306, 355, 417]
    lines = [_line(177, 1.0), _line(221, 0.6), _line(276, 1.0), _line(306, 1.0),
             _line(355, 1.0), _line(417, 1.0)]
    ink = _ink(full, [221])
    kept = drop_header_print(lines, 45.0, ink, 100, 1500)
    assert [ln.pos for ln in kept] == full
    # a faint header line (weak in the strips) still runs across the table: it stays
    faint = [_line(177, 1.0), _line(221, 0.3), *lines[2:]]
    assert drop_header_print(faint, 45.0, _ink([177, 221, *full[1:]], []), 100, 1500) == faint
    # no full-length line within four rows of the top: nothing is dropped
    far = [_line(177, 1.0), _line(221, 0.6), _line(400, 1.0), _line(450, 1.0)]
    assert drop_header_print(far, 45.0, _ink([177, 400, 450], [221]), 100, 1500) == far


def test_a_fill_in_line_just_above_the_table_is_not_its_top() -> None:
    """The commune's fill-in line 21 px over the table's top frame, a row of header print,
    the header's bottom: the header runs from the frame to its bottom line."""
    full = [244, 367, 404, 458, 520]
    ink = _ink(full, [307])
    ink[222:225, 100:800] = 255  # the fill-in line: under the commune's name only
    lines = [_line(223, 0.8), _line(244, 1.0), _line(307, 0.7), *[_line(y, 1.0)
                                                                 for y in full[1:]]]
    assert [ln.pos for ln in drop_header_print(lines, 60.0, ink, 100, 1500)] == full


def test_a_short_header_under_a_full_top_frame_keeps_its_top() -> None:
    """Tall rows (few a page) under a header only 0.45 of a row tall: the top frame runs
    across the table, so it is the top however close the header's bottom line is."""
    full = [175, 227, 347, 426, 549]
    lines = [_line(y, 1.0) for y in full]
    assert drop_header_print(lines, 116.0, _ink(full, []), 100, 1500) == lines


def test_a_cell_of_no_height_still_gives_every_field_its_band() -> None:
    """A row squeezed to no height (its two boundaries on one line) cuts its two-field cells
    evenly: before, no cut came back and the page raised instead of reporting."""
    from preprocessing.entries import _field_split

    clean = np.zeros((100, 100), np.uint8)
    flat = ((10.0, 50.0), (60.0, 50.0), (60.0, 50.0), (10.0, 50.0))
    assert _field_split(clean, flat, 2, clean.shape) == [0.5]
    assert len(_field_split(clean, flat, 3, clean.shape)) == 2


def test_a_header_over_four_short_rows_tall_drops_the_weak_lines_its_print_made() -> None:
    """18 short rows under a two-level header with a number row: the header is 4.1 entry
    heights tall, and its labels, centred on one level, make a weak "line" in it. Only print
    lies between the top frame and the header's bottom, so it goes even that far down."""
    full = [161, 301, 328, 362, 401]
    xs = [100.0, 380.0, 660.0, 940.0, 1220.0, 1500.0]
    lines = [_line(161, 1.0), _line(234, 0.3), *[_line(y, 1.0) for y in full[1:]]]
    kept = drop_header_print(lines, 34.0, _ink(full, [234]), 100, 1500, xs)
    assert [ln.pos for ln in kept] == full
    # a well-drawn line that far down is ruling (an entry's), not print: nothing is dropped
    ruled = [_line(161, 1.0), _line(234, 0.8), *lines[2:]]
    assert drop_header_print(ruled, 34.0, _ink(full, [234]), 100, 1500, xs) == ruled
    # a two-level header's inner line is weak (under its group's columns only) but drawn
    # clean across them: it stays (kh-2006 751011, hand-photo)
    ink = _ink(full, [])
    ink[233:236, 380:940] = 255
    assert drop_header_print(lines, 34.0, ink, 100, 1500, xs) == lines


def test_a_tall_two_level_header_over_many_rows_takes_no_entry() -> None:
    """``wide-columns`` training page 891191 (kh-2006): 18 rows, a two-level header 4.1 rows
    tall with a number row. Its labels made a weak line in the header, taken for its
    bottom: the lower header level became entry 0 and the number row an entry."""
    from preprocessing_helpers import analysed_family_page, off_column_fields

    p, layout = analysed_family_page("kh-2006", 891191, "wide-columns")
    pairs = match_entries(p.truth, layout)
    assert len(pairs) == len(p.truth["entries"]) == len(layout.entries)
    assert off_column_fields(pairs) == []


def test_a_weak_line_inside_an_entry_row_is_no_two_level_header_under_full_row_lines() -> None:
    """Proportions kt-2006 1701016 (hard, 200 dpi, bench hands): the writing of entry row 2
    made a weak line across part of it (coverage 0.56); the short piece under it was taken
    for a two-level header's lower level, although the header's bottom and row 1's bottom,
    both crossing the whole table, lie above it: rows 1 and 2 became header, two entries
    lost. A two-level header's inner line has no full-width line above it."""
    from sohoa.synth import generate_page

    tpl = load_template("kt-2006")
    page = generate_page(tpl, 1701016, difficulty="hard", font_role="bench", rotation=0,
                         layout="proportions", dpi=200)
    layout = analyze_page(page.image, tpl)
    truth = page.truth["entries"]
    assert len(layout.entries) == len(truth) == 11
    assert len(match_entries(page.truth, layout)) == 11  # each with IoU >= 0.5
