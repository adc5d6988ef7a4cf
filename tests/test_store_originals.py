"""Issue 17 item 7: the sha256 of every file as received is in the database, each page's kept
bytes are hashed at ingest and verified by ``sohoa check``, and ``status --originals`` lists
them; a version-2 workspace migrates to version 3 without losing a page."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from sohoa.ingest import ingest
from sohoa.records import Book
from sohoa.store import Workspace
from sohoa.store.schema import MIGRATIONS, SCHEMA_VERSION, _statements

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "sohoa.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def scan(seed: int, size: tuple[int, int] = (300, 220)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((*size, 3), 225, np.uint8) + rng.integers(0, 20, (*size, 3), dtype=np.uint8)
    img[::30] = 50
    return img


def book() -> Book:
    return Book(None, "KS", 2008, "01/2008", "Chiềng Cơi", "Thuận Châu", "Sơn La")


def received(tmp: Path) -> tuple[Path, Path]:
    """A JPEG and a two-frame LZW TIFF, as a scanner would hand them over."""
    jpg = tmp / "in" / "trang 1.jpg"
    jpg.parent.mkdir()
    Image.fromarray(scan(1)).save(jpg, "JPEG", quality=85)
    tif = tmp / "in" / "trang 2-3.tif"
    frames = [Image.fromarray(scan(2 + i)) for i in range(2)]
    frames[0].save(tif, "TIFF", save_all=True, append_images=frames[1:],
                   compression="tiff_lzw")
    return jpg, tif


def test_each_file_as_received_and_each_kept_page_is_hashed(tmp_path):
    jpg, tif = received(tmp_path)
    with Workspace.open(tmp_path / "ws", create=True) as ws:
        rep = ingest(ws, [jpg, tif], book())
        assert rep.added == 3 and not rep.failures
        again = ingest(ws, [jpg, tif], book())
        assert again.duplicates == 3
        rows = ws.originals()
        pages = ws._query("SELECT * FROM pages ORDER BY page_no")
    want = {str(p.resolve()): hashlib.sha256(p.read_bytes()).hexdigest() for p in (jpg, tif)}
    assert {r["path"]: r["sha256"] for r in rows} == want  # recorded once per file
    assert {r["path"]: r["pages"] for r in rows} == {str(jpg.resolve()): 1,
                                                      str(tif.resolve()): 2}
    assert {r["path"]: r["bytes"] for r in rows} == {str(p.resolve()): p.stat().st_size
                                                      for p in (jpg, tif)}
    for row in pages:
        kept = next((tmp_path / "ws" / "pages").glob(row["sha256"] + ".*")).read_bytes()
        assert row["kept_sha256"] == hashlib.sha256(kept).hexdigest()
        assert row["kept_bytes"] == len(kept)
    assert pages[0]["kept_sha256"] == want[str(jpg.resolve())]  # a JPEG is kept as received


def test_check_finds_a_kept_scan_changed_on_disk_and_status_lists_originals(tmp_path):
    jpg, tif = received(tmp_path)
    ws_path = tmp_path / "ws"
    with Workspace.open(ws_path, create=True) as ws:
        ingest(ws, [jpg, tif], book())
    res = cli("check", "-w", str(ws_path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "3 kept scans hashed, 0 differ" in res.stdout, res.stdout
    res = cli("status", "-w", str(ws_path), "--originals")
    assert res.returncode == 0 and hashlib.sha256(jpg.read_bytes()).hexdigest() in res.stdout
    assert "trang 2-3.tif" in res.stdout, res.stdout
    js = json.loads(cli("status", "-w", str(ws_path), "--originals", "--json").stdout)
    assert sorted(o["pages"] for o in js["originals"]) == [1, 2]
    kept = next((ws_path / "pages").glob("*.jpg"))
    data = bytearray(kept.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the scan
    kept.write_bytes(bytes(data))
    res = cli("check", "-w", str(ws_path))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"changed file pages/{kept.name}" in res.stdout, res.stdout
    assert "1 differ from their sha256 at ingest" in res.stdout


def test_a_version_2_workspace_migrates_and_keeps_its_pages(tmp_path):
    ws_path = tmp_path / "old"
    (ws_path / "pages").mkdir(parents=True)
    png = io.BytesIO()
    Image.fromarray(scan(9)).save(png, "PNG")
    sha = "ab" * 32
    (ws_path / "pages" / f"{sha}.png").write_bytes(png.getvalue())
    conn = sqlite3.connect(ws_path / "sohoa.db", isolation_level=None)
    for migration in MIGRATIONS[:2]:
        for stmt in _statements(migration, conn):
            conn.execute(stmt)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO books (register_type, year, volume, commune, created_at)"
                 " VALUES ('KS', 2008, '01/2008', 'X', 'now')")
    conn.execute("INSERT INTO pages (book_id, page_no, source, sha256, width, height,"
                 " created_at) VALUES (1, 1, 'old.png', ?, 220, 300, 'now')", (sha,))
    conn.execute("INSERT INTO entries (page_id, idx, x0, y0, x1, y1, status, updated_at)"
                 " VALUES (1, 0, 0, 0, 200, 40, 'detected', 'now')")
    conn.execute("INSERT INTO crops (entry_id, field, path, bbox) VALUES (1, 'ten', '',"
                 " '[10, 5, 90, 35]')")
    conn.close()
    with Workspace.open(ws_path) as ws:
        assert ws._query("PRAGMA user_version")[0][0] == SCHEMA_VERSION == 3
        assert [p.source for p in ws.pages()] == ["old.png"]
        assert ws.originals() == []
        assert ws.crop_image(1, "ten").shape == (30, 80)  # an old box, cut as before
    res = cli("check", "-w", str(ws_path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 kept scans hashed (1 ingested before hashes were kept)" in res.stdout, res.stdout
