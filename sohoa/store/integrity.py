"""A database that is what it claims: checks at open, SQLite errors as one clear line, backups.

- :func:`check_before_open` refuses a missing or empty ``sohoa.db`` beside stored page images
  (that is a lost or truncated database, not a new workspace).
- :func:`quick_check` (``PRAGMA quick_check``, at every open) and :func:`integrity_check`
  (``PRAGMA integrity_check`` plus foreign keys, before an export and in ``sohoa check``) turn
  damage into :class:`DatabaseDamaged` naming the file and what SQLite found.
- :func:`translate_errors` wraps every public method of the workspace so that any
  ``sqlite3.Error`` raised below it reaches the caller as one :class:`StoreDatabaseError` line.
- :func:`backup` copies the database with the SQLite backup API (a consistent snapshot while
  other processes write) and then the image files the snapshot points at.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sohoa.errors import ConflictError, SohoaError
from sohoa.store.files import fsync_file
from sohoa.store.types import WorkspaceError

log = logging.getLogger(__name__)

IMAGE_DIRS = ("pages", "crops")
MAX_REPORTED = 10  # problems listed from integrity_check


class StoreDatabaseError(WorkspaceError, SohoaError):
    """SQLite failed under a workspace operation; the message names the database file."""


class DatabaseDamaged(StoreDatabaseError):
    """The database file is missing, empty or damaged beside existing workspace data."""


class DatabaseBusy(StoreDatabaseError, ConflictError):
    """Another process held the database longer than the store waits."""


def has_images(path: Path) -> bool:
    """True when the workspace folder holds at least one stored page image."""
    pages = path / "pages"
    try:
        with os.scandir(pages) as it:
            return any(e.is_file() and not e.name.startswith(".") for e in it)
    except OSError:
        return False


def check_before_open(path: Path, db: Path) -> None:
    """Refuse a missing or 0-byte database when the folder already holds page images."""
    if not has_images(path):
        return
    if not db.exists():
        raise DatabaseDamaged(
            f"{db}: the database is missing but {path / 'pages'} holds page images; restore"
            " sohoa.db from a backup (sohoa backup) instead of starting a new workspace here")
    if db.stat().st_size == 0:
        raise DatabaseDamaged(
            f"{db}: the database file is empty (0 bytes) but {path / 'pages'} holds page"
            " images; restore sohoa.db from a backup (sohoa backup)")


def check_not_blank(conn: sqlite3.Connection, path: Path, db: Path) -> None:
    """After open: a database with no schema beside page images is not a new workspace."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version == 0 and has_images(path):
        raise DatabaseDamaged(
            f"{db}: the database holds no workspace tables but {path / 'pages'} holds page"
            " images; restore sohoa.db from a backup (sohoa backup)")


def _problems(rows: list[Any]) -> list[str]:
    """The lines of a check's answer other than ``ok`` (SQLite may put several in one row)."""
    lines = [ln.strip() for r in rows for ln in str(r[0]).splitlines()]
    return [ln for ln in lines if ln and ln != "ok" and not ln.startswith("*** in database")]


def quick_check(conn: sqlite3.Connection, db: Path) -> None:
    """``PRAGMA quick_check``: raise :class:`DatabaseDamaged` if SQLite finds damage."""
    try:
        found = _problems(conn.execute(f"PRAGMA quick_check({MAX_REPORTED})").fetchall())
    except sqlite3.DatabaseError as exc:
        raise DatabaseDamaged(f"{db}: the database is damaged ({exc}); {_restore_hint(db)}"
                              ) from exc
    if found:
        raise DatabaseDamaged(f"{db}: the database is damaged ({'; '.join(found[:3])});"
                              f" {_restore_hint(db)}")


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """Every problem ``integrity_check`` and ``foreign_key_check`` report (empty when sound)."""
    try:
        found = _problems(conn.execute(
            f"PRAGMA integrity_check({MAX_REPORTED})").fetchall())
        for row in conn.execute("PRAGMA foreign_key_check").fetchmany(MAX_REPORTED):
            found.append(f"row {row[1]} of table {row[0]} points at a missing row of {row[2]}")
    except sqlite3.DatabaseError as exc:
        found = [str(exc)]
    return found


def integrity_check(conn: sqlite3.Connection, db: Path) -> None:
    """``PRAGMA integrity_check``: raise :class:`DatabaseDamaged` listing what is wrong."""
    found = integrity_problems(conn)
    if found:
        raise DatabaseDamaged(f"{db}: the database is damaged ({'; '.join(found[:3])});"
                              f" {_restore_hint(db)}")


def _restore_hint(db: Path) -> str:
    return "nothing was changed; restore sohoa.db from a backup (sohoa backup)"


def describe(exc: sqlite3.Error, db: Path) -> StoreDatabaseError:
    """One clear error for a raw SQLite error raised under a workspace call."""
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in low or "busy" in low):
        return DatabaseBusy(f"{db}: the database stayed busy ({text}); another sohoa process"
                            " holds it, try again when it finishes")
    if "malformed" in low or "not a database" in low or "corrupt" in low \
            or isinstance(exc, sqlite3.DatabaseError) and "disk i/o" in low:
        return DatabaseDamaged(f"{db}: the database is damaged ({text}); {_restore_hint(db)}")
    return StoreDatabaseError(f"{db}: database error ({type(exc).__name__}: {text})")


def translate_errors(cls: type) -> type:
    """Wrap the public methods of ``cls`` (and its bases) so ``sqlite3.Error`` becomes one
    :class:`StoreDatabaseError`; the project's own errors pass through unchanged."""

    def wrap(fn: Any) -> Any:
        @functools.wraps(fn)
        def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise describe(exc, getattr(self, "db_path", Path("sohoa.db"))) from exc

        return inner

    for name in dir(cls):
        if name.startswith("_") or name in ("open", "close"):
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, (staticmethod, classmethod, property)) or not callable(attr):
            continue
        if inspect.isgeneratorfunction(attr):
            continue
        setattr(cls, name, wrap(attr))
    return cls


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    db_bytes: int
    images: int  # image files copied (files already there with the same size are kept)
    image_bytes: int


def backup(conn: sqlite3.Connection, workspace: Path, dest: Path) -> BackupReport:
    """Copy the workspace to ``dest``: the database with the SQLite backup API (a consistent
    snapshot, even while other processes write), then the images, then ``settings.toml``.

    Images are written before the rows that point at them and never change afterwards, so the
    images present after the snapshot include all the snapshot needs.
    """
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise BackupError(f"{dest}: is a file, not a folder")
    if dest.resolve() == Path(workspace).resolve() or Path(workspace).resolve() in \
            dest.resolve().parents:
        raise BackupError(f"{dest}: a backup cannot be inside the workspace it copies")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / "sohoa.db").exists():
        raise BackupError(f"{dest}: folder is not empty and holds no earlier backup")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        part = dest / "sohoa.db.part"
        part.unlink(missing_ok=True)
        target = sqlite3.connect(str(part))
        try:
            conn.backup(target)
            bad = integrity_problems(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        if bad:
            part.unlink(missing_ok=True)
            raise DatabaseDamaged(f"{workspace / 'sohoa.db'}: the database is damaged"
                                  f" ({'; '.join(bad[:3])}); no backup written")
        fsync_file(part)
        for stale in ("sohoa.db-wal", "sohoa.db-shm"):
            (dest / stale).unlink(missing_ok=True)
        os.replace(part, dest / "sohoa.db")
        n, size = 0, 0
        for sub in IMAGE_DIRS:
            for src in sorted((Path(workspace) / sub).rglob("*")):
                if not src.is_file() or src.name.endswith(".tmp") or \
                        src.relative_to(workspace).parts[:2] == ("crops", "cache"):
                    continue  # the screens' crop cache is cut again from the pages
                dst = dest / src.relative_to(workspace)
                if dst.exists() and dst.stat().st_size == src.stat().st_size:
                    continue
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
                n, size = n + 1, size + src.stat().st_size
        settings = Path(workspace) / "settings.toml"
        if settings.is_file():
            shutil.copy2(settings, dest / "settings.toml")
    except OSError as exc:
        raise BackupError(f"{dest}: cannot write the backup ({exc.strerror or exc})") from exc
    return BackupReport(dest, (dest / "sohoa.db").stat().st_size, n, size)


class BackupError(WorkspaceError, SohoaError):
    """The backup folder cannot be used or written."""


def missing_files(conn: sqlite3.Connection, workspace: Path, limit: int = MAX_REPORTED
                  ) -> tuple[int, int, list[str]]:
    """(pages checked, crop files checked, the first ``limit`` files the rows point at that are
    missing on disk)."""
    from sohoa.store.files import page_file

    missing: list[str] = []
    n_pages = n_crops = 0
    for (sha,) in conn.execute("SELECT sha256 FROM pages ORDER BY id"):
        n_pages += 1
        if page_file(workspace, sha) is None and len(missing) < limit:
            missing.append(f"page image {sha[:12]}... (pages/)")
    # entry rows are cut from the page when needed; field cells are kept from processing
    for (rel,) in conn.execute("SELECT path FROM crops WHERE path != '' AND field != ''"
                               " ORDER BY entry_id"):
        n_crops += 1
        if not (workspace / rel).is_file() and len(missing) < limit:
            missing.append(str(rel))
    return n_pages, n_crops, missing


def kept_file_problems(conn: sqlite3.Connection, workspace: Path, limit: int = MAX_REPORTED
                       ) -> tuple[int, int, list[str]]:
    """(pages whose kept file was hashed and compared, pages ingested before hashes were
    recorded, the first ``limit`` pages whose kept file no longer has the sha256 recorded at
    ingest: the scan's bytes changed or were damaged on disk)."""
    import hashlib

    from sohoa.store.files import page_file

    checked = unrecorded = 0
    bad: list[str] = []
    for row in conn.execute("SELECT id, book_id, page_no, sha256, kept_sha256 FROM pages"
                            " ORDER BY id"):
        if not row["kept_sha256"]:
            unrecorded += 1
            continue
        path = page_file(workspace, row["sha256"])
        if path is None:
            continue  # reported as missing by missing_files
        h = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        checked += 1
        if h.hexdigest() != row["kept_sha256"] and len(bad) < limit:
            bad.append(f"{path.relative_to(workspace)} (book {row['book_id']} page"
                       f" {row['page_no']}): sha256 {h.hexdigest()[:12]}... differs from"
                       f" {row['kept_sha256'][:12]}... recorded at ingest")
    return checked, unrecorded, bad
