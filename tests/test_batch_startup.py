"""Issue 15, end-to-end speed: ``process`` workers start from a fork server that loaded the
engines once (``sohoa.batch_preload``), a worker killed mid-run loses no page, and the
administrative-unit index is read from its compact cached copy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_probe import probe
from pipeline_helpers import make_workspace, processed_pages

from sohoa.batch import WorkerPool
from sohoa.recognize import EnginePlan
from sohoa.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
FAKE = EnginePlan(default="fake", fallback="fake", device="cpu")


def test_workers_fork_from_a_preloaded_server_stopped_after_the_run():
    from multiprocessing import forkserver

    with WorkerPool(FAKE, 2) as pool:
        server = forkserver._forkserver._forkserver_pid
        assert server is not None
        other = EnginePlan(default="fake", fallback="fake", device="cpu", batch_size=3)
        for plan, want in ((FAKE, True), (other, False)):  # another plan: loads its own
            loaded, imported, cpu, parent = pool._pool().submit(probe, plan).result()
            assert loaded is want and imported
            assert parent == server  # forked by the server, not started afresh
            assert cpu < 0.5  # nothing imported or loaded in the worker itself
    assert forkserver._forkserver._forkserver_pid is None  # stopped and waited for
    with pytest.raises(ChildProcessError):
        os.waitpid(server, os.WNOHANG)  # already reaped: its CPU is this process's children's


def _descendants(pid: int) -> dict[int, int]:
    """Live descendants of ``pid`` -> their parent (from /proc)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(d.name)] = int(fields[1])
    out: dict[int, int] = {}
    frontier = {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - set(out)
        out.update({c: parents[c] for c in frontier})
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_no_page(tmp_path):
    pages = 6
    ws = make_workspace(tmp_path, pages=pages, seed=47)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "sohoa.cli", "process", "-w", str(ws),
                             "--engine", "fake", "--workers", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        victim = None
        while victim is None and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            tree = _descendants(proc.pid)
            servers = {p for p in tree if "forkserver" in _cmdline(p)}
            workers = [p for p, parent in tree.items() if parent in servers]
            if len(workers) >= 2 and processed_pages(ws) >= 1:  # a page stored, others in flight
                victim = workers[0]
            time.sleep(0.05)
        assert victim is not None, "no worker to kill"
        os.kill(victim, signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "FAILED" not in err
    assert "worker process died" in err  # the pool broke, and the run went on
    with Workspace.open(ws) as w:
        assert all(w.page_state(p.id)[0] != "ingested" for p in w.pages())
        assert not [p for p in w.pages() if w.page_state(p.id)[0] == "failed"]
        keys = [(e.page_id, e.index) for e in w.entries()]
    assert keys and len(keys) == len(set(keys))  # nothing duplicated by the retry
    assert f"processed {pages} pages" in out


def test_admin_index_cache_matches_the_data_and_survives_damage(tmp_path, monkeypatch, caplog):
    from sohoa.fields import admin_units as au

    monkeypatch.setenv(au.CACHE_ENV, str(tmp_path))
    built = au._build(au._db_path())
    first = au.admin_index.__wrapped__()  # builds and writes the compact copy
    (cached,) = tmp_path.glob("admin-units-*.marshal")
    second = au.admin_index.__wrapped__()  # read from it
    assert first == second == built
    assert list(second.units) == list(built.units)  # same order: look-ups rank the same
    assert all(second.by_key[k] == v for k, v in built.by_key.items())
    data = bytearray(cached.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cached.write_bytes(bytes(data))
    with caplog.at_level("WARNING"):
        third = au.admin_index.__wrapped__()
    assert third == built and "damaged" in caplog.text
    assert au._load_cached(cached) == built  # written again, whole
