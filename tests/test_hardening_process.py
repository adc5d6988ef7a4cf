"""Issue 17 items 5 and 6: ``process`` goes on past a page whose image is missing or broken,
and its worker processes die with the coordinator (a real ``kill -9``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pipeline_helpers import make_workspace, processed_pages

from sohoa.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")


def process(ws: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sohoa.cli", "process", "-w", str(ws),
                           "--engine", "fake", *extra], capture_output=True, text=True, env=ENV,
                          timeout=600)


def states(ws: Path) -> list[str]:
    with Workspace.open(ws) as w:
        return [w.page_state(p.id)[0] for p in w.pages()]


def small_workspace(tmp: Path, pages: int = 3) -> Path:
    """Real pages (small images, no register table: processing is quick)."""
    from store_helpers import make_book, page_image, sha

    path = tmp / "ws"
    with Workspace.open(path, create=True) as ws:
        book = make_book(ws)
        for i in range(pages):
            img = page_image(i, size=(300, 220))
            ws.add_page(book, img, f"p{i}.png", sha(img))
    return path


def test_missing_and_broken_page_images_fail_alone(tmp_path):
    from sohoa.process import run_process

    ws = small_workspace(tmp_path)
    with Workspace.open(ws) as w:
        pages = w.pages()
        missing, broken = w.page_path(pages[0].sha256), w.page_path(pages[1].sha256)
    saved = missing.read_bytes()
    missing.unlink()
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    res = process(ws)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 1, res.stdout + res.stderr
    failed = [ln for ln in res.stderr.splitlines() if ln.startswith("FAILED")]
    assert len(failed) == 2 and "missing" in failed[0] and "decoded" in failed[1], failed
    assert states(ws)[:2] == ["failed", "failed"] and states(ws)[2] != "ingested"
    report = run_process(ws, engine="fake", retry_failed=True, progress=False)
    assert [f[0] for f in report.failed] == [pages[0].id, pages[1].id]  # still: no exception
    missing.write_bytes(saved)  # restored: the retry reads it
    report = run_process(ws, engine="fake", retry_failed=True, progress=False)
    assert [f[0] for f in report.failed] == [pages[1].id]
    assert states(ws)[0] != "failed"


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat.rpartition(")")[2].split()
            if fields[0] != "Z":
                parents[int(d.name)] = int(fields[1])
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - out
        out |= frontier
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_kill_9_of_the_coordinator_takes_its_workers_along(tmp_path):
    ws = make_workspace(tmp_path, pages=6, seed=43)
    proc = subprocess.Popen([sys.executable, "-m", "sohoa.cli", "process", "-w", str(ws),
                             "--engine", "fake", "--workers", "2"], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        workers: set[int] = set()
        while time.monotonic() < deadline and processed_pages(ws) < 1:  # workers busy by then
            assert proc.poll() is None, "process ended before it could be killed"
            workers |= _children(proc.pid)
            time.sleep(0.1)
        workers |= _children(proc.pid)
        assert len(workers) >= 2, workers
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "workers outlived their coordinator"
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in _children(proc.pid):
            os.kill(p, signal.SIGKILL)
