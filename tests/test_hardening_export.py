"""Issue 17 item 2: a book's export is all three files (Excel, ZIP, manifest) or none.

Real ``sohoa export`` processes killed with SIGKILL at several moments, a forced failure
(``--pdf-max-kb 5``), a held lock and two exports racing; after each, what the output folder
shows is checked: a set whose manifest agrees with its files, never a half set, no ``.part``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from export_helpers import make_book

from sohoa.export.commit import book_lock, verify_set
from sohoa.export.naming import book_stem
from sohoa.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")


def export_cmd(ws: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "sohoa.cli", "export", "-w", str(ws), "-o", str(out), *extra]


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300)


def one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode != 0, res.stdout
    assert "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


@pytest.fixture(scope="module")
def book_ws(tmp_path_factory) -> tuple[Path, str]:
    """A workspace with one approved book of 40 entries; returns (path, final stem)."""
    path = tmp_path_factory.mktemp("export") / "ws"
    with Workspace.open(path, create=True) as ws:
        book, _ = make_book(ws, 40, distinct_pages=2)
        stem = book_stem(book, False)
    return path, stem


def visible(out: Path) -> dict[str, bytes]:
    """The files a person sees in ``out`` (no hidden ones), with their content."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())
            if p.is_file() and not p.name.startswith(".")}


def assert_final_or_nothing(out: Path, stem: str) -> dict[str, bytes]:
    """What ``out`` shows is a complete set that agrees with its manifest, or no set at all."""
    files = visible(out) if out.exists() else {}
    assert not [n for n in files if n.endswith(".part")], files.keys()
    manifest = f"{stem}.manifest.json"
    if manifest in files:
        assert verify_set(out, manifest) == [], verify_set(out, manifest)
        assert {f"{stem}.xlsx", f"{stem}.zip"} <= set(files)
    else:
        assert not {f"{stem}.xlsx", f"{stem}.zip"} & set(files), sorted(files)
    return files


def kill_when(cmd: list[str], ready: Callable[[], bool], timeout: float = 120) -> bool:
    """Start ``cmd``, SIGKILL it as soon as ``ready()``; False if it ended first."""
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if ready():
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            if proc.poll() is not None:
                return False
            time.sleep(0.002)
        raise AssertionError("export neither reached the moment nor ended")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_kill_9_at_several_moments_leaves_the_old_set_or_nothing(book_ws, tmp_path):
    ws, stem = book_ws
    out = tmp_path / "out"
    staging = out / f".{stem}.staging"

    def pdfs_half_made() -> bool:
        # the export clears a staging folder a killed run left while we look into it
        try:
            return len(list((staging / "pdfs").glob("*.pdf"))) >= 15
        except FileNotFoundError:
            return False

    moments = {
        "staging made": lambda: staging.is_dir(),
        "excel staged": lambda: (staging / f"{stem}.xlsx").exists(),
        "pdfs half made": pdfs_half_made,
    }
    # first export ever, killed: nothing final may appear
    assert kill_when(export_cmd(ws, out), moments["excel staged"])
    assert assert_final_or_nothing(out, stem) == {}
    assert visible(out) == {}
    # a complete export, then re-exports (smaller PDFs: other bytes) killed at each moment
    assert run(export_cmd(ws, out)).returncode == 0
    old = assert_final_or_nothing(out, stem)
    assert f"{stem}.manifest.json" in old
    for name, ready in moments.items():
        assert kill_when(export_cmd(ws, out, "--pdf-max-kb", "40"), ready), name
        assert visible(out) == old, f"killed at '{name}': the old set changed"
    done = run(export_cmd(ws, out, "--pdf-max-kb", "40"))
    assert done.returncode == 0, done.stderr
    new = assert_final_or_nothing(out, stem)
    assert new[f"{stem}.zip"] != old[f"{stem}.zip"]  # replaced all together
    assert new[f"{stem}.manifest.json"] != old[f"{stem}.manifest.json"]
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # cleaned up


@pytest.mark.slow
def test_kill_9_at_timed_moments_never_shows_a_half_set(book_ws, tmp_path):
    ws, stem = book_ws
    out = tmp_path / "out"
    t0 = time.monotonic()
    assert run(export_cmd(ws, out)).returncode == 0
    full = time.monotonic() - t0
    sets = [visible(out)]
    for i, fraction in enumerate((0.3, 0.5, 0.7, 0.85, 0.95, 1.0)):
        kb = str(30 + 5 * i)
        start = time.monotonic()
        killed = kill_when(export_cmd(ws, out, "--pdf-max-kb", kb),
                           lambda f=fraction, s=start: time.monotonic() - s >= f * full)
        shown = assert_final_or_nothing(out, stem)
        done = run(export_cmd(ws, out, "--pdf-max-kb", kb))
        assert done.returncode == 0, done.stderr
        after = assert_final_or_nothing(out, stem)
        # a kill after the new set's atomic switch leaves that set, complete: the one the same
        # export then makes again (its entries, files and JPEG qualities)
        new_set = f"{stem}.manifest.json" in shown and _listed(shown, stem) == _listed(after, stem)
        assert shown in sets or not killed or shown == {} or new_set, \
            f"a mixed set at {fraction}"
        sets.append(after)


def _listed(files: dict[str, bytes], stem: str) -> list[tuple]:
    """What a set's manifest lists: each entry's id, file and JPEG quality."""
    import json

    manifest = json.loads(files[f"{stem}.manifest.json"])
    return [(e.get("entry_id"), e.get("file"), e.get("jpeg_quality"))
            for e in manifest["entries"]]


def test_forced_failure_keeps_the_old_set_and_marks_nothing(tmp_path):
    ws_path = tmp_path / "ws"
    with Workspace.open(ws_path, create=True) as ws:
        book, ids = make_book(ws, 10)
        stem = book_stem(book, False)
    out = tmp_path / "out"
    assert run(export_cmd(ws_path, out, "--min-status", "confirmed")).returncode == 0
    draft = visible(out)
    line = one_line_error(run(export_cmd(ws_path, out, "--pdf-max-kb", "5")))
    assert ".pdf" in line and "5 KB" in line or "does not fit" in line, line
    assert visible(out) == draft  # the draft set beside it is untouched, nothing final
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    assert not (out / f".{stem}.staging").exists() and not (out / f"{stem}.xlsx").exists()
    with Workspace.open(ws_path) as ws:
        assert ws.count_by_status(book.id)["approved"] == 10
        assert ws.count_by_status(book.id)["exported"] == 0
    for kb in ("1", "0"):
        line = one_line_error(run(export_cmd(ws_path, out, "--pdf-max-kb", kb)))
        assert f"--pdf-max-kb {kb}" in line and "at least 4 KB" in line
    (tmp_path / "afile").write_text("x")
    line = one_line_error(run(export_cmd(ws_path, tmp_path / "afile")))
    assert "not a folder" in line


def test_a_held_lock_makes_a_second_export_fail_in_one_line(book_ws, tmp_path):
    ws, stem = book_ws
    out = tmp_path / "out"
    out.mkdir()
    with book_lock(out, stem):
        res = run(export_cmd(ws, out))
    line = one_line_error(res)
    assert "another export" in line and res.returncode == 4
    assert list(out.rglob("*")) == []  # no .part, no staging, not even the lock file
    assert run(export_cmd(ws, out)).returncode == 0  # the lock went with its holder


@pytest.mark.slow
def test_two_exports_of_the_same_book_at_once(book_ws, tmp_path):
    ws, stem = book_ws
    out = tmp_path / "out"
    procs = [subprocess.Popen(export_cmd(ws, out), env=ENV, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert any(rc == 0 for rc, _, _ in results)
    for rc, _, err in results:
        assert "Traceback" not in err
        if rc != 0:
            assert rc == 4 and "another export" in err and len(err.strip().splitlines()) == 1
    assert_final_or_nothing(out, stem)
    assert f"{stem}.manifest.json" in visible(out)
    assert [p.name for p in out.rglob("*") if p.name.startswith(".") or ".part" in p.name] == []
