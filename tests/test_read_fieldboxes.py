"""Field boxes inside an entry (issue 14, read path): column edges where a body line is lost,
compared with the generator's truth cells on generated pages."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from layout_helpers import drawn, erase_vertical, geometry_of, number_row, variant
from preprocessing_helpers import box_iou, match_entries, x_overlap

from preprocessing import analyze_page
from preprocessing.colfit import split_at_valleys
from preprocessing.columns import ColumnMap, template_boundaries
from preprocessing.layout import RuledLine
from sohoa.template import load_template

TPL = load_template("ks-2006")


def test_body_column_lines_lost_are_placed_on_the_header_separator() -> None:
    # a book printed with a wide name column and narrow date and sex columns, whose body
    # lines between them faded: the header above still shows its separators
    tpl = variant("ks-2006", {3: 1.7, 4: 0.6, 5: 0.6})
    g = geometry_of(tpl, 6, (number_row,))
    body = replace(g, header_top=g.numbers_bottom + 3)  # erase below the number row only
    p = erase_vertical(drawn(tpl, 6, (number_row,)), body, [3, 4])
    layout = analyze_page(p.image, TPL)
    assert layout.ok, layout.status
    pairs = match_entries(p.truth, layout)
    assert len(pairs) == len(p.truth["entries"])
    names = [f.name for c in TPL.columns if c.number in (3, 4, 5) for f in c.fields]
    over = [x_overlap(f.fields[n].cell, t["fields"][n]["cell"])
            for t, f in pairs for n in names if n in t["fields"]]
    assert len(over) >= 10
    assert min(over) >= 0.85, sorted(over)[:5]
    assert float(np.median(over)) >= 0.92


def _paste(img: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    h, w = patch.shape[:2]
    img[y:y + h, x:x + w] = np.minimum(img[y:y + h, x:x + w], patch)


def test_long_entry_name_in_its_first_row_year_in_the_second_keep_their_fields() -> None:
    # a long entry as clerks write it: the mother's name across the middle of its first
    # printed row, her birth year at the top of the next (otherwise blank) row
    p = drawn(variant("ks-2006"), 10, ())  # seed 10: two blank rows at the bottom
    truth = p.truth
    assert len(truth["blank_rows"]) >= 2 and not truth["blank_rows_struck"]
    img = p.image.copy()
    paper = np.median(img.reshape(-1, 3), axis=0).astype(np.uint8)
    last = truth["entries"][-1]
    q0, ql = np.array(truth["entries"][0]["quad"]), np.array(last["quad"])
    dy = int(round((ql - q0)[0][1] / max(1, last["row"])))  # one printed row down
    name, year = last["fields"]["meHoTen"], last["fields"]["meNgaySinh"]
    nx0, ny0, nx1, ny1 = name["bbox"]
    yx0, yy0, yx1, yy1 = year["bbox"]
    name_ink = img[ny0:ny1, nx0:nx1].copy()
    year_ink = img[yy0:yy1, yx0:yx1].copy()
    img[ny0:ny1, nx0:nx1] = paper
    img[yy0:yy1, yx0:yx1] = paper
    top, bottom = name["cell"][1], year["cell"][3]
    my0 = int((top + bottom) / 2 - (ny1 - ny0) / 2)  # the name across the cell's middle
    _paste(img, name_ink, nx0, my0)
    _paste(img, year_ink, yx0, ny0 + dy)  # the year where a name would be, a row down
    layout = analyze_page(img, TPL)
    assert layout.ok, layout.status
    assert len(layout.entries) == len(truth["entries"])
    f = layout.entries[-1].fields
    assert not f["meHoTen"].empty and not f["meNgaySinh"].empty
    want_name = (nx0, my0, nx1, my0 + ny1 - ny0)
    want_year = (yx0, ny0 + dy, yx1, ny0 + dy + yy1 - yy0)
    assert box_iou(f["meHoTen"].bbox, want_name) >= 0.5, (f["meHoTen"].bbox, want_name)
    assert box_iou(f["meNgaySinh"].bbox, want_year) >= 0.5, (f["meNgaySinh"].bbox, want_year)



def test_three_lost_lines_in_a_row_each_take_their_own_header_separator() -> None:
    # columns 6-8 of a book printed 0.5x / 0.5x / 2x the template's widths, their
    # three body lines lost: the template's widths put each estimate nearer its neighbour's
    # separator than its own; with as many separators as lost lines each takes its own
    w = np.array([c.width * {6: 0.5, 7: 0.5, 8: 2.0}.get(c.number, 1.0)
                  for c in TPL.columns])
    xs = 100 + 1400 * np.r_[0.0, np.cumsum(w)] / w.sum()
    lines = [RuledLine(float(x), (float(x),), 1.0) for x in xs]
    lost = (6, 7, 8)
    placed = [RuledLine(float(x), (float(x),), 0.0) for x in
              np.interp([frac for frac in template_boundaries(TPL)[list(lost)]],
                        template_boundaries(TPL)[[5, 9]], xs[[5, 9]])]
    bounds = tuple(placed[lost.index(i)] if i in lost else ln for i, ln in enumerate(lines))
    cmap = ColumnMap(bounds, len(xs) - 3, 0.0, placed=lost)
    header = np.zeros(1600)
    for x in xs:
        header[int(round(x)) - 2:int(round(x)) + 3] = 1.0  # every separator shows
    moved = split_at_valleys(cmap, np.zeros((400, 1600), np.uint8), 50, 350,
                             template_boundaries(TPL), header=header)
    for i in lost:
        assert abs(moved.boundaries[i].pos - xs[i]) <= 3, (i, moved.boundaries[i].pos, xs[i])


def test_a_weak_stroke_taken_for_a_column_line_yields_to_the_header_separator() -> None:
    from preprocessing.colplace import off_separator

    xs = [100.0, 200.0, 300.0, 400.0]
    lines = [RuledLine(x, (x,), 1.0) for x in xs]
    stroke = RuledLine(322.0, (322.0,), 0.3)  # a pen stroke 22 px right of the true line
    cmap = ColumnMap((lines[0], lines[1], stroke, lines[3]), 4, 0.0)
    header = np.zeros(500)
    for x in xs:
        header[int(x) - 2:int(x) + 3] = 1.0
    moved = off_separator(cmap, header)
    assert abs(moved.boundaries[2].pos - 300.0) <= 1.0
    # a well-drawn line, or a weak one the header agrees with, stays where it is
    assert off_separator(replace(cmap, boundaries=(*lines[:2], RuledLine(322.0, (322.0,), 1.0),
                                                   lines[3])), header).boundaries[2].pos == 322
    header[320:325] = 1.0
    assert off_separator(cmap, header).boundaries[2].pos == 322
