"""Connections and row conversion shared by the parts of :class:`sohoa.store.Workspace`.

One SQLite connection per thread (``threading.local``): the Gradio server calls handlers from a
thread pool, and a sqlite3 connection must not be used by two threads at once.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sohoa.records import BBox, Book, Entry, Page
from sohoa.store.schema import connect, write_transaction
from sohoa.store.types import WorkspaceError, WorkspaceNotFound

T = TypeVar("T")

DB_NAME = "sohoa.db"


class StoreBase:
    """The workspace folder, its per-thread connections, and small row helpers."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.db_path = self.path / DB_NAME
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._busy: dict[sqlite3.Connection, int] = {}  # connections in use: how many calls
        self._closed = False
        self._pid = os.getpid()

    # -- connections -------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise WorkspaceError(f"{self.path}: workspace is closed")
        if self._pid != os.getpid():  # forked child: never reuse the parent's connections
            self._local, self._all, self._pid = threading.local(), [], os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.db_path)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, marked in use so that :meth:`close` from another thread
        leaves it open until the call ends (closing a connection under a running query crashes
        SQLite); the last call on a closed workspace closes it."""
        conn = self._conn()
        with self._lock:
            if self._closed:
                raise WorkspaceError(f"{self.path}: workspace is closed")
            self._busy[conn] = self._busy.get(conn, 0) + 1
        try:
            yield conn
        finally:
            with self._lock:
                left = self._busy.pop(conn) - 1
                if left:
                    self._busy[conn] = left
                last = self._closed and not left
            if last:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction, retried while the db is busy."""
        with self._using() as conn:
            return write_transaction(conn, fn)

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one read transaction so that it sees one consistent snapshot."""
        with self._using() as conn:
            if conn.in_transaction:
                return fn(conn)
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._using() as conn:
            return conn.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        """Close every thread's connection (one in use by another thread's running call is
        closed by that call as it ends). The workspace cannot be used afterwards."""
        with self._lock:
            conns, self._all = self._all, []
            self._closed = True
            conns = [c for c in conns if c not in self._busy]
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    # -- lookups used by several parts -------------------------------------------------------
    def _entry_row(self, conn: sqlite3.Connection, entry_id: int) -> sqlite3.Row:
        row = conn.execute(
            "SELECT e.*, p.book_id FROM entries e JOIN pages p ON p.id = e.page_id"
            " WHERE e.id = ?",
            (int(entry_id),),
        ).fetchone()
        if row is None:
            raise WorkspaceNotFound(f"{self.path}: no entry {entry_id}")
        return row

    def _book_row(self, conn: sqlite3.Connection, book_id: int) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM books WHERE id = ?", (int(book_id),)).fetchone()
        if row is None:
            raise WorkspaceNotFound(f"{self.path}: no book {book_id}")
        return row


def book_from_row(row: sqlite3.Row) -> Book:
    return Book(
        id=row["id"], register_type=row["register_type"], year=row["year"],
        volume=row["volume"], commune=row["commune"], district=row["district"],
        province=row["province"], template=row["template"],
    )


def page_from_row(row: sqlite3.Row) -> Page:
    return Page(
        id=row["id"], book_id=row["book_id"], page_no=row["page_no"], source=row["source"],
        sha256=row["sha256"], width=row["width"], height=row["height"], angle=row["angle"],
        created_at=row["created_at"] or "",
    )


def entry_from_row(row: sqlite3.Row) -> Entry:
    return Entry(
        id=row["id"], page_id=row["page_id"], index=row["idx"],
        bbox=(row["x0"], row["y0"], row["x1"], row["y1"]), status=row["status"],
    )


def bbox_json(bbox: BBox | None) -> str | None:
    return None if bbox is None else json.dumps([int(v) for v in bbox])


def bbox_from_json(text: str | None) -> BBox | None:
    if not text:
        return None
    x0, y0, x1, y1 = json.loads(text)
    return (int(x0), int(y0), int(x1), int(y1))


def frame_slot(c: sqlite3.Connection, book_id: int, source: str) -> int:
    """The page number for a new page: after the book's last page, except for frame N of a
    file whose later frames are already in the book (a repaired TIFF ingested again): then
    just before them, the pages after it moving up one, so the book keeps frame order."""
    last = int(c.execute("SELECT COALESCE(MAX(page_no), 0) FROM pages WHERE book_id = ?",
                         (book_id,)).fetchone()[0])
    file, sep, frame = source.rpartition("#page=")
    if not sep or not frame.isdigit():
        return last + 1
    prefix = file + sep
    later = [int(no) for no, src in c.execute(
        "SELECT page_no, source FROM pages WHERE book_id = ? AND substr(source, 1, ?) = ?",
        (book_id, len(prefix), prefix))
        if src[len(prefix):].isdigit() and int(src[len(prefix):]) > int(frame)]
    if not later:
        return last + 1
    slot = min(later)
    shift = last + 1  # two steps keep UNIQUE(book_id, page_no) and page_no >= 1 true throughout
    c.execute("UPDATE pages SET page_no = page_no + ? WHERE book_id = ? AND page_no >= ?",
              (shift, book_id, slot))
    c.execute("UPDATE pages SET page_no = page_no - ? + 1 WHERE book_id = ? AND page_no > ?",
              (shift, book_id, last))
    return slot
