"""Column alignment of a table cut at the image's side: the lines still on the image keep
their own columns (the table is not stretched over them)."""

from __future__ import annotations

from preprocessing.colfit import fit_columns
from preprocessing.layout import RuledLine
from sohoa.template import load_template


def lines(xs):
    return [RuledLine(pos=float(x), coeffs=(float(x),), strength=1.0) for x in xs]


def test_cut_right_side_keeps_columns_in_place():
    # kh-2006 printed with other proportions, boundary 1 faded, boundaries 8 and 9 beyond the
    # image's right edge (1612 px): found lines are boundaries 0, 2-7
    truth = [203, 274, 445, 695, 856, 1142, 1325, 1412, 1711, 1919]
    found = [x for i, x in enumerate(truth) if i != 1 and x < 1612]
    cmap = fit_columns(lines(found), load_template("kh-2006"), 1612.0, open_sides=(False, True))
    assert cmap is not None
    got = [round(b.pos) for b in cmap.boundaries]
    assert got[0] == 203 and got[2:8] == truth[2:8]
    assert 1 in cmap.placed and 8 in cmap.cut


def test_closed_sides_still_use_outer_lines():
    truth = [203, 274, 445, 695, 856, 1142, 1325, 1412, 1711, 1919]
    cmap = fit_columns(lines(truth), load_template("kh-2006"), 2000.0)
    assert cmap is not None and [round(b.pos) for b in cmap.boundaries] == truth
    assert not cmap.cut and not cmap.placed


def test_faint_strokes_inside_a_column_do_not_hide_its_line():
    # kh-2006 with a two-level header: three faint strokes (strength 0.4) inside column 3 used
    # up the alignment's skip budget, so the faint one replaced the real boundary at 753
    found = [(121, 1.0), (216, 1.0), (383, 1.0), (578, 1.0), (646, 0.4), (669, 0.4),
             (682, 0.4), (753, 1.0), (907, 1.0), (1060, 1.0), (1165, 1.0), (1198, 0.4),
             (1398, 1.0), (1528, 1.0)]
    v = [RuledLine(pos=float(x), coeffs=(float(x),), strength=s) for x, s in found]
    cmap = fit_columns(v, load_template("kh-2006"), 1620.0)
    assert cmap is not None
    assert [round(b.pos) for b in cmap.boundaries] == [121, 216, 383, 578, 753, 907, 1060,
                                                       1165, 1398, 1528]


def test_outer_line_at_the_image_edge_leaves_that_side_open():
    """A scan cut just past a column line: the row lines stop at that line, which is at the
    image's edge, so the table may go on beyond it; a side with a margin stays closed."""
    import numpy as np

    from preprocessing.colfit import open_sides
    from preprocessing.layout import Grid

    w, h = 800, 400
    hmask = np.zeros((h, w), np.uint8)
    ys = [50, 150, 250, 350]
    for y in ys:
        hmask[y - 1:y + 2, 60:w - 8] = 255  # from the left line to the right line at w - 8
    grid = Grid(tuple(lines(ys)), tuple(lines([60, 300, w - 8])), (60, 50, w - 8, 350))
    assert open_sides(grid, hmask) == (False, True)
