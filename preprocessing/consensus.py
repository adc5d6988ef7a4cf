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


@dataclass(frozen=True)
class BookPrior:
    """A book's layout learnt from its strong pages."""

    bounds: tuple[float, ...]  # column boundaries, 0 (table's left) .. 1 (right)
    pages: int  # strong pages it is the median of

    def close_to(self, other: Sequence[float]) -> bool:
        """Whether boundaries ``other`` are this layout's (within ``CLOSE``)."""
        return len(self.bounds) == len(other) and max(
            abs(a - b) for a, b in zip(self.bounds, other, strict=True)) <= CLOSE


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
             min_pages: int = MIN_PAGES) -> BookPrior | None:
    """The consensus of a book's analysed pages (layouts or their geometries); only the
    strong ones count (a page repaired by the book's prior never teaches it)."""
    geoms = [p.geometry if isinstance(p, PageLayout) else p for p in pages]
    done = [g for g in geoms if g is not None and strong(g)]
    bounds = book_prior([g.bounds for g in done], [g.fit for g in done], min_pages)
    if bounds is None:
        return None
    return BookPrior(bounds, len(done))
