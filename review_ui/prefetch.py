"""Entry crops ready before a clerk asks for them.

An entry's row image is cut from its page on first view (``Workspace.entry_crop_file``, which
then caches the page's other rows). With 20 clerks starting on a fresh book, many of them
asked for rows of the same page at once and each server thread decoded the page: one page
decode per clerk instead of one per page, and the clerk who opens a page's first row waits for
it. Here one lock per page makes the others wait for the one decode, and a background thread
cuts the rows of the next pages while the clerks work on the current ones, so no clerk waits
for a page decode in steady work.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

AHEAD = 3  # pages cut ahead of the page a clerk just opened (or holds next: entry_tab.render)

_guard = threading.Lock()
_locks: dict[tuple[str, int], threading.Lock] = {}


def _key(ws: Any, page_id: int) -> tuple[str, int]:
    return (str(getattr(ws, "path", "")), int(page_id))  # ids are per workspace


def page_lock(ws: Any, page_id: int) -> threading.Lock:
    with _guard:
        lock = _locks.get(_key(ws, page_id))
        if lock is None:
            lock = _locks[_key(ws, page_id)] = threading.Lock()
        return lock


def entry_crop(ws: Any, entry_id: int, page_id: int) -> str | None:
    """The entry's row image file (cut from the page once, whoever asks first)."""
    with page_lock(ws, page_id):
        path = ws.entry_crop_file(entry_id)
    return str(path) if path and Path(path).exists() else None


class Warmer(threading.Thread):
    """One background thread that cuts the rows of the pages after the one a clerk opened."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="sohoa-crop-warmer")
        self.jobs: queue.Queue[tuple[Any, int, int]] = queue.Queue(maxsize=256)
        self.done: set[tuple[str, int]] = set()  # pages whose rows are cut
        # (workspace, book) -> [(page id, its first entry)]
        self.firsts: dict[tuple[str, int], list[tuple[int, int]]] = {}

    def ahead(self, ws: Any, book_id: int, page_id: int, itself: bool = False) -> None:
        """Ask for the rows of the ``AHEAD`` pages after ``page_id`` (never blocks), and of
        that page too with ``itself``."""
        if not itself:
            self.done.add(_key(ws, page_id))  # the clerk's own view just cut it
        try:
            self.jobs.put_nowait((ws, int(book_id), -int(page_id) if itself else int(page_id)))
        except queue.Full:
            pass

    def _pages(self, ws: Any, book_id: int, page_id: int) -> list[tuple[int, int]]:
        firsts = self.firsts.get(_key(ws, book_id))
        if firsts is None or page_id not in {p for p, _ in firsts}:
            seen: dict[int, int] = {}
            for e in ws.entries(book_id=book_id):
                seen.setdefault(int(e.page_id), int(e.id))
            firsts = self.firsts[_key(ws, book_id)] = list(seen.items())
        return firsts

    def run(self) -> None:
        while True:
            ws, book_id, page_id = self.jobs.get()
            itself, page_id = page_id < 0, abs(page_id)
            try:
                firsts = self._pages(ws, book_id, page_id)
                at = [p for p, _ in firsts].index(page_id) if page_id in dict(firsts) else -1
                at -= 1 if itself and at >= 0 else 0
                for pid, first in firsts[at + 1:at + 1 + AHEAD + int(itself)]:
                    if _key(ws, pid) not in self.done:
                        entry_crop(ws, first, pid)
                        self.done.add(_key(ws, pid))
            except Exception:  # a warm-up failure only costs speed: the view cuts it itself
                log.exception("cutting the rows after page %s failed", page_id)


_warmer: Warmer | None = None


def warm_ahead(ws: Any, book_id: int, page_id: int, itself: bool = False) -> None:
    """Have the rows of the next pages of ``book_id`` (and of ``page_id`` with ``itself``)
    cut in the background."""
    global _warmer
    with _guard:
        if _warmer is None:
            _warmer = Warmer()
            _warmer.start()
    _warmer.ahead(ws, book_id, page_id, itself)


def warm_queue(ws: Any) -> None:
    """At start: the first waiting pages of every book, before the first clerk asks."""
    for book in ws.books():
        waiting = ws.entries(book_id=int(book.id), status="prefilled")
        if waiting:
            warm_ahead(ws, int(book.id), int(waiting[0].page_id), itself=True)
