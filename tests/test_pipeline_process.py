"""``process`` end to end on a real workspace: resumable after kill -9, workers, Dask."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pipeline_helpers import make_workspace, write_scans

from sohoa.process import run_process
from sohoa.store import Workspace


def _entry_keys(ws_path: Path) -> list[tuple[int, int]]:
    with Workspace.open(ws_path) as ws:
        return sorted((e.page_id, e.index) for e in ws.entries())


def _processed_pages(ws_path: Path) -> int:
    con = sqlite3.connect(ws_path / "sohoa.db", timeout=30)
    try:
        return con.execute("SELECT count(*) FROM pages WHERE state='processed'").fetchone()[0]
    finally:
        con.close()


def test_process_fills_entries_and_read_contract(demo_book, demo_copy):
    """The session's demo book was processed (conftest asserts 1 page, no failure)."""
    truth = json.loads(demo_book.scans[0].with_suffix(".json").read_text())
    keys = _entry_keys(demo_book.path)
    assert len(keys) == len(truth["entries"]) == demo_book.entries
    with Workspace.open(demo_book.path) as ws:
        view = ws.entry_view(ws.entries()[0].id)
        assert ws.entry_crop_file(view.entry.id).exists()  # cut from the page on first use
        assert set(view.field_crops) >= {"nksHoTen", "ngayDangKy"}
    # a second run has nothing left to do and duplicates nothing
    again = run_process(demo_copy, engine="fake", progress=False)
    assert again.processed == 0 and _entry_keys(demo_copy) == keys


def test_killed_process_resumes_without_duplicates(tmp_path):
    ws_path = make_workspace(tmp_path, pages=3, seed=21)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "sohoa.cli", "process", "-w", str(ws_path), "--engine", "fake"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _processed_pages(ws_path) < 1 and time.monotonic() < deadline:
        assert proc.poll() is None, "process ended before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = _processed_pages(ws_path)
    assert 1 <= done_before <= 3
    keys_before = _entry_keys(ws_path)
    report = run_process(ws_path, engine="fake", progress=False)
    assert report.processed == 3 - done_before
    keys = _entry_keys(ws_path)
    assert len(keys) == len(set(keys)), "duplicated entries after resume"
    assert set(keys_before) <= set(keys)
    assert _processed_pages(ws_path) == 3


def test_worker_processes_give_the_same_entries(tmp_path):
    scans = write_scans(tmp_path / "scans", pages=2, seed=31)
    a = make_workspace(tmp_path, pages=2, scans=scans, name="a")
    b = make_workspace(tmp_path, pages=2, scans=scans, name="b")
    run_process(a, engine="fake", progress=False)
    c = make_workspace(tmp_path, pages=2, scans=scans, name="c")
    report = run_process(b, engine="fake", workers=2, progress=False)
    assert report.processed == 2
    assert _entry_keys(a) == _entry_keys(b)
    # the GPU layout: workers segment, the coordinator reads crops of several pages at once
    report = run_process(c, engine="fake", workers=2, coordinator_reads=True, progress=False)
    assert report.processed == 2
    assert _entry_keys(a) == _entry_keys(c)


@pytest.mark.slow
def test_dask_local_cluster_runs_page_tasks(tmp_path):
    distributed = pytest.importorskip("distributed")
    ws_path = make_workspace(tmp_path, pages=2, seed=41)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        report = run_process(ws_path, engine="fake", scheduler=cluster.scheduler_address,
                             progress=False)
    assert report.processed == 2 and not report.failed
    assert len(_entry_keys(ws_path)) > 0


def test_bad_pages_are_listed_and_torn_pages_keep_their_rows(tmp_path):
    from PIL import Image

    from sohoa.ingest import ingest
    from sohoa.records import Book, RegisterType
    from sohoa.synth import render_bad_page

    scans = tmp_path / "bad"
    scans.mkdir()
    for kind in ("torn", "blank", "wall"):
        Image.fromarray(render_bad_page(kind, 3)).save(scans / f"{kind}.png")
    ws_path = tmp_path / "ws"
    with Workspace.open(ws_path, create=True) as ws:
        ingest(ws, sorted(scans.glob("*.png")),
               Book(None, RegisterType.KS, 2008, "02/2008", "Chiềng Cơi", template="ks-2006"))
    report = run_process(ws_path, engine="fake", progress=False)
    reasons = {source.rsplit("/", 1)[-1]: why for _, source, why in report.needs_attention}
    assert set(reasons) == {"torn.png", "blank.png", "wall.png"}
    assert reasons["blank.png"] == "blank page"
    assert "torn" in reasons["torn.png"]
    assert report.processed == 0 and not report.failed
    with Workspace.open(ws_path) as ws:
        torn = next(p for p in ws.pages() if p.source.endswith("torn.png"))
        assert ws.page_state(torn.id)[0] == "needs_attention"
        kept = [e for e in ws.entries() if e.page_id == torn.id]
        assert len(kept) == report.entries > 0  # the rows found are kept for review
