"""Pages of the workspace: the kept scan files, their rows, the originals they came from."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from sohoa.imageio import ImageError, decode_page
from sohoa.records import Page, nfc
from sohoa.store.base import StoreBase, frame_slot, page_from_row
from sohoa.store.files import page_file, write_atomic, write_png
from sohoa.store.schema import PAGE_STATES
from sohoa.store.types import ReceivedFile, WorkspaceError, WorkspaceNotFound, utc_now


class PagesMixin(StoreBase):
    """Pages and originals of :class:`sohoa.store.Workspace`."""

    # -- pages -------------------------------------------------------------------------------
    def page_path(self, sha256: str) -> Path:
        """The page's stored file: the scan's own bytes (``.jpg``, ``.png``, ``.tif``) or a
        PNG of its pixels; ``pages/<sha256>.png`` when there is none."""
        return page_file(self.path, sha256) or self.path / "pages" / f"{sha256}.png"

    def store_page_file(self, image: np.ndarray, sha256: str,
                        original: tuple[bytes, str] | None = None) -> Path:
        """Write the page's file (atomically) unless one exists; thread-safe.

        ``original``: the scan's own bytes and suffix to keep (see :mod:`sohoa.originals`);
        without it the pixels are stored as PNG. ``add_page`` calls it; ingest calls it first
        from worker threads so that encoding runs in parallel while rows are added in order.
        """
        file = page_file(self.path, sha256)
        if file is not None:
            return file
        if original is not None:
            data, suffix = original
            file = self.path / "pages" / f"{sha256}{suffix}"
            write_atomic(file, data)
            return file
        file = self.path / "pages" / f"{sha256}.png"
        write_png(file, np.asarray(image))
        return file

    def add_page(
        self, book_id: int, image: np.ndarray, source: str, sha256: str,
        original: ReceivedFile | None = None,
    ) -> tuple[Page, bool]:
        """Store a page image as the book's next page; ``(page, False)`` if already stored.

        ``original``: the file the page came from, as received (its path, sha256 and size),
        recorded once in ``originals``. The sha256 and size of the page's kept file are
        recorded with the page for ``sohoa check``.
        """
        existing = self._page_by_sha(sha256)
        if existing is not None:
            return existing, False
        self._read(lambda c: self._book_row(c, book_id))
        arr = np.asarray(image)
        height, width = int(arr.shape[0]), int(arr.shape[1])
        kept = self.store_page_file(arr, sha256).read_bytes()
        kept_sha, kept_bytes = hashlib.sha256(kept).hexdigest(), len(kept)
        del kept

        def tx(c: sqlite3.Connection) -> tuple[int, bool]:
            row = c.execute("SELECT id FROM pages WHERE sha256 = ?", (sha256,)).fetchone()
            if row is not None:
                return int(row[0]), False
            original_id = None
            if original is not None:
                c.execute("INSERT OR IGNORE INTO originals (path, sha256, bytes, received_at)"
                          " VALUES (?,?,?,?)", (nfc(original.path), original.sha256,
                                                int(original.bytes), utc_now()))
                original_id = int(c.execute(
                    "SELECT id FROM originals WHERE path = ? AND sha256 = ?",
                    (nfc(original.path), original.sha256)).fetchone()[0])
            nxt = frame_slot(c, book_id, nfc(source))
            cur = c.execute(
                "INSERT INTO pages (book_id, page_no, source, sha256, width, height, created_at,"
                " original_id, kept_sha256, kept_bytes) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (book_id, nxt, nfc(source), sha256, width, height, utc_now(), original_id,
                 kept_sha, kept_bytes),
            )
            return int(cur.lastrowid or 0), True

        page_id, created = self._write(tx)
        return self.page(page_id), created

    def originals(self, book_id: int | None = None) -> list[dict[str, Any]]:
        """The files received for ``book_id`` (or every book), in the order they came: path,
        sha256 and size as received, book, pages kept from it."""
        sql = ("SELECT o.id, o.path, o.sha256, o.bytes, o.received_at, p.book_id,"
               " COUNT(p.id) AS pages, SUM(p.kept_bytes) AS kept_bytes FROM originals o"
               " JOIN pages p ON p.original_id = o.id")
        params: tuple[Any, ...] = ()
        if book_id is not None:
            sql, params = sql + " WHERE p.book_id = ?", (int(book_id),)
        rows = self._query(sql + " GROUP BY o.id, p.book_id ORDER BY o.id", params)
        return [dict(r) for r in rows]

    def _page_by_sha(self, sha256: str) -> Page | None:
        rows = self._query("SELECT * FROM pages WHERE sha256 = ?", (sha256,))
        return page_from_row(rows[0]) if rows else None

    def pages(self, book_id: int | None = None) -> list[Page]:
        if book_id is None:
            rows = self._query("SELECT * FROM pages ORDER BY book_id, page_no")
        else:
            rows = self._query("SELECT * FROM pages WHERE book_id=? ORDER BY page_no", (book_id,))
        return [page_from_row(r) for r in rows]

    def page(self, page_id: int) -> Page:
        rows = self._query("SELECT * FROM pages WHERE id = ?", (int(page_id),))
        if not rows:
            raise WorkspaceNotFound(f"{self.path}: no page {page_id}")
        return page_from_row(rows[0])

    def page_image(self, page_id: int) -> np.ndarray:
        """The page as ingested, RGB uint8 (H, W, 3)."""
        page = self.page(page_id)
        path = self.page_path(page.sha256)
        try:
            return decode_page(path.read_bytes(), page.width, page.height)
        except (OSError, ImageError) as exc:
            raise WorkspaceError(f"{path}: page {page_id} image cannot be read ({exc})") from exc

    def page_state(self, page_id: int) -> tuple[str, str]:
        rows = self._query("SELECT state, message FROM pages WHERE id = ?", (int(page_id),))
        if not rows:
            raise WorkspaceNotFound(f"{self.path}: no page {page_id}")
        return str(rows[0][0]), str(rows[0][1])

    def pages_in_state(self, *states: str) -> list[Page]:
        for s in states:
            _check_state(s)
        marks = ",".join("?" * len(states))
        rows = self._query(
            f"SELECT * FROM pages WHERE state IN ({marks}) ORDER BY book_id, page_no", states
        )
        return [page_from_row(r) for r in rows]

    def set_page_state(self, page_id: int, state: str, message: str = "") -> None:
        _check_state(state)

        def tx(c: sqlite3.Connection) -> None:
            cur = c.execute(
                "UPDATE pages SET state=?, message=? WHERE id=?", (state, message, int(page_id))
            )
            if cur.rowcount == 0:
                raise WorkspaceNotFound(f"{self.path}: no page {page_id}")

        self._write(tx)


def _check_state(state: str) -> None:
    if state not in PAGE_STATES:
        raise WorkspaceError(f"unknown page state {state!r}; one of {', '.join(PAGE_STATES)}")
