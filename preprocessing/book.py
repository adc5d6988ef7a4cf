"""A book's pages analysed together: the pages whose own lines are strong teach the book's
layout (``preprocessing.consensus``), and the weak pages are analysed again with it.

``BookPass`` is the bookkeeping ``sohoa process`` uses while pages stream through its workers
(each page gets the consensus of the book's pages done before it; once every page is done, the
weak pages that had no consensus yet are re-analysed). ``analyze_book`` is the same two passes
over images in memory (``sohoa segment`` of several pages, the benchmark's book mode).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from preprocessing.consensus import BookPrior, prior_of, weakness
from preprocessing.layout import ColumnGeometry, PageLayout
from sohoa.template import Template


@dataclass
class _Page:
    book: Hashable
    done: bool = False
    geometry: ColumnGeometry | None = None
    status: str = ""
    prior: BookPrior | None = None  # the book's layout the page was analysed with


class BookPass:
    """Per book: its analysed pages, their consensus, and which pages need a second look."""

    def __init__(self, books: dict[Hashable, Hashable]) -> None:
        """``books``: page key -> book key, for every page of the run."""
        self.pages = {k: _Page(b) for k, b in books.items()}
        self._priors: dict[Hashable, BookPrior | None] = {}

    def add(self, key: Hashable, geometry: ColumnGeometry | None, status: str,
            prior: BookPrior | None = None) -> None:
        """A page's analysis: its geometry and status (``prior``: the book's layout it was
        given)."""
        page = self.pages.get(key)
        if page is None:
            return
        page.done, page.geometry, page.status, page.prior = True, geometry, status, prior
        self._priors.pop(page.book, None)

    def prior(self, book: Hashable) -> BookPrior | None:
        """The consensus of the book's strong pages analysed so far (None: too few)."""
        if book not in self._priors:
            mine = [p for p in self.pages.values() if p.book == book and p.done]
            self._priors[book] = prior_of([p.geometry for p in mine],
                                          statuses=[p.status for p in mine])
        return self._priors[book]

    def prior_for(self, key: Hashable) -> BookPrior | None:
        page = self.pages.get(key)
        return self.prior(page.book) if page is not None else None

    def second_look(self) -> list[Hashable]:
        """Pages to analyse again: weak ones whose book now has a consensus they were not
        given (analysed before the book had one, or with one from fewer pages that differs)."""
        out = []
        for key, page in self.pages.items():
            if not page.done:
                continue
            now = self.prior(page.book)
            if now is None or now.bounds is None or not weakness(geometry=page.geometry,
                                                                  status=page.status):
                continue
            if now is not None and (page.prior is None or not now.close_to(page.prior)):
                out.append(key)
        return out


def page_record(geometry: ColumnGeometry | None, status: str,
                prior: BookPrior | None = None) -> dict[str, Any]:
    """What a book's consensus keeps of an analysed page, as plain JSON values (``sohoa
    process`` writes it to the workspace so a resumed run knows the pages done before)."""
    return {"geometry": None if geometry is None else asdict(geometry), "status": status,
            "prior": None if prior is None else asdict(prior)}


def from_record(rec: dict[str, Any]) -> tuple[ColumnGeometry | None, str, BookPrior | None]:
    """The (geometry, status, prior) of a :func:`page_record`; ValueError when it is not
    one."""
    try:
        g, p = rec.get("geometry"), rec.get("prior")
        geometry = None if g is None else ColumnGeometry(**{
            k: tuple(v) if isinstance(v, list) else v for k, v in g.items()})
        prior = None if p is None else BookPrior(**{
            k: tuple(v) if isinstance(v, list) else v for k, v in p.items()})
        return geometry, str(rec.get("status", "")), prior
    except (AttributeError, TypeError) as exc:
        raise ValueError(f"not a page record: {exc}") from exc


def analyze_book(pages: Sequence[np.ndarray] | Callable[[int], np.ndarray], template: Template,
                 *, count: int | None = None, ocr_header: bool = False) -> list[PageLayout]:
    """Analyse a book's pages in order, each with the consensus of the pages before it, then
    the weak pages analysed before the book had its layout once more with it (so a weak first
    page is repaired too). ``pages``: the images, or a function of the page index that loads
    one (``count`` pages; only one image in memory at a time). ``ocr_header`` as in
    ``analyze_page``."""
    from preprocessing.analyze import analyze_page

    if count is None:
        count = len(pages)  # type: ignore[arg-type]
    load = pages if callable(pages) else pages.__getitem__
    run = BookPass({i: 0 for i in range(count)})
    out: list[PageLayout] = []
    for i in range(count):
        prior = run.prior(0)
        out.append(analyze_page(load(i), template, prior=prior, ocr_header=ocr_header))
        run.add(i, out[i].geometry, out[i].status, prior)
    for key in run.second_look():  # the weak pages analysed before the book had its layout
        j = int(key)  # type: ignore[call-overload]
        prior = run.prior(0)
        out[j] = analyze_page(load(j), template, prior=prior, ocr_header=ocr_header)
        run.add(j, out[j].geometry, out[j].status, prior)
    return out
