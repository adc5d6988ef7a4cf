"""Crash safety and concurrency of the workspace store, with real child processes.

- A writer killed with SIGKILL mid-run loses nothing it reported committed, and no page is left
  with part of its entries (each page's entries are one transaction).
- Two processes writing at once never surface "database is locked" and lose no rows.
- Two processes claiming entries never get the same one.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import store_helpers
from store_helpers import entry_results, make_book, page_image, sha

from sohoa.store import Workspace
from sohoa.store.files import read_rgb

HERE = Path(__file__).parent
ROOT = HERE.parent
ENTRIES_PER_PAGE = 60


def _kill_writer_mid_run(path: Path, rng: random.Random, self_kill: bool) -> list[int]:
    """Start a writer, let it commit a few pages, SIGKILL it; return the page ids it reported.

    ``self_kill``: the writer kills itself inside the SQLite transaction of its 4th page (certain
    mid-batch); otherwise the test kills it from outside at a random moment.
    """
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    args = [sys.executable, str(HERE / "store_helpers.py"), "crash", str(path),
            str(ENTRIES_PER_PAGE), "3" if self_kill else "0"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        while len(lines) < 3:
            line = proc.stdout.readline()
            assert line, f"writer died early (rc={proc.poll()})"
            lines.append(line)
        if self_kill:
            proc.wait(timeout=60)
        else:
            time.sleep(rng.uniform(0.0, 0.3))  # land somewhere inside a later page
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    lines += proc.stdout.read().splitlines()
    assert proc.returncode == -signal.SIGKILL
    if self_kill:
        assert lines[-1].startswith("dying"), lines[-3:]
    return [int(line.split()[1]) for line in lines if line.startswith("committed")]


def test_sigkill_mid_batch_loses_nothing_committed(tmp_path):
    path = tmp_path / "w"
    Workspace.open(path, create=True).close()
    rng = random.Random(7)
    committed: list[int] = []
    for round_no in range(3):  # one certain mid-transaction kill, two at random moments
        committed += _kill_writer_mid_run(path, rng, self_kill=round_no == 0)
        conn = sqlite3.connect(path / "sohoa.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    with Workspace.open(path) as ws:
        per_page = {p.id: 0 for p in ws.pages()}
        for e in ws.entries():
            per_page[e.page_id] += 1
        # every page has all of its entries or none of them (a page added, not yet processed)
        assert set(per_page.values()) <= {0, ENTRIES_PER_PAGE}, per_page
        assert sum(1 for n in per_page.values() if n == 0) <= 3
        for page_id in committed:
            assert per_page[page_id] == ENTRIES_PER_PAGE
        some = [e for e in ws.entries() if e.index == 0][-1]  # its row lies on the page
        view = ws.entry_view(some.id)
        assert len(view.readings) == 2
        assert ws.crop_image(some.id).shape == (10, 80, 3)  # cut from a complete page file
        assert read_rgb(view.field_crops["nksHoTen"]).shape == (8, 40, 3)
        assert sorted(p.page_no for p in ws.pages()) == list(range(1, len(per_page) + 1))


def test_two_processes_write_at_once(tmp_path):
    path = tmp_path / "w"
    per_worker, pages_each = 60, 15
    with Workspace.open(path, create=True) as ws:
        book = make_book(ws)
        img = page_image(1)
        page, _ = ws.add_page(book, img, "p.png", sha(img))
        ids = ws.save_page_result(page.id, 0.0, entry_results(2 * per_worker))
    ctx = mp.get_context("spawn")
    procs = [
        ctx.Process(target=store_helpers.concurrent_writer,
                    args=(str(path), w, ids[w::2], pages_each))
        for w in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    with Workspace.open(path) as ws:
        assert ws.count_by_status()["confirmed"] == 2 * per_worker
        for k, entry_id in enumerate(ids):
            assert ws.entry_view(entry_id).values["nksHoTen"] == f"W{k % 2} {k // 2}"
        pages = ws.pages()
        assert len(pages) == 1 + 2 * pages_each
        assert sorted(p.page_no for p in pages) == list(range(1, 2 + 2 * pages_each))
        assert len([r for r in ws.audit() if r.action == "confirm"]) == 2 * per_worker


def test_two_processes_never_claim_the_same_entry(tmp_path):
    path = tmp_path / "w"
    with Workspace.open(path, create=True) as ws:
        book = make_book(ws)
        img = page_image(2)
        page, _ = ws.add_page(book, img, "p.png", sha(img))
        ids = ws.save_page_result(page.id, 0.0, entry_results(40))
    ctx = mp.get_context("spawn")
    outs = [tmp_path / f"claims-{u}.txt" for u in ("lan", "mai")]
    procs = [ctx.Process(target=store_helpers.claimer, args=(str(path), u, str(o)))
             for u, o in zip(("lan", "mai"), outs, strict=True)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    got = [set(map(int, o.read_text().split())) for o in outs]
    assert not (got[0] & got[1])
    assert got[0] | got[1] == set(ids)


@pytest.mark.parametrize("n", [1])
def test_wal_keeps_committed_rows_without_checkpoint(tmp_path, n):
    """Rows committed by a killed process are in the WAL and visible to the next opener."""
    path = tmp_path / "w"
    Workspace.open(path, create=True).close()
    code = (
        "import os, sys; sys.path[:0] = [sys.argv[2], sys.argv[3]];"
        "from store_helpers import make_book; from sohoa.store import Workspace;"
        "ws = Workspace.open(sys.argv[1]); make_book(ws, '07/2009'); os.kill(os.getpid(), 9)"
    )
    rc = subprocess.run([sys.executable, "-c", code, str(path), str(HERE), str(ROOT)]).returncode
    assert rc == -signal.SIGKILL
    assert (path / "sohoa.db-wal").exists()
    with Workspace.open(path) as ws:
        assert [b.volume for b in ws.books()] == ["07/2009"] * n
