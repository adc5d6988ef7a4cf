"""Book consensus: the pages of one book share a printed layout.

Each analysed page reports its geometry normalised to its table (``PageLayout.geometry``):
column boundaries, and how well its own lines showed them. The book's layout (``BookPrior``) is
the median over its *strong* pages (own lines showed every boundary, nothing cut, a typical
fit). Passed to ``analyze_page(..., prior=...)`` it is used only where the page's own evidence
is weak (a boundary with no line, a poor fit, a column cut off): a faded line is placed where
this book has it, never where a strong page's own lines say otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from preprocessing.layout import ColumnGeometry, PageLayout

MIN_PAGES = 2  # fewer strong pages are no consensus
POOR_FIT = 1.2  # alignment cost per matched line above which a page's columns are in doubt
CLOSE = 0.004  # boundaries (table widths) within which two consensuses are the same
FIT_RES = 0.006  # table widths: a page whose found lines sit further from the book's is left out
PITCH_OFF = 0.18  # a page's row height this far (share) from its book's is its own mistake


@dataclass(frozen=True)
class BookPrior:
    """A book's layout learnt from its strong pages."""

    bounds: tuple[float, ...] | None  # column boundaries, 0 (table's left) .. 1 (right)
    pages: int  # pages whose own lines showed every column (the boundaries' median)
    pitch: float = 0.0  # entry row height / table width (0: unknown)

    def close_to(self, other: BookPrior) -> bool:
        """Whether ``other`` is this layout (boundaries within ``CLOSE``, row height 5 %)."""
        if (self.bounds is None) != (other.bounds is None) or (
                (self.pitch > 0) != (other.pitch > 0)):
            return False
        if self.pitch and abs(other.pitch / self.pitch - 1) > 0.05:
            return False
        return self.bounds is None or other.bounds is None or (
            len(self.bounds) == len(other.bounds) and max(
                abs(a - b) for a, b in zip(self.bounds, other.bounds, strict=True)) <= CLOSE)


def book_prior(bounds: Sequence[Sequence[float]], fits: Sequence[float],
               min_pages: int = MIN_PAGES) -> tuple[float, ...] | None:
    """Median normalised boundaries of the pages that fit well (fit at most twice the median
    fit, and at most 2 above it, or under 0.5); None with fewer than ``min_pages`` such
    pages."""
    good = _good(bounds, fits, min_pages)
    if good is None:
        return None
    out = np.maximum.accumulate(np.median(np.array(good, dtype=np.float64), axis=0))
    return tuple(round(float(v), 5) for v in out)


def _good(bounds: Sequence[Sequence[float]], fits: Sequence[float],
          min_pages: int) -> list[tuple[float, ...]] | None:
    if not bounds:
        return None
    n = len(bounds[0])
    rows = [(tuple(b), float(f)) for b, f in zip(bounds, fits, strict=True) if len(b) == n]
    if len(rows) < min_pages:
        return None
    med = float(np.median([f for _, f in rows]))
    limit = max(0.5, min(2.0 * med, med + 2.0))
    good = [b for b, f in rows if f <= limit]
    return good if len(good) >= min_pages else None


def pitch_off(geometry: ColumnGeometry | None, prior: BookPrior | None) -> bool:
    """Whether a page's row height is far (``PITCH_OFF``) from its book's: printed rows of one
    book differ by a few percent, a measure that far off took two rows for one or text lines
    for rows. Reported (``book_check``); the rows stage does not take the book's yet."""
    return bool(geometry is not None and prior is not None and prior.pitch > 0
                and geometry.pitch > 0 and abs(geometry.pitch / prior.pitch - 1) > PITCH_OFF)


def strong(geometry: ColumnGeometry | None) -> bool:
    """A page whose own lines showed every column well (it may teach the book)."""
    return geometry is not None and geometry.complete and not geometry.prior_used \
        and geometry.fit <= POOR_FIT


def weakness(layout: PageLayout | None = None, *, geometry: ColumnGeometry | None = None,
             status: str = "") -> str:
    """Why a page's own evidence is weak ("" when it is not): no table, columns placed
    without a line of their own, columns cut off, a poor fit of the lines. Takes a layout,
    or its geometry and status (what ``sohoa process`` keeps of a page)."""
    if layout is not None:
        geometry, status = layout.geometry, layout.status
    if geometry is None:
        return status or "no table"
    if geometry.cut:
        return f"{geometry.cut} columns cut off"
    if geometry.placed:
        return f"{geometry.placed} column lines missing"
    if geometry.fit > POOR_FIT:
        return f"poor column fit ({geometry.fit:.2f})"
    return ""


def prior_of(pages: Sequence[ColumnGeometry | PageLayout | None],
             min_pages: int = MIN_PAGES, statuses: Sequence[str] | None = None
             ) -> BookPrior | None:
    """The consensus of a book's analysed pages (layouts, or geometries with their
    ``statuses``): column boundaries from the pages whose own lines showed every column, or
    else boundary by boundary from the pages whose own line showed it (a hand-ruled book
    loses other lines on each page); the row height from the analysed pages that agree on one
    (at least ``min_pages + 1``, most within 10 % of their median). A page the book's layout
    repaired never teaches it."""
    if statuses is None:
        statuses = [p.status if isinstance(p, PageLayout) else "ok" for p in pages]
    geoms = [p.geometry if isinstance(p, PageLayout) else p for p in pages]
    done = [g for g in geoms if g is not None and strong(g)]
    bounds = book_prior([g.bounds for g in done], [g.fit for g in done], min_pages)
    if bounds is None:
        bounds = _by_boundary([g for g in geoms if g is not None], min_pages)
    pitches = np.array([g.pitch for g, st in zip(geoms, statuses, strict=True)
                        if g is not None and g.pitch > 0 and not g.prior_used
                        and not st.startswith(("no ", "not ", "blank"))])
    pitch = 0.0
    if len(pitches) > min_pages:
        med = float(np.median(pitches))
        if np.count_nonzero(np.abs(pitches / med - 1) <= 0.1) >= max(min_pages + 1,
                                                                     0.6 * len(pitches)):
            pitch = round(med, 5)
    if bounds is None and not pitch:
        return None
    return BookPrior(bounds, len(done), pitch)


def _by_boundary(geoms: Sequence[ColumnGeometry], min_pages: int,
                 rounds: int = 6) -> tuple[float, ...] | None:
    """The book's boundaries from every page's own lines, cut or not: each page sees its
    found boundaries (not placed, not at a column off the image) through its own offset and
    scale, x = a + b * f; alternately fit each page's (a, b) to the book's f and each f to the
    pages' lines (medians), leaving out a page whose lines do not fit (mislabelled lines). A
    boundary no page that fits showed a line for takes the median of where they placed it.
    None with fewer than ``min_pages`` pages that fit."""
    n = max((len(g.bounds) for g in geoms), default=0)
    obs = []
    for g in geoms:
        if (g.prior_used or len(g.bounds) != n or len(g.placed_at) != g.placed
                or len(g.cut_at) != g.cut):
            continue
        off = set(g.cut_at) | {c + 1 for c in g.cut_at}
        seen = {j: x for j, x in enumerate(g.bounds) if j not in g.placed_at and j not in off}
        if len(seen) >= 4:
            obs.append((seen, np.asarray(g.bounds, float)))
    if len(obs) < min_pages:
        return None
    f = np.array([np.median([s[j] for s, _ in obs if j in s]) if any(j in s for s, _ in obs)
                  else np.median([b[j] for _, b in obs]) for j in range(n)])
    keep: list[tuple[dict[int, float], np.ndarray, float, float]] = []
    for _ in range(rounds):
        keep = []
        for s, allb in obs:
            js = list(s)
            b, a = np.polyfit(f[js], [s[j] for j in js], 1)
            res = np.abs(np.array([s[j] for j in js]) - (a + b * f[js]))
            if b > 0 and np.median(res) <= FIT_RES * b and res.max() <= 4 * FIT_RES * b:
                keep.append((s, allb, float(a), float(b)))
        if len(keep) < min_pages:
            return None
        f = np.array([np.median([(s[j] - a) / b for s, _, a, b in keep if j in s])
                      if any(j in s for s, _, _, _ in keep)
                      else np.median([(allb[j] - a) / b for _, allb, a, b in keep])
                      for j in range(n)])
        f = (f - f[0]) / max(1e-6, f[-1] - f[0])
    arr = np.maximum.accumulate(f)
    return tuple(round(float(v), 5) for v in arr)
