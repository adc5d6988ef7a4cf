"""Rows written with a pen so faded that the strict ink shows next to nothing of them.

Which rows and cells hold writing is decided on the strict ink (Sauvola k 0.2), so that paper
grain, stains and the shadow of a page never make a blank row an entry; a faded pen's strokes
only grow a written cell's box (``clean.grow_faint_ink``). A pen faded further still (a whole
book's later entries in a dried ballpoint, a photo in dim light) leaves the strict ink a few
specks per row, and every entry it wrote is called blank: a page of seven entries read as
one, with no word to the clerk (training family ``photo``, ks-2006 hard 781003).

A blank row is looked at again on a more sensitive ink (Sauvola k 0.1, ``analyze.FADED_K``;
ruling, strike-throughs and straight lines taken out, ``rowfit.without_rules``): where at
least ``FADED_SHARE`` of its columns (the number column left out: a number alone is no entry)
hold glyph-sized components of at least ``FADED_AREA`` times the smallest written area, it is
written, and its cells are judged on that ink. The share was a half until a washed-out photo
of a death register (proportions hard kt-2006 861049) showed entries writing five of twelve
such columns (no notes, no declarant's relation): 0.4 took 7 missed entries back with no
extra entry on the training audits. Not on the faint ink that grows boxes (k 0.05): there the back
page's writing and ruling showing through thin paper pass for writing too (hand-ruled hard
ks-2006 791024, 791003); at k 0.1 they are gone while the faded pen of 781003 is still there
(at k 0.12 it is not). A component across 0.8 of a cell's width and under 0.3 of its height
is a line, not writing (a second hand-drawn bottom border through a blank last row,
hand-photo easy kh-2006 780089).
"""

from __future__ import annotations

import numpy as np

from preprocessing.strikes import components, off_ruling

FADED_AREA = 4  # a cell's faint ink, in smallest written areas, to count as faint writing
FADED_SHARE = 0.4  # share of a row's looked-at columns holding that much faint writing
LINE_WIDTH = 0.8  # a component this share of its cell's width ...
LINE_HEIGHT = 0.3  # ... and at most this share of its height is a line, not writing


def faded_share(weak: np.ndarray, cells: list[tuple[int, int, int, int]], min_area: int) -> float:
    """Share of ``cells`` (x0, y0, x1, y1 boxes inside the ruling) whose components on the
    sensitive binary ink ``weak`` (ink 255, ruling taken out) add up to ``FADED_AREA`` x
    ``min_area`` pixels or more; 0 when there is no cell."""
    if not cells:
        return 0.0
    min_comp = max(3, min_area // 4)
    full = 0
    for cell in cells:
        comps = off_ruling(components(weak, cell, min_comp), cell)
        if len(comps):  # a stray ruling line through the cell (a double or hand-drawn
            # border the grid did not take as ruling) runs across it, thin: no writing
            wide = (comps[:, 2] - comps[:, 0]) >= LINE_WIDTH * (cell[2] - cell[0])
            thin = (comps[:, 3] - comps[:, 1]) <= LINE_HEIGHT * (cell[3] - cell[1])
            comps = comps[~(wide & thin)]
        full += bool(len(comps)) and float(comps[:, 4].sum()) >= FADED_AREA * min_area
    return full / len(cells)


def is_faded_row(weak: np.ndarray, cells: list[tuple[int, int, int, int]], min_area: int) -> bool:
    """Whether a row the strict ink calls blank is written with a faded pen."""
    return faded_share(weak, cells, min_area) >= FADED_SHARE
