"""The workspace store: one folder with a SQLite database (WAL) and the page and crop images.

The contract is ``docs/STORE_API.md``. This module holds books, pages, processing results,
entries and exports; review moves live in :mod:`sohoa.store.review`, users in
:mod:`sohoa.store.users`, the schema and transactions in :mod:`sohoa.store.schema`.

Every multi-row change is one ``BEGIN IMMEDIATE`` transaction; image files are written
atomically *before* the rows that point at them, so a killed process leaves either the old state
or the new one, never half of a page.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from sohoa.imageio import ImageError, decode_page
from sohoa.records import Book, Entry, EntryStatus, Page, Reading, nfc
from sohoa.store.base import (
    StoreBase,
    bbox_from_json,
    book_from_row,
    entry_from_row,
    frame_slot,
    page_from_row,
)
from sohoa.store.crop_cache import cache_file
from sohoa.store.crops import CropsMixin
from sohoa.store.files import page_file, write_atomic, write_png
from sohoa.store.integrity import (
    BackupReport,
    DatabaseDamaged,
    backup,
    check_before_open,
    check_not_blank,
    describe,
    integrity_check,
    integrity_problems,
    quick_check,
    translate_errors,
)
from sohoa.store.results import ResultsMixin
from sohoa.store.review import ReviewMixin
from sohoa.store.schema import PAGE_STATES, STATUSES, migrate
from sohoa.store.types import (
    AuditRow,
    EntryLocked,
    EntryResult,
    EntryView,
    ReceivedFile,
    StaleVersion,
    User,
    WorkspaceError,
    WorkspaceNotFound,
    utc_now,
)
from sohoa.store.users import UsersMixin

__all__ = [
    "AuditRow", "EntryLocked", "EntryResult", "EntryView", "StaleVersion", "User", "Workspace",
    "WorkspaceError",
]

log = logging.getLogger(__name__)


@translate_errors
class Workspace(ResultsMixin, CropsMixin, ReviewMixin, UsersMixin, StoreBase):
    """A workspace folder. Open with :meth:`open`; safe to share between threads."""

    @classmethod
    def open(cls, path: str | Path, create: bool = False) -> Workspace:
        """Open (and with ``create`` make) the workspace at ``path``; migrate its schema."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise WorkspaceError(f"{path}: is a file, not a workspace folder")
        db = path / "sohoa.db"
        check_before_open(path, db)
        if not db.exists():
            if not create:
                raise WorkspaceNotFound(f"{path}: no workspace here (no sohoa.db); create it first")
        try:
            path.mkdir(parents=True, exist_ok=True)
            (path / "pages").mkdir(exist_ok=True)
            (path / "crops").mkdir(exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"{path}: cannot create workspace ({exc.strerror})") from exc
        ws = cls(path)
        try:
            conn = ws._conn()
            check_not_blank(conn, path, db)
            quick_check(conn, db)
            migrate(conn, db)
        except sqlite3.DatabaseError as exc:
            ws.close()
            raise describe(exc, db) if "locked" in str(exc) else DatabaseDamaged(
                f"{db}: not a usable sohoa database ({exc})") from exc
        except BaseException:
            ws.close()
            raise
        return ws

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def integrity_check(self) -> None:
        """``PRAGMA integrity_check`` and foreign keys; :class:`DatabaseDamaged` if unsound."""
        integrity_check(self._conn(), self.db_path)

    def integrity_problems(self) -> list[str]:
        """What ``integrity_check`` finds (empty list when the database is sound)."""
        return integrity_problems(self._conn())

    def backup(self, dest: str | Path) -> BackupReport:
        """A consistent copy of this workspace in ``dest`` (see :func:`integrity.backup`)."""
        return backup(self._conn(), self.path, Path(dest))

    def settings(self, **overrides: Any) -> Any:
        """The typed settings of this workspace (defaults < settings.toml < ``overrides``)."""
        from sohoa.settings import load_settings

        return load_settings(self.path, overrides)

    # -- books -------------------------------------------------------------------------------
    def add_book(self, book: Book) -> Book:
        """Store ``book``; the same (type, year, volume, commune) returns the existing one."""

        def tx(c: sqlite3.Connection) -> int:
            row = c.execute(
                "SELECT id FROM books WHERE register_type=? AND year=? AND volume=? AND commune=?",
                (str(book.register_type), book.year, book.volume, book.commune),
            ).fetchone()
            if row is not None:
                return int(row[0])
            cur = c.execute(
                "INSERT INTO books (register_type, year, volume, commune, district, province,"
                " template, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (str(book.register_type), book.year, book.volume, book.commune, book.district,
                 book.province, book.template, utc_now()),
            )
            return int(cur.lastrowid or 0)

        return self.book(self._write(tx))

    def book(self, book_id: int) -> Book:
        return book_from_row(self._book_row(self._conn(), book_id))

    def books(self) -> list[Book]:
        return [book_from_row(r) for r in self._query("SELECT * FROM books ORDER BY id")]

    def find_book(self, ref: str | int) -> Book:
        """A book by id (``"3"``) or by volume (``"01/2008"``)."""
        text = nfc(str(ref)).strip()
        if text.isdigit():
            rows = self._query("SELECT * FROM books WHERE id = ?", (int(text),))
            if rows:
                return book_from_row(rows[0])
        rows = self._query("SELECT * FROM books WHERE volume = ? ORDER BY id", (text,))
        if not rows:
            known = ", ".join(f"{b.id} ({b.volume})" for b in self.books()) or "none"
            raise WorkspaceNotFound(f"{self.path}: no book {text!r}; books: {known}")
        if len(rows) > 1:
            ids = ", ".join(str(r["id"]) for r in rows)
            raise WorkspaceError(f"{self.path}: volume {text!r} is ambiguous (books {ids}); use id")
        return book_from_row(rows[0])

    def remove_empty_book(self, book_id: int) -> bool:
        """Delete a book that has no pages and no exports (an ingest where every file failed);
        True when it was removed."""

        def tx(c: sqlite3.Connection) -> bool:
            cur = c.execute(
                "DELETE FROM books WHERE id = ? AND NOT EXISTS (SELECT 1 FROM pages WHERE"
                " book_id = ?) AND NOT EXISTS (SELECT 1 FROM exports WHERE book_id = ?)",
                (int(book_id), int(book_id), int(book_id)))
            return cur.rowcount > 0

        return bool(self._write(tx))

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
        self._book_row(self._conn(), book_id)
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

    # -- entries -----------------------------------------------------------------------------
    def entries(
        self,
        book_id: int | None = None,
        status: str | EntryStatus | list[str] | list[EntryStatus] | None = None,
    ) -> list[Entry]:
        """Entries in reading order (book, page, index), optionally filtered."""
        where: list[str] = []
        params: list[Any] = []
        if book_id is not None:
            where.append("p.book_id = ?")
            params.append(int(book_id))
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            statuses = [str(EntryStatus(s)) for s in wanted]
            where.append(f"e.status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        sql = "SELECT e.* FROM entries e JOIN pages p ON p.id = e.page_id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY p.book_id, p.page_no, e.idx"
        return [entry_from_row(r) for r in self._query(sql, params)]

    def entry(self, entry_id: int) -> Entry:
        return entry_from_row(self._entry_row(self._conn(), entry_id))

    def entry_view(self, entry_id: int) -> EntryView:
        return self._read(lambda c: self._entry_view(c, entry_id))

    def _entry_view(self, c: sqlite3.Connection, entry_id: int) -> EntryView:
        row = self._entry_row(c, entry_id)
        page = page_from_row(c.execute("SELECT * FROM pages WHERE id=?", (row["page_id"],))
                             .fetchone())
        book = book_from_row(self._book_row(c, page.book_id))
        readings = {
            r["field"]: Reading(
                field=r["field"], text=r["text"], value=r["value"], confidence=r["confidence"],
                engine=r["engine"], bbox=bbox_from_json(r["bbox"]),
                alternatives=tuple(json.loads(r["alternatives"])),
            )
            for r in c.execute("SELECT * FROM readings WHERE entry_id=? ORDER BY field",
                               (entry_id,))
        }
        values = {f: r.value for f, r in readings.items()}
        illegible = set()
        for v in c.execute('SELECT * FROM "values" WHERE entry_id = ?', (entry_id,)):
            values[v["field"]] = v["value"]
            if v["illegible"]:
                illegible.add(v["field"])
        entry_crop, field_crops, boxes = None, {}, {}
        for cr in c.execute("SELECT * FROM crops WHERE entry_id = ?", (entry_id,)):
            if cr["field"] == "":
                entry_crop = self.path / cr["path"]
                continue
            if cr["path"]:  # kept from processing (a cell read as empty)
                field_crops[cr["field"]] = self.path / cr["path"]
            else:  # a box on the page: a file once a screen has cut it (field_crop_file)
                cut = cache_file(self.path, row["page_id"], row["idx"], cr["field"])
                if cut.is_file():
                    field_crops[cr["field"]] = cut
            box = bbox_from_json(cr["bbox"])
            if box is not None:
                boxes[cr["field"]] = box
        claimed = row["claimed_by"] if row["claimed_by"] else None
        return EntryView(
            entry=entry_from_row(row), book=book, page=page, readings=readings, values=values,
            illegible=frozenset(illegible), version=int(row["version"]), entry_crop=entry_crop,
            field_crops=field_crops, note=row["note"], confirmed_by=row["confirmed_by"],
            confirmed_at=row["confirmed_at"], field_boxes=boxes, claimed_by=claimed,
        )

    def count_by_status(self, book_id: int | None = None) -> dict[str, int]:
        """Entries per status, every status present (zero when none)."""
        sql = "SELECT e.status, COUNT(*) FROM entries e JOIN pages p ON p.id = e.page_id"
        params: tuple[Any, ...] = ()
        if book_id is not None:
            sql += " WHERE p.book_id = ?"
            params = (int(book_id),)
        out = {s: 0 for s in STATUSES}
        for status, n in self._query(sql + " GROUP BY e.status", params):
            out[status] = int(n)
        return out

    # -- exports -----------------------------------------------------------------------------
    def record_export(
        self, book_id: int, path: str, sha256: str, entry_count: int, draft: bool, user: str
    ) -> int:
        """Remember one export file (and audit it); returns the export id."""

        def tx(c: sqlite3.Connection) -> int:
            self._book_row(c, book_id)
            now = utc_now()
            cur = c.execute(
                "INSERT INTO exports (book_id, path, sha256, entry_count, draft, user, at)"
                " VALUES (?,?,?,?,?,?,?)",
                (book_id, str(path), sha256, int(entry_count), int(bool(draft)), user, now),
            )
            self._audit(c, user, "export", book_id=book_id, new=str(path), at=now)
            return int(cur.lastrowid or 0)

        return self._write(tx)

    def exports(self, book_id: int | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM exports", ()
        if book_id is not None:
            sql, params = sql + " WHERE book_id = ?", (int(book_id),)  # type: ignore[assignment]
        rows = self._query(sql + " ORDER BY id", params)
        return [{**dict(r), "draft": bool(r["draft"])} for r in rows]


def _check_state(state: str) -> None:
    if state not in PAGE_STATES:
        raise WorkspaceError(f"unknown page state {state!r}; one of {', '.join(PAGE_STATES)}")
