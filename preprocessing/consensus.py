"""Book consensus: the pages of one book share a printed layout.

Each analysed page reports its column boundaries normalised to its table
(``PageLayout.geometry``). The book's layout is the median of those from pages whose own lines
showed every boundary (nothing placed, nothing cut) with a typical fit; passed to
``analyze_page(..., prior=...)`` it replaces the template's widths as the prior, so a page whose
lines are faded or broken gets its missing boundaries where this book has them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from preprocessing.layout import ColumnGeometry

MIN_PAGES = 2  # fewer complete pages are no consensus


def book_prior(bounds: Sequence[Sequence[float]], fits: Sequence[float],
               min_pages: int = MIN_PAGES) -> tuple[float, ...] | None:
    """Median normalised boundaries of the pages that fit well (fit at most twice the median
    fit, and at most 2 above it, or under 0.5); None with fewer than ``min_pages`` such
    pages."""
    if not bounds:
        return None
    n = len(bounds[0])
    rows = [(tuple(b), float(f)) for b, f in zip(bounds, fits, strict=True) if len(b) == n]
    if len(rows) < min_pages:
        return None
    med = float(np.median([f for _, f in rows]))
    limit = max(0.5, min(2.0 * med, med + 2.0))
    good = [b for b, f in rows if f <= limit]
    if len(good) < min_pages:
        return None
    arr = np.array(good, dtype=np.float64)
    out = np.median(arr, axis=0)
    out = np.maximum.accumulate(out)  # keep the order
    return tuple(round(float(v), 5) for v in out)


def prior_of(pages: Sequence[ColumnGeometry], min_pages: int = MIN_PAGES
             ) -> tuple[float, ...] | None:
    """The consensus of a book's analysed pages (only the complete ones count)."""
    done = [g for g in pages if g.complete]
    return book_prior([g.bounds for g in done], [g.fit for g in done], min_pages)
