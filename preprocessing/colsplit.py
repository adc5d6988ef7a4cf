"""Column boundaries between two found lines: a line's shape blended from its neighbours, and
a boundary placed without a line of its own moved to the header's separator or the whitespace
valley of the handwriting (not a fixed fraction of the template's widths)."""

from __future__ import annotations

import math

import numpy as np

from preprocessing.colplace import separators, weak_separator
from preprocessing.columns import ColumnMap
from preprocessing.layout import RuledLine

OWN = 8.0  # pixels: a header separator this close to a found line is that line's own


def shift(ln: RuledLine, dx: float) -> RuledLine:
    c = list(ln.coeffs)
    c[-1] += dx
    return RuledLine(pos=ln.pos + dx, coeffs=tuple(c), strength=0.0)


def blend(a: RuledLine, b: RuledLine, t: float, strength: float = 0.0) -> RuledLine:
    """The line a fraction ``t`` of the way from ``a`` to ``b`` (their shapes blended), of
    the given ``strength`` (0: placed, not seen)."""
    n = max(len(a.coeffs), len(b.coeffs))
    ca = np.r_[np.zeros(n - len(a.coeffs)), a.coeffs]
    cb = np.r_[np.zeros(n - len(b.coeffs)), b.coeffs]
    c = (1 - t) * ca + t * cb
    return RuledLine(pos=(1 - t) * a.pos + t * b.pos, coeffs=tuple(float(v) for v in c),
                     strength=strength)


def split_at_valleys(cmap: ColumnMap, clean: np.ndarray, y0: float, y1: float,
                     frac: np.ndarray, spread: float = 0.5,
                     header: np.ndarray | None = None) -> ColumnMap:
    """Move each boundary placed without a line (between two found ones) to the emptiest
    vertical strip of ``clean`` (ink without ruling, rows y0..y1) where the widths on both
    sides stay within ``spread`` of their share (0.5: between half and twice the template's;
    smaller for a book's measured layout). ``header``: per x, how much of the header band's
    lower part a vertical stroke runs through (:mod:`preprocessing.colplace`); a separator
    there, within the same range, wins over the valley: when a run of placed boundaries
    has as many separators as boundaries (one lost line and one separator too), each takes
    its own in order, else each in turn takes the one nearest its estimate."""
    if not cmap.placed:
        return cmap
    h, w = clean.shape[:2]
    ya, yb = int(max(0, y0)), int(min(h, y1))
    if yb - ya < 10:
        return cmap
    bounds = list(cmap.boundaries)
    found = [j for j in range(len(bounds)) if j not in cmap.placed]
    if header is not None:
        found = _on_separators(bounds, found, cmap.placed, header)
    for j in cmap.placed:
        if j in found:
            continue
        left = max((jj for jj in found if jj < j), default=None)
        right = min((jj for jj in found if jj > j), default=None)
        if left is None or right is None:
            continue
        lpos, rpos = bounds[left].pos, bounds[right].pos
        share = (frac[j] - frac[left]) / (frac[right] - frac[left])
        est = lpos + share * (rpos - lpos)
        lo = lpos + (1 - spread) * (est - lpos)
        hi = rpos - (1 - spread) * (rpos - est)
        xa, xb = int(max(0, math.ceil(lo))), int(min(w, math.floor(hi)))
        if xb - xa < 3:
            continue
        seps = separators(header, xa, xb) if header is not None else []
        if not seps and header is not None:  # a worn separator, alone in the range
            weak = weak_separator(header, xa, xb)
            seps = [] if weak is None else [weak]
        if seps:
            x = min(seps, key=lambda c: abs(c - est))
            bounds[j] = blend(bounds[left], bounds[right], (x - lpos) / (rpos - lpos))
            found = sorted(found + [j])
            continue
        prof = np.count_nonzero(clean[ya:yb, xa:xb], axis=0).astype(np.float64)
        prof = np.convolve(prof, np.ones(3) / 3, mode="same")
        low = np.nonzero(prof <= prof.min() + max(1.0, 0.02 * (yb - ya)))[0]
        runs = np.split(low, np.nonzero(np.diff(low) > 1)[0] + 1)
        run = min(runs, key=lambda r: abs(xa + r.mean() - est) - 1.0 * len(r))
        x = xa + float(run.mean())
        t = (x - lpos) / (rpos - lpos)
        bounds[j] = blend(bounds[left], bounds[right], t)
        found = sorted(found + [j])
    return ColumnMap(tuple(bounds), cmap.matched, cmap.residual, cmap.extra, cut=cmap.cut,
                     placed=cmap.placed, cost=cmap.cost)


def _on_separators(bounds: list[RuledLine], found: list[int], placed: tuple[int, ...],
                   header: np.ndarray) -> list[int]:
    """Where a run of placed boundaries between two found lines has exactly as many header
    separators between them, each boundary takes its own, in order (however far the
    template's widths put the estimates: a lost line of a column at 0.4 of its width has its
    separator outside the range the widths allow); returns the boundaries now on a line or
    separator."""
    done = list(found)
    for left, right in zip(found[:-1], found[1:], strict=True):
        js = [j for j in placed if left < j < right]
        if not js:
            continue
        lpos, rpos = bounds[left].pos, bounds[right].pos
        # the found lines' own separators (a slanted or wobbly line's runs a few pixels off
        # it) are not the lost lines': the range is searched whole and they are dropped
        cands = [c for c in separators(header, int(lpos), int(math.ceil(rpos)) + 1)
                 if lpos + OWN < c < rpos - OWN]
        if len(cands) != len(js):  # separators faded or extra: one by one, nearest first
            continue
        for j, x in zip(js, cands, strict=True):  # as many as lost lines: each its own
            bounds[j] = blend(bounds[left], bounds[right], (x - lpos) / (rpos - lpos))
            done.append(j)
    return sorted(done)
