"""All three files of a book's export or none: staging, a commit mark, a lock.

A book's delivery is ``<stem>.xlsx``, ``<stem>.zip`` and ``<stem>.manifest.json`` (plus
``<stem>.issues.csv`` when there are issues). They are written into a hidden staging folder
``.<stem>.staging/`` beside them, checked against each other (the manifest's sha256 of the Excel
and the ZIP, every PDF in the ZIP against its manifest line), and only then moved into place:

1. a ``COMMIT`` file is written (atomically) into the staging folder: from here on the new set
   is complete and will replace the old one, even if the process dies;
2. the old manifest is removed, the Excel, ZIP and issues list are renamed into place, and the
   new manifest is renamed last: **a set is final when its manifest exists and agrees**;
3. the staging folder is removed.

The next export of the book into the same folder first finishes a committed staging folder
(roll forward) or deletes an uncommitted one (roll back), so a killed export never leaves a
half set behind for long and never leaves anything that looks final on its own.

A lock per book and output folder (``.<stem>.lock``, ``flock``) keeps two exports of the same
book apart: the second one fails at once with :class:`ExportBusy`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

from sohoa.errors import ConflictError, SohoaError
from sohoa.export.bundle import sha256_file
from sohoa.store.files import fsync_file

log = logging.getLogger(__name__)

COMMIT = "COMMIT"


class ExportBusy(ConflictError, RuntimeError):
    """Another export of the same book into the same folder is running."""


class ExportMismatch(SohoaError, RuntimeError):
    """The staged files do not agree with their manifest (nothing was moved into place)."""


def staging_dir(out_dir: Path, stem: str) -> Path:
    return out_dir / f".{stem}.staging"


@contextlib.contextmanager
def book_lock(out_dir: Path, stem: str) -> Iterator[Path]:
    """Hold ``out_dir/.<stem>.lock`` (flock, not blocking) for the ``with`` body.

    The lock file is removed on release; a process that locked a file another one had just
    removed notices (the path no longer names its file) and tries again.
    """
    import fcntl

    path = out_dir / f".{stem}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise ExportBusy(
                    f"{out_dir}: another export of {stem} into this folder is running"
                    f" (lock {path.name}); try again when it has finished") from exc
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # locked a file that was removed meanwhile: take the new one
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def verify_set(folder: Path, manifest_name: str) -> list[str]:
    """What is wrong with the set described by ``folder/manifest_name`` (empty when it agrees):
    missing files, sha256 of the Excel or ZIP, ZIP members against the manifest lines."""
    manifest_path = folder / manifest_name
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{manifest_path.name}: unreadable ({exc})"]
    problems: list[str] = []
    for key in ("excel", "zip"):
        path = folder / str(data.get(key, ""))
        if not path.is_file():
            problems.append(f"{path.name}: missing")
        elif sha256_file(path) != data.get(f"{key}_sha256"):
            problems.append(f"{path.name}: sha256 differs from the manifest")
    zip_path = folder / str(data.get("zip", ""))
    if zip_path.is_file() and not problems:
        try:
            with zipfile.ZipFile(zip_path) as zf:
                names = set(zf.namelist())
                for e in data.get("entries", []):
                    if e["file"] not in names:
                        problems.append(f"{zip_path.name}: {e['file']} missing")
                    elif hashlib.sha256(zf.read(e["file"])).hexdigest() != e["sha256"]:
                        problems.append(f"{zip_path.name}: {e['file']} differs from manifest")
        except (OSError, zipfile.BadZipFile) as exc:
            problems.append(f"{zip_path.name}: unreadable ({exc})")
    return problems


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def commit(staging: Path, out_dir: Path, manifest_name: str, stale: tuple[str, ...] = ()
           ) -> None:
    """Check the staged set, mark it committed and move it into ``out_dir`` (manifest last).

    ``stale``: names in ``out_dir`` that the new set replaces by their absence (an old
    ``issues.csv`` when the new export has none).
    """
    problems = verify_set(staging, manifest_name)
    if problems:
        raise ExportMismatch(f"{staging}: the staged export does not agree with its manifest"
                             f" ({'; '.join(problems[:3])}); nothing was replaced")
    names = sorted(p.name for p in staging.iterdir() if p.is_file() and p.name != COMMIT)
    for name in names:
        fsync_file(staging / name)
    mark = staging / f"{COMMIT}.part"
    mark.write_text(json.dumps({"manifest": manifest_name, "files": names,
                                "stale": list(stale)}), encoding="utf-8")
    fsync_file(mark)
    os.replace(mark, staging / COMMIT)
    _fsync_dir(staging)
    _apply(staging, out_dir)


def _apply(staging: Path, out_dir: Path) -> None:
    """Move a committed staging folder's files into place (idempotent), then remove it."""
    plan = json.loads((staging / COMMIT).read_text(encoding="utf-8"))
    manifest = plan["manifest"]
    (out_dir / manifest).unlink(missing_ok=True)  # the old set stops looking final first
    _fsync_dir(out_dir)
    for name in plan["stale"]:
        (out_dir / name).unlink(missing_ok=True)
    for name in plan["files"]:
        if name != manifest and (staging / name).exists():
            os.replace(staging / name, out_dir / name)
    if (staging / manifest).exists():
        os.replace(staging / manifest, out_dir / manifest)
    _fsync_dir(out_dir)
    shutil.rmtree(staging, ignore_errors=True)


def recover(out_dir: Path, stem: str) -> str:
    """Finish (committed) or drop (uncommitted) what a killed export of ``stem`` left; returns
    ``"rolled forward"``, ``"rolled back"`` or ``""``. Call with the book's lock held."""
    staging = staging_dir(out_dir, stem)
    if not staging.exists():
        return ""
    if (staging / COMMIT).is_file():
        log.warning("%s: finishing an export that was interrupted after its commit", staging)
        _apply(staging, out_dir)
        return "rolled forward"
    log.warning("%s: removing an export that was interrupted before its commit", staging)
    shutil.rmtree(staging, ignore_errors=True)
    return "rolled back"
