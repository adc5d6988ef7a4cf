"""Where the table's sides are: whether its row lines run on to the image's edge (a table cut
there, a cropped scan or photo) and the x-range its row lines span (its frame, also where an
outer column line was not found)."""

from __future__ import annotations

import numpy as np

from preprocessing.layout import Grid, RuledLine

REACH = 3  # pixels either side of a row line's fitted curve where its ink is looked for


def along(hmask: np.ndarray, ln: RuledLine, reach: int = REACH) -> np.ndarray:
    """Per x, whether the row line ``ln`` has ink within ``reach`` pixels of its fitted curve
    (a flat band at its mid height loses a line that slopes or bends: a photo's residual
    keystone, a curled page)."""
    h, w = hmask.shape
    xs = np.arange(w)
    ys = np.round(ln.at(xs.astype(np.float64))).astype(int)
    out = np.zeros(w, bool)
    for dy in range(-reach, reach + 1):
        yy = ys + dy
        ok = (yy >= 0) & (yy < h)
        out[ok] |= hmask[yy[ok], xs[ok]] > 0
    return out


def row_extent(grid: Grid, hmask: np.ndarray) -> tuple[float, float] | None:
    """The x-range most well-drawn row lines run across (the table's frame, also where its
    outer column line was not found)."""
    h = hmask.shape[0]
    rows = [int(round(ln.pos)) for ln in grid.h_lines if ln.strength >= 0.6]
    rows = [y for y in rows if 2 <= y < h - 2]
    if len(rows) < 2:
        return None
    count = np.zeros(hmask.shape[1], int)
    for ln in grid.h_lines:
        if ln.strength >= 0.6 and 2 <= int(round(ln.pos)) < h - 2:
            count += along(hmask, ln)
    xs = np.nonzero(count >= 0.5 * len(rows))[0]
    return (float(xs[0]), float(xs[-1])) if len(xs) else None


def paper_extent(grid: Grid, valid: np.ndarray | None, width: int) -> tuple[float, float]:
    """The x-range where the scan shows paper along the table's row lines (the median over
    them): on a rectified photo the image's edge runs slanted, a cut table shows only that
    far."""
    if valid is None:
        return (0.0, float(width))
    h = valid.shape[0]
    ends = []
    for ln in grid.h_lines:
        y = int(round(ln.pos))
        if 0 <= y < h:
            xs = np.nonzero(valid[y] > 0)[0]
            if len(xs):
                ends.append((xs[0], xs[-1] + 1))
    if not ends:
        return (0.0, float(width))
    e = np.array(ends, float)
    return (float(np.median(e[:, 0])), float(np.median(e[:, 1])))


def open_sides(grid: Grid, hmask: np.ndarray, valid: np.ndarray | None = None
               ) -> tuple[bool, bool]:
    """Whether the row lines run on past the outermost vertical line to the edge of the
    image (``valid``: where the scan has pixels, on this page's frame), at the left and at
    the right: the table is cut there (a cropped scan or photo)."""
    if not grid.v_lines or not grid.h_lines:
        return (False, False)
    h, w = hmask.shape
    x0, x1 = grid.v_lines[0].pos, grid.v_lines[-1].pos
    edge = max(4, w // 200)
    votes = np.zeros((2, 2), int)  # [side][reaches the edge, stops short]
    for ln in grid.h_lines:
        if ln.strength < 0.6:
            continue
        y = int(round(ln.pos))
        if not 2 <= y < h - 2:
            continue
        ink = np.nonzero(along(hmask, ln))[0]
        area = np.nonzero(valid[y] > 0)[0] if valid is not None else np.array([0, w - 1])
        if len(ink) == 0 or len(area) == 0:
            continue
        for side, (inner, lim, end) in enumerate(((x0, area[0], ink[0]),
                                                  (x1, area[-1], ink[-1]))):
            if abs(inner - lim) <= 2 * edge:
                # the outer line is at the edge itself: the table may go on past it (a scan
                # cut just beyond a column line); the alignment's costs decide
                votes[side, 0] += 1
                continue
            votes[side, 0 if abs(end - lim) <= edge else 1] += 1
    return (bool(votes[0, 0] > votes[0, 1]), bool(votes[1, 0] > votes[1, 1]))
