"""The workspace store: one folder with a SQLite database (WAL) and the page and crop images.

The contract is ``docs/STORE_API.md``. This module holds books, pages, processing results,
entries and exports; review moves live in :mod:`sohoa.store.review`, users in
:mod:`sohoa.store.users`, the schema and transactions in :mod:`sohoa.store.schema`.

Every multi-row change is one ``BEGIN IMMEDIATE`` transaction; image files are written
atomically *before* the rows that point at them, so a killed process leaves either the old state
or the new one, never half of a page.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from sohoa.records import Book, Entry, EntryStatus, Reading, nfc
from sohoa.store.adaptations import AdaptationsMixin
from sohoa.store.base import (
    StoreBase,
    bbox_from_json,
    book_from_row,
    entry_from_row,
    page_from_row,
)
from sohoa.store.crop_cache import cache_file
from sohoa.store.crops import CropsMixin
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
from sohoa.store.pages import PagesMixin
from sohoa.store.results import ResultsMixin
from sohoa.store.review import ReviewMixin
from sohoa.store.schema import STATUSES, migrate
from sohoa.store.types import (
    AuditRow,
    EntryLocked,
    EntryResult,
    EntryView,
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
class Workspace(PagesMixin, ResultsMixin, CropsMixin, AdaptationsMixin, ReviewMixin, UsersMixin,
                StoreBase):
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
        with self._using() as conn:
            integrity_check(conn, self.db_path)

    def integrity_problems(self) -> list[str]:
        """What ``integrity_check`` finds (empty list when the database is sound)."""
        with self._using() as conn:
            return integrity_problems(conn)

    def backup(self, dest: str | Path) -> BackupReport:
        """A consistent copy of this workspace in ``dest`` (see :func:`integrity.backup`)."""
        with self._using() as conn:
            return backup(conn, self.path, Path(dest))

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
        return book_from_row(self._read(lambda c: self._book_row(c, book_id)))

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
        return entry_from_row(self._read(lambda c: self._entry_row(c, entry_id)))

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

