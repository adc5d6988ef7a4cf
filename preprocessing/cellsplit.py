"""Where a cell that holds several fields (name over birth year) is cut between them.

The cell's handwriting is first taken apart into text lines (runs of ink rows of the cell's
row profile; a thin run, such as a line of tone marks, or a neighbour's descender poking in
at the top or bottom, joins the line it belongs to). Then:

- as many lines as fields, or more (a wrapped value): the cuts go into the gaps between lines,
  each gap chosen near where the template expects the cut and the wider the better;
- fewer lines than fields: each line goes to the field whose part of the cell it sits in, and
  a line about the middle of the cell is the first field's (a cell with one value holds the
  first field: the name is written, the year left out; a long entry writes its name in the
  middle of its first printed row and the year in the second).

Cuts are fractions of the cell's height, at the emptiest row of the gap chosen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

THIN = 0.3  # a line less tall than this share of the tallest joins its neighbour
EDGE = 0.5  # a run at the cell's top or bottom edge this thin is the neighbour's ink
FIRST = 0.62  # one line for two fields: below this share of the cell it is the first's
FAR = 0.12  # a thin band this share of the cell's height from both neighbours is a line


def text_lines(profile: np.ndarray) -> list[tuple[int, int]]:
    """Text lines of a cell as (first row, end row) from its ink per row."""
    n = len(profile)
    if n == 0:
        return []
    # (np.convolve's "same" is as long as the longer input: a cell under 3 rows tall, cut
    # from a wide scan read whole, is left unsmoothed rather than lengthened)
    sm = np.convolve(profile.astype(np.float64), np.ones(3) / 3, mode="same") if n >= 3 \
        else profile.astype(np.float64)
    on = sm > max(0.7, 0.06 * float(sm.max()))
    # a row without ink inside a run parts two lines: the smoothing must not bridge a
    # one-row gap between a name and the year written just under it (a run's ends keep the
    # row the smoothing adds to them)
    on = on & ~((profile == 0) & np.r_[False, on[:-1]] & np.r_[on[1:], False])
    idx = np.nonzero(on)[0]
    if len(idx) == 0:
        return []
    runs = np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)
    bands = [[int(r[0]), int(r[-1]) + 1] for r in runs]
    tall = max(e - s for s, e in bands)
    bands = [b for b in bands
             if not ((b[0] <= 1 or b[1] >= n - 1) and b[1] - b[0] < EDGE * tall)] or bands
    while len(bands) > 1:
        hs = [e - s for s, e in bands]
        # a thin band far from both neighbours is a line of its own: faint writing (a faded
        # pen's name leaves a few specks in the binarised cell over a dark year), not tone
        # marks or a descender, which sit close to their line
        near = [i for i in range(len(bands)) if hs[i] < THIN * max(hs)
                and min(_gap(bands, i, i - 1), _gap(bands, i, i + 1)) < FAR * n]
        if not near:
            break
        i = min(near, key=lambda k: hs[k])
        j = i - 1 if _gap(bands, i, i - 1) <= _gap(bands, i, i + 1) else i + 1  # the closer
        a, b = sorted((i, j))
        bands[a] = [bands[a][0], bands[b][1]]
        del bands[b]
    return [(s, e) for s, e in bands]


def _gap(bands: list[list[int]], i: int, j: int) -> float:
    """Empty rows between bands ``i`` and ``j`` (infinite when ``j`` is not a band)."""
    if not 0 <= j < len(bands):
        return float("inf")
    a, b = sorted((i, j))
    return float(bands[b][0] - bands[a][1])


def _valley(sm: np.ndarray, lo: int, hi: int) -> float:
    """Centre of the emptiest rows in [lo, hi)."""
    if hi <= lo:
        return float(lo)
    w = sm[lo:hi]
    idx = np.nonzero(w <= w.min() + 1e-6)[0]
    runs = np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)
    best = max(runs, key=len)
    return lo + float(best.mean()) + 0.5


def stacked_cuts(profile: np.ndarray, k: int) -> list[float]:
    """The k-1 cuts (fractions of the cell's height, increasing) between k stacked fields."""
    n = len(profile)
    even = [i / k for i in range(1, k)]
    if k <= 1:
        return []
    lines = text_lines(profile)
    if n < 6 or not lines:
        return even
    # (np.convolve's "same" is as long as the longer input: a cell under 3 rows tall, cut
    # from a wide scan read whole, is left unsmoothed rather than lengthened)
    sm = np.convolve(profile.astype(np.float64), np.ones(3) / 3, mode="same") if n >= 3 \
        else profile.astype(np.float64)
    if len(lines) >= k:  # a cut in the gap nearest each expected cut, wider gaps first
        cuts, g0 = [], 0
        for i in range(1, k):
            last = len(lines) - 1 - (k - 1 - i)  # leave a gap for every later cut
            def score(g: int, want: float = i / k) -> float:
                c = 0.5 * (lines[g][1] + lines[g + 1][0]) / n
                return abs(c - want) - (lines[g + 1][0] - lines[g][1]) / n
            g = min(range(g0, last), key=score)
            cuts.append(_valley(sm, lines[g][1], lines[g + 1][0]) / n)
            g0 = g + 1
        return cuts
    # fewer lines than fields: each line to the field whose part of the cell holds it (a line
    # about the middle of a two-field cell is the first field's)
    slot = [min(k - 1, int((s + e) / 2 / n * k + (0.5 - FIRST if k == 2 else 0.0)))
            for s, e in lines]
    cuts: list[float] = []
    for i in range(1, k):
        above = [ln for ln, f in zip(lines, slot, strict=True) if f < i]
        below = [ln for ln, f in zip(lines, slot, strict=True) if f >= i]
        want = i / k
        if above and below:
            c = _valley(sm, above[-1][1], below[0][0]) / n
        elif above:
            c = max(want, (above[-1][1] + 1) / n)
        elif below:
            c = min(want, (below[0][0] - 1) / n)
        else:
            c = want
        cuts.append(min(max(c, cuts[-1] + 1e-3 if cuts else 0.0), 1.0))
    return cuts



def cell_profile(clean: np.ndarray, quad: Sequence[Sequence[float]], inset: int = 2
                 ) -> np.ndarray:
    """Ink per row of a cell (corners TL, TR, BR, BL), ``inset`` pixels of each side left
    out (the ruling's remnants): over the page's rows, or measured from the cell's top line
    (:func:`_along_top`) when that parts more text lines (a tilted cell whose writing runs
    along its ruling: over the page's rows its lines smear into each other). Writing that
    does not quite follow a nearly level line keeps the page's rows."""
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    h, w = clean.shape[:2]
    x0, y0 = (int(np.clip(round(min(v)) + inset, 0, m)) for v, m in ((xs, w), (ys, h)))
    x1, y1 = (int(np.clip(round(max(v)) - inset, 0, m)) for v, m in ((xs, w), (ys, h)))
    rows = np.count_nonzero(clean[y0:max(y0, y1), x0:max(x0, x1)], axis=1)
    along = _along_top(clean, quad, inset)
    return along if len(text_lines(along)) > len(text_lines(rows)) else rows


def _along_top(clean: np.ndarray, quad: Sequence[Sequence[float]], inset: int) -> np.ndarray:
    """Ink per row of a cell, each pixel column read from where the cell's top line is at
    that x."""
    tl, tr, br, bl = (np.asarray(p, np.float64) for p in quad)
    x0 = int(np.ceil(min(tl[0], bl[0]))) + inset
    x1 = int(np.floor(max(tr[0], br[0]))) - inset
    h = int(round(max(bl[1] - tl[1], br[1] - tr[1]))) - 2 * inset
    if x1 - x0 < 1 or h < 1:
        return np.zeros(max(h, 0), np.int64)
    xs = np.arange(x0, x1)
    dx = tr[0] - tl[0]
    top = tl[1] + (xs - tl[0]) * ((tr[1] - tl[1]) / dx if abs(dx) > 1e-6 else 0.0)
    ys = np.rint(top[:, None] + inset + np.arange(h)[None, :]).astype(np.int64)
    inside = (ys >= 0) & (ys < clean.shape[0]) & (xs[:, None] >= 0) & (xs[:, None] < clean.shape[1])
    vals = clean[np.clip(ys, 0, clean.shape[0] - 1),
                 np.clip(xs, 0, clean.shape[1] - 1)[:, None]] > 0
    return np.count_nonzero(vals & inside, axis=0)


def in_band(comps: np.ndarray, quad: Sequence[Sequence[float]], t0: float, t1: float
            ) -> np.ndarray:
    """Which components (rows x0, y0, x1, y1, area, cy) have their centre between the
    fractions ``t0`` and ``t1`` of the cell's height, measured at the component's own x
    (the cell's top and bottom lines may slope)."""
    if len(comps) == 0:
        return np.zeros(0, bool)
    tl, tr, br, bl = (np.asarray(p, np.float64) for p in quad)
    cx = 0.5 * (comps[:, 0] + comps[:, 2])

    def edge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        dx = b[0] - a[0]
        return a[1] + (cx - a[0]) * ((b[1] - a[1]) / dx if abs(dx) > 1e-6 else 0.0)

    top, bot = edge(tl, tr), edge(bl, br)
    ya, yb = top + t0 * (bot - top), top + t1 * (bot - top)
    cy = comps[:, 5]
    return (cy >= ya) & (cy < yb)
