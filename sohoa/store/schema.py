"""The workspace database: connection settings, versioned schema and write transactions.

Why these settings:
- ``journal_mode=WAL``: readers never block the writer and the writer never blocks readers, so
  the review screen stays responsive while a batch ``process`` run writes.
- ``synchronous=FULL``: each COMMIT fsyncs the WAL. A process killed with ``kill -9`` loses
  nothing committed even with NORMAL (the WAL is in the OS page cache); FULL also keeps the last
  transactions across a power cut, which matters on a commune office PC with no UPS. The cost is
  one fsync per transaction, and we batch rows per transaction.
- ``busy_timeout`` plus :func:`write_transaction`'s retry with backoff: two processes writing at
  once wait for each other instead of reporting "database is locked" to the user.
- The schema version lives in ``PRAGMA user_version``; :data:`MIGRATIONS` is an append-only list
  of functions, migration *i* takes the database from version *i* to *i + 1*.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sohoa.errors import ConflictError

log = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
WRITE_ATTEMPTS = 8

PAGE_STATES = ("ingested", "processed", "needs_attention", "failed")
STATUSES = ("detected", "prefilled", "confirmed", "approved", "exported")
ROLES = ("clerk", "approver", "admin")


class SchemaError(ConflictError, RuntimeError):
    """The database was written by a newer sohoa, or a migration failed."""


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _v1(conn: sqlite3.Connection) -> None:
    """The first schema: books, pages, entries, readings, crops, values, audit, users, exports."""
    conn.executescript(
        f"""
        CREATE TABLE books (
            id INTEGER PRIMARY KEY,
            register_type TEXT NOT NULL,
            year INTEGER NOT NULL,
            volume TEXT NOT NULL,
            commune TEXT NOT NULL,
            district TEXT NOT NULL DEFAULT '',
            province TEXT NOT NULL DEFAULT '',
            template TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (register_type, year, volume, commune)
        );
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            book_id INTEGER NOT NULL REFERENCES books(id),
            page_no INTEGER NOT NULL CHECK (page_no >= 1),
            source TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            angle REAL NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'ingested' CHECK (state IN {_in(PAGE_STATES)}),
            message TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (book_id, page_no)
        );
        CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            x0 INTEGER NOT NULL, y0 INTEGER NOT NULL, x1 INTEGER NOT NULL, y1 INTEGER NOT NULL,
            quad TEXT,
            status TEXT NOT NULL CHECK (status IN {_in(STATUSES)}),
            version INTEGER NOT NULL DEFAULT 1,
            claimed_by TEXT,
            claim_until REAL,
            note TEXT NOT NULL DEFAULT '',
            confirmed_by TEXT,
            confirmed_at TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (page_id, idx)
        );
        CREATE INDEX entries_status ON entries(status);
        CREATE TABLE readings (
            entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            field TEXT NOT NULL,
            text TEXT NOT NULL,
            value TEXT NOT NULL,
            confidence REAL NOT NULL,
            engine TEXT NOT NULL,
            bbox TEXT,
            alternatives TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (entry_id, field)
        );
        CREATE TABLE crops (
            entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            field TEXT NOT NULL,  -- '' for the whole entry
            path TEXT NOT NULL,   -- relative to the workspace folder
            bbox TEXT,
            PRIMARY KEY (entry_id, field)
        );
        CREATE TABLE "values" (
            entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            illegible INTEGER NOT NULL DEFAULT 0,
            by_user TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (entry_id, field)
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            action TEXT NOT NULL,
            book_id INTEGER,
            entry_id INTEGER,
            field TEXT,
            old TEXT,
            new TEXT,
            original TEXT
        );
        CREATE INDEX audit_entry ON audit(entry_id);
        CREATE INDEX audit_book ON audit(book_id);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN {_in(ROLES)}),
            pw_hash TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            last_failed_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE exports (
            id INTEGER PRIMARY KEY,
            book_id INTEGER NOT NULL REFERENCES books(id),
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            entry_count INTEGER NOT NULL,
            draft INTEGER NOT NULL,
            user TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Per-book writer adaptations (``sohoa adapt``): one row per attempt, kept or rejected."""
    conn.executescript(
        """
        CREATE TABLE adaptations (
            id INTEGER PRIMARY KEY,
            book_id INTEGER NOT NULL REFERENCES books(id),
            version TEXT NOT NULL,
            path TEXT NOT NULL,          -- relative to the workspace folder
            base_model TEXT NOT NULL,
            kept INTEGER NOT NULL,
            confirmed INTEGER NOT NULL,  -- confirmed entries of the book at the time
            crops_train INTEGER NOT NULL,
            crops_held_out INTEGER NOT NULL,
            cer_before REAL,
            cer_after REAL,
            reread INTEGER NOT NULL DEFAULT 0,
            by_user TEXT NOT NULL,
            at TEXT NOT NULL,
            UNIQUE (book_id, version)
        );
        CREATE INDEX adaptations_book ON adaptations(book_id);
        """
    )


def _v3(conn: sqlite3.Connection) -> None:
    """Originals as received and what was kept of them (issue 17): one ``originals`` row per
    input file (its sha256 and size as received); each page points at its original and records
    the sha256 of the bytes kept in ``pages/`` (the scan's own JPEG, TIFF frame or PDF page
    image), which ``sohoa check`` verifies. Field cells become boxes on the page: ``crops.quad``
    is the cell's quadrilateral, cut (with ``crops.margin``) when someone needs the crop."""
    conn.executescript(
        """
        CREATE TABLE originals (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,          -- the file as named when received (escaped)
            sha256 TEXT NOT NULL,        -- of the whole file as received
            bytes INTEGER NOT NULL,
            received_at TEXT NOT NULL,
            UNIQUE (path, sha256)
        );
        ALTER TABLE pages ADD COLUMN original_id INTEGER REFERENCES originals(id);
        ALTER TABLE pages ADD COLUMN kept_sha256 TEXT;
        ALTER TABLE pages ADD COLUMN kept_bytes INTEGER;
        CREATE INDEX pages_original ON pages(original_id);
        ALTER TABLE crops ADD COLUMN quad TEXT;
        ALTER TABLE crops ADD COLUMN margin REAL;
        """
    )


# Append only: never edit a migration that has shipped; add a new function instead.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(db_path: Path) -> sqlite3.Connection:
    """Open one connection with the workspace settings (autocommit; we issue BEGIN ourselves).

    ``check_same_thread=False`` only so that :meth:`Workspace.close` can close every thread's
    connection; each connection is still used by one thread only (threading.local).
    """
    conn = sqlite3.connect(
        str(db_path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
        check_same_thread=False,
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
    if str(mode).lower() != "wal":
        raise SchemaError(f"{db_path}: could not switch to WAL journal (got {mode!r})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


def _retry_busy(fn: Callable[[], T]) -> T:
    delay = 0.05
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or attempt == WRITE_ATTEMPTS - 1:
                raise
            log.warning("database busy, retrying in %.2f s (%s)", delay, exc)
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


def write_transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn(conn)`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT``; all or nothing.

    The whole function is re-run when SQLite still reports busy after ``busy_timeout``, so ``fn``
    must only touch the database (write files before calling this). If ``conn`` is already in a
    transaction, ``fn`` joins it.
    """
    if conn.in_transaction:
        return fn(conn)

    def attempt() -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            out = fn(conn)
            conn.execute("COMMIT")
            return out
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    return _retry_busy(attempt)


def migrate(conn: sqlite3.Connection, db_path: Path) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`, each step in its own transaction."""

    def version() -> int:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])

    current = version()
    if current > SCHEMA_VERSION:
        raise SchemaError(
            f"{db_path}: schema version {current} is newer than this sohoa ({SCHEMA_VERSION});"
            " upgrade sohoa"
        )
    while current < SCHEMA_VERSION:

        def step(c: sqlite3.Connection) -> int:
            now = version()  # another process may have migrated meanwhile
            if now >= SCHEMA_VERSION:
                return now
            log.info("%s: migrating schema %d -> %d", db_path, now, now + 1)
            for stmt in _statements(MIGRATIONS[now], c):
                c.execute(stmt)
            c.execute(f"PRAGMA user_version = {now + 1}")
            return now + 1

        current = write_transaction(conn, step)
    return current


def _statements(
    migration: Callable[[sqlite3.Connection], None], conn: sqlite3.Connection
) -> list[str]:
    """Collect a migration's SQL so it runs inside our transaction (executescript would COMMIT)."""
    collected: list[str] = []

    class _Recorder:
        def executescript(self, script: str) -> None:
            buf = ""
            for line in script.splitlines(keepends=True):
                buf += line
                if sqlite3.complete_statement(buf):
                    collected.append(buf.strip())
                    buf = ""
            if buf.strip():
                raise SchemaError(f"incomplete SQL in migration: {buf[:80]!r}")

        def execute(self, sql: str, params: tuple = ()) -> None:
            if params:
                raise SchemaError("migrations must not use parameters")
            collected.append(sql)

    migration(_Recorder())  # type: ignore[arg-type]
    return collected
