"""Where a column line the grid did not find lies, from the header's own separator.

A body line that is faded, broken or never drawn (a hand-ruled book, a worn print) usually
still shows between the header cells above it: the printed header is ruled with the form.
So a boundary placed without a line is first looked for as a vertical stroke through the
lower part of the header band (in two-level headers the group cells are merged above it),
and only where none is there at the whitespace valley of the handwriting
(:func:`preprocessing.colfit.split_at_valleys`). Header text cannot pass for such a stroke:
no letter runs through most of the band's lower part.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from preprocessing.columns import ColumnMap
from preprocessing.layout import Grid

COVER = 0.8  # share of the band's rows a separator runs through
LOWER = 0.45  # the part of the header band looked at, from its bottom
WOBBLE = 3  # pixels a hand-drawn or slightly slanted separator may wander either side
ABOVE = LOWER  # the band's part above its lower part also looked at (0: not)


def header_separators(ink: np.ndarray, grid: Grid, full: np.ndarray | None = None
                      ) -> tuple[np.ndarray, tuple[int, int]] | None:
    """Per x of the work page, the share of the header band's lower rows with ink within
    ``WOBBLE`` pixels (``ink``: binary, ruling rows removed, column lines kept), or of the
    rows just above them where that is more, and the lower rows used; None when the grid
    has no header band. ``full``: the ink with its ruling,
    to tell the header's bottom line from partial ones (``header.header_band``)."""
    from preprocessing.header import header_band

    band = header_band(grid, ink=full)
    if band is None:
        return None
    y0, y1 = band
    ya = int(round(y1 - LOWER * (y1 - y0)))
    yb = y1 - 2
    if yb - ya < 6:
        return None
    cover = _cover(ink, ya, yb, full)
    if cover is None:
        return None
    # a band that ends too low (the header's bottom line not found: a hand-drawn, curved
    # one) has the first entry row in its lower part; its separators then run through the
    # part above, which is looked at too (per x, the better of the two)
    upper = _cover(ink, int(round(ya - ABOVE * (y1 - y0))), ya, full) if ABOVE > 0 else None
    if upper is not None:
        cover = np.maximum(cover, upper)
    return cover, (ya, yb)


SEEN = 0.5  # share of the rows a separator's cover is judged on at least


def _cover(ink: np.ndarray, ya: int, yb: int, full: np.ndarray | None = None
           ) -> np.ndarray | None:
    """Per x, the share of rows ``ya..yb`` with ink within ``WOBBLE`` pixels. With ``full``
    (the ink before the ruling mask was taken out), rows where the mask took out ink at x
    (a header line crossing the separator, header text the mask took with it) neither show
    nor refute a separator there: the share is over the other rows (at least ``SEEN`` of
    them), so a separator the mask cut into pieces is not taken for a broken one."""
    strip = ink[max(0, ya):max(0, yb)] > 0
    if strip.shape[0] < 6 or strip.size == 0:
        return None
    kernel = np.ones((1, 2 * WOBBLE + 1), np.uint8)
    wide = cv2.dilate(strip.astype(np.uint8), kernel) > 0
    if full is None or full.shape != ink.shape:
        return wide.mean(axis=0)
    gone = (full[max(0, ya):max(0, yb)] > 0) & ~strip
    hidden = (cv2.dilate(gone.astype(np.uint8), kernel) > 0) & ~wide
    seen = np.maximum(strip.shape[0] - hidden.sum(axis=0), SEEN * strip.shape[0])
    plain = wide.mean(axis=0)
    # separators seen over all rows keep their runs exactly (their centres place lines):
    # only where none is near does the share over the unmasked rows count
    near = cv2.dilate((plain >= COVER).astype(np.uint8)[None, :],
                      np.ones((1, 4 * WOBBLE + 1), np.uint8))[0] > 0
    return np.where(near, plain, np.maximum(plain, wide.sum(axis=0) / seen))


def separators(cover: np.ndarray, xa: int, xb: int) -> list[float]:
    """Centres of the runs of x in ``[xa, xb)`` whose cover is at least ``COVER``."""
    xa, xb = max(0, xa), min(len(cover), xb)
    if xb - xa < 1:
        return []
    idx = np.nonzero(cover[xa:xb] >= COVER)[0]
    if len(idx) == 0:
        return []
    return [xa + float(r.mean()) for r in np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)]


WEAK_COVER = 0.6  # a broken separator (a hard page's worn ruling) still runs through this
WEAK_MARGIN = 0.15  # ... and stands this far above anything else in the range (header text)
WEAK_WIDTH = 4 * WOBBLE + 6  # pixels: a separator's run is a line's width plus the wobble


def weak_separator(cover: np.ndarray, xa: int, xb: int) -> float | None:
    """The one broken separator in ``[xa, xb)``: the only run of cover >= ``WEAK_COVER``
    there, narrow as a line and ``WEAK_MARGIN`` above every other x of the range (letters
    of the header's text reach 0.5-0.7 in several runs, a worn line alone); None otherwise."""
    xa, xb = max(0, xa), min(len(cover), xb)
    if xb - xa < 3:
        return None
    part = cover[xa:xb]
    idx = np.nonzero(part >= WEAK_COVER)[0]
    if len(idx) == 0:
        return None
    runs = np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)
    if len(runs) != 1 or len(runs[0]) > WEAK_WIDTH:
        return None
    r = runs[0]
    rest = np.ones(len(part), bool)
    rest[max(0, r[0] - 2 * WOBBLE):r[-1] + 2 * WOBBLE + 1] = False
    if rest.any() and float(part[rest].max()) > float(part[r].max()) - WEAK_MARGIN:
        return None
    return xa + float(r.mean())


NEAR = 0.35  # a weak line's separator lies within this share of the narrower column beside


def off_separator(cmap: ColumnMap, cover: np.ndarray) -> ColumnMap:
    """A boundary matched to a weak line (a pen stroke, a faint dash) where the header shows
    no separator, but shows one close by between its neighbours, moves to that separator:
    the printed header is ruled with the form, a stroke in the body is not."""
    from preprocessing.colfit import STRONG, blend

    bounds = list(cmap.boundaries)
    moved = False
    for j in range(1, len(bounds) - 1):
        b = bounds[j]
        if j in cmap.placed or b.strength <= 0.0 or b.strength >= STRONG:
            continue
        x = int(round(b.pos))
        if 0 <= x < len(cover) and cover[max(0, x - 2):x + 3].max(initial=0.0) >= COVER:
            continue  # the header agrees with the line
        lpos, rpos = bounds[j - 1].pos, bounds[j + 1].pos
        reach = NEAR * min(b.pos - lpos, rpos - b.pos)
        cands = [c for c in separators(cover, int(b.pos - reach), int(b.pos + reach) + 1)
                 if lpos + 4 < c < rpos - 4]
        if not cands:
            continue
        c = min(cands, key=lambda v: abs(v - b.pos))
        bounds[j] = blend(bounds[j - 1], bounds[j + 1], (c - lpos) / (rpos - lpos))
        moved = True
    return replace(cmap, boundaries=tuple(bounds)) if moved else cmap
