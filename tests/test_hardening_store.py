"""Issue 17 item 3: the workspace opens only a database that is what it claims.

Real SQLite files damaged on disk (emptied, deleted, bytes overwritten in the middle, an index
pointed at the wrong b-tree), real CLI processes: one clear line, no traceback, nothing marked.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from store_helpers import entry_results, make_book, page_image, sha

from sohoa.errors import SohoaError
from sohoa.store import DatabaseDamaged, StoreDatabaseError, Workspace, WorkspaceError

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "sohoa.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode != 0, res.stdout
    assert "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


def filled(tmp: Path, pages: int = 3, entries: int = 4) -> Path:
    path = tmp / "ws"
    with Workspace.open(path, create=True) as ws:
        book = make_book(ws)
        for i in range(pages):
            img = page_image(i)
            page, _ = ws.add_page(book, img, f"p{i}.png", sha(img))
            ws.save_page_result(page.id, 0.0, entry_results(entries, tag=f"{i}-"))
    return path


def test_empty_database_beside_pages_is_an_error_not_a_new_workspace(tmp_path):
    path = filled(tmp_path)
    (path / "sohoa.db").write_bytes(b"")
    for wal in ("sohoa.db-wal", "sohoa.db-shm"):
        (path / wal).unlink(missing_ok=True)
    with pytest.raises(DatabaseDamaged, match="empty"):
        Workspace.open(path, create=True)
    line = one_line_error(cli("status", "-w", str(path)))
    assert "sohoa.db" in line and "empty" in line
    line = one_line_error(cli("ingest", str(tmp_path / "nothing.png"), "-w", str(path), "--type",
                              "KS", "--year", "2008", "--volume", "1", "--commune", "X"))
    assert "empty" in line
    assert (path / "sohoa.db").stat().st_size == 0  # not silently recreated


def test_missing_database_beside_pages_is_an_error(tmp_path):
    path = filled(tmp_path)
    for name in ("sohoa.db", "sohoa.db-wal", "sohoa.db-shm"):
        (path / name).unlink(missing_ok=True)
    with pytest.raises(DatabaseDamaged, match="missing"):
        Workspace.open(path, create=True)
    assert not (path / "sohoa.db").exists()
    # a new folder (no page images) is still created as before
    with Workspace.open(tmp_path / "fresh", create=True) as ws:
        assert ws.books() == []


def _damage_middle(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = 4096
    mid = len(data) // page // 2
    data[mid * page + 64: mid * page + 3000] = bytes(range(256)) * 11 + bytes(120)
    db.write_bytes(bytes(data))


def test_damage_in_the_middle_is_found_at_open_and_reported_in_one_line(tmp_path):
    path = filled(tmp_path, pages=60, entries=6)
    Workspace.open(path).close()  # checkpointed into the main file on close
    assert not (path / "sohoa.db-wal").exists() or (path / "sohoa.db-wal").stat().st_size == 0
    _damage_middle(path / "sohoa.db")
    with pytest.raises(DatabaseDamaged) as err:
        Workspace.open(path)
    assert isinstance(err.value, SohoaError) and isinstance(err.value, WorkspaceError)
    assert "\n" not in str(err.value)
    for args in (("status", "-w", str(path)), ("check", "-w", str(path)),
                 ("process", "-w", str(path), "--engine", "fake"),
                 ("export", "-w", str(path), "-o", str(tmp_path / "out"))):
        line = one_line_error(cli(*args))
        assert "sohoa.db" in line and "damaged" in line, (args, line)
    assert not (tmp_path / "out").exists()


def _swap_index_roots(db: Path) -> None:
    """Damage quick_check does not see: the entries' status index points at another b-tree."""
    con = sqlite3.connect(db)
    roots = dict(con.execute("SELECT name, rootpage FROM sqlite_master WHERE type='index'"))
    con.execute("PRAGMA writable_schema=ON")
    con.execute("UPDATE sqlite_master SET rootpage=? WHERE name='entries_status'",
                (roots["audit_book"],))
    con.execute("UPDATE sqlite_master SET rootpage=? WHERE name='audit_book'",
                (roots["entries_status"],))
    con.commit()
    con.close()


def test_damage_quick_check_misses_stops_export_and_shows_in_check(tmp_path):
    from export_helpers import make_book as make_export_book

    from sohoa.export.run import export_workspace

    with Workspace.open(tmp_path / "ws", create=True) as ws:
        book, ids = make_export_book(ws, 4)
    _swap_index_roots(tmp_path / "ws" / "sohoa.db")
    with Workspace.open(tmp_path / "ws") as ws:  # quick_check passes: index content unchecked
        assert ws.integrity_problems()
        with pytest.raises(DatabaseDamaged, match="damaged"):
            export_workspace(ws, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    con = sqlite3.connect(tmp_path / "ws" / "sohoa.db")
    assert con.execute("SELECT count(*) FROM entries WHERE status='exported'").fetchone() == (0,)
    con.close()
    res = cli("check", "-w", str(tmp_path / "ws"))
    assert res.returncode == 1 and "DAMAGED" in res.stdout and "Traceback" not in res.stderr
    line = one_line_error(cli("export", "-w", str(tmp_path / "ws"), "-o", str(tmp_path / "out")))
    assert "damaged" in line


def test_sqlite_errors_under_any_call_become_one_workspace_error(tmp_path):
    path = filled(tmp_path, pages=1)
    ws = Workspace.open(path)
    con = sqlite3.connect(path / "sohoa.db")
    con.execute("DROP TABLE readings")  # a table the store relies on disappears under it
    con.close()
    entry_id = ws.entries()[0].id
    with pytest.raises(StoreDatabaseError) as err:
        ws.entry_view(entry_id)
    assert "sohoa.db" in str(err.value) and "readings" in str(err.value)
    ws.close()


def test_check_reports_a_sound_workspace_and_a_missing_image(tmp_path):
    path = filled(tmp_path, pages=2, entries=2)
    res = cli("check", "-w", str(path))
    assert res.returncode == 0 and "database sound" in res.stdout, res.stdout + res.stderr
    next((path / "crops").rglob("*.webp")).unlink()
    res = cli("check", "-w", str(path))
    assert res.returncode == 1 and "missing file" in res.stdout


def test_backup_is_a_consistent_usable_copy_while_a_writer_runs(tmp_path):
    path = filled(tmp_path, pages=4, entries=3)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:  # another connection keeps committing pages during the backup
        with Workspace.open(path) as ws:
            book = ws.books()[0].id
            k = 0
            while not stop.is_set() and k < 200:
                img = page_image(5000 + k)
                page, _ = ws.add_page(book, img, f"w{k}.png", sha(img))
                ws.save_page_result(page.id, 0.0, entry_results(3, tag=f"w{k}-"))
                written.append(page.id)
                k += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(written) < 3 and t.is_alive():
            time.sleep(0.01)
        res = cli("backup", "-w", str(path), "--to", str(tmp_path / "bk"))
    finally:
        stop.set()
        t.join()
    assert res.returncode == 0, res.stderr
    assert "checked" in res.stdout
    with Workspace.open(tmp_path / "bk") as bk:
        assert bk.integrity_problems() == []
        pages = bk.pages()
        assert len(pages) >= 4 + 3
        for e in bk.entries():  # every row of the snapshot has its images
            view = bk.entry_view(e.id)
            assert view.field_crops and all(p.is_file() for p in view.field_crops.values())
            assert bk.crop_image(e.id).size > 0
        for p in pages:
            assert (tmp_path / "bk" / "pages" / f"{p.sha256}.png").is_file()
    assert cli("check", "-w", str(tmp_path / "bk")).returncode == 0
    # a backup into a folder holding something else is refused in one line
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    line = one_line_error(cli("backup", "-w", str(path), "--to", str(tmp_path / "other")))
    assert "not empty" in line
