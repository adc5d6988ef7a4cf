"""Column alignment by dynamic programming (preprocessing.colfit) on drawn line positions."""

from __future__ import annotations

import numpy as np

from preprocessing.colfit import fit_columns, split_at_valleys
from preprocessing.columns import ColumnMap, template_boundaries
from preprocessing.consensus import book_prior
from preprocessing.layout import RuledLine
from sohoa.template import load_template

TPL = load_template("ks-2006")


def _bounds(factors: dict[int, float], x0: float = 100.0, width: float = 1400.0) -> np.ndarray:
    """Boundaries of a table whose column numbers ``factors`` are that much wider."""
    w = np.array([c.width * factors.get(c.number, 1.0) for c in TPL.columns])
    return x0 + width * np.r_[0.0, np.cumsum(w)] / w.sum()


def _lines(xs) -> list[RuledLine]:
    return [RuledLine(float(x), (float(x),), 1.0) for x in xs]


def test_every_line_maps_to_its_boundary_with_columns_at_half_and_twice_width() -> None:
    xs = _bounds({3: 0.5, 8: 2.0, 12: 0.55})
    cmap = fit_columns(_lines(xs), TPL, 1600)
    assert cmap is not None and cmap.matched == len(xs) and not cmap.placed and not cmap.cut
    assert np.allclose([b.pos for b in cmap.boundaries], xs)


def test_a_missing_line_is_placed_where_it_belongs_not_shifting_the_others() -> None:
    xs = _bounds({2: 0.5, 9: 2.0})
    drawn = [x for i, x in enumerate(xs) if i != 9]  # the line between columns 9 and 10
    cmap = fit_columns(_lines(drawn), TPL, 1600)
    assert cmap is not None and cmap.placed == (9,)
    found = [b.pos for i, b in enumerate(cmap.boundaries) if i != 9]
    assert np.allclose(found, drawn)
    assert xs[8] < cmap.boundaries[9].pos < xs[10]


def test_extra_line_is_left_out() -> None:
    xs = _bounds({5: 1.8})
    drawn = sorted([*xs, (xs[6] + xs[7]) / 2 + 3])  # a hand-drawn divider inside column 7
    cmap = fit_columns(_lines(drawn), TPL, 1600)
    assert cmap is not None and cmap.extra == 1
    assert np.allclose([b.pos for b in cmap.boundaries], xs)


def test_table_cut_at_the_left_edge_maps_the_visible_lines_to_their_columns() -> None:
    xs = _bounds({4: 1.5}, x0=-300.0, width=1800.0)
    visible = [x for x in xs if x > 5]
    cmap = fit_columns(_lines(visible), TPL, 1500, open_sides=(True, False))
    assert cmap is not None
    first = len(xs) - len(visible)
    assert np.allclose([b.pos for b in cmap.boundaries[first:]], visible)
    assert cmap.cut == tuple(range(first - 1)) or cmap.cut == tuple(range(first))
    assert all(b.pos < 5 for b in cmap.boundaries[:first])


def test_placed_line_moves_to_the_whitespace_between_the_texts() -> None:
    xs = _bounds({})
    lines = _lines(xs)
    frac = template_boundaries(TPL)
    ink = np.zeros((400, 1600), np.uint8)
    # writing in columns 4 and 5 with the true boundary much further right than the template
    true_x = int(xs[3] + 0.78 * (xs[5] - xs[3]))  # columns 4 and 5 at 1.27x and 0.57x
    ink[100:300:20, int(xs[3]) + 5:true_x - 6] = 255
    ink[100:300:20, true_x + 6:int(xs[5]) - 5] = 255
    placed = RuledLine(float(xs[4]), (float(xs[4]),), 0.0)
    cmap = ColumnMap(tuple(lines[:4] + [placed] + lines[5:]), 13, 0.0, placed=(4,))
    moved = split_at_valleys(cmap, ink, 50, 350, frac)
    assert abs(moved.boundaries[4].pos - true_x) <= 6


def test_book_prior_is_the_median_of_the_good_pages() -> None:
    xs = _bounds({3: 0.5, 8: 2.0})
    good = (xs - xs[0]) / (xs[-1] - xs[0])
    pages = [tuple(good + d) for d in (-0.002, 0.0, 0.001)] + [tuple(np.linspace(0, 1, 14))]
    prior = book_prior(pages, fits=[0.5, 0.4, 0.6, 9.0])
    assert prior is not None and np.allclose(prior, good, atol=0.0015)
    assert book_prior(pages[:1], fits=[0.5]) is None  # one page is no consensus


def test_book_prior_repairs_a_page_whose_lines_are_weak() -> None:
    xs = _bounds({3: 0.5, 6: 1.9, 8: 2.0, 10: 0.6})
    norm = (xs - xs[0]) / (xs[-1] - xs[0])
    weak = [x for i, x in enumerate(xs) if i not in (2, 3, 4, 7, 8, 11)]  # six lines faded
    alone = fit_columns(_lines(weak), TPL, 1600)
    helped = fit_columns(_lines(weak), TPL, 1600, prior=tuple(norm))
    assert alone is not None and helped is not None
    err_alone = max(abs(b.pos - x) for b, x in zip(alone.boundaries, xs, strict=True))
    err_helped = max(abs(b.pos - x) for b, x in zip(helped.boundaries, xs, strict=True))
    assert err_helped <= 1.0 < 20.0 < err_alone
