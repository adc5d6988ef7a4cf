"""The page-failure path of ``process``: a page whose recognition raises is retried once in the
run, then marked failed with the reason and listed (exit 1); a later ``process`` leaves it alone
and ``process --retry-failed`` picks it up. Real workspace, real segmentation, the fake engine
failing on purpose (``failing_engine`` in conftest.py)."""

from __future__ import annotations

from pipeline_helpers import make_workspace
from typer.testing import CliRunner

from sohoa.cli import app
from sohoa.process import run_process
from sohoa.store import Workspace


def _state(ws_path):
    with Workspace.open(ws_path) as ws:
        (page,) = ws.pages()
        return page, ws.page_state(page.id), len(ws.entries())


def test_a_page_that_fails_once_is_retried_and_read(tmp_path, demo_book, failing_engine):
    ws_path = make_workspace(tmp_path, pages=1, scans=list(demo_book.scans))
    failing_engine.fail = 1  # the first recognition call of the run raises
    report = run_process(ws_path, engine="failing", progress=False)
    assert failing_engine.raised == 1
    assert report.processed == 1 and not report.failed
    page, state, entries = _state(ws_path)
    assert state[0] == "processed" and entries == demo_book.entries


def test_a_page_that_keeps_failing_is_marked_failed_then_retried_on_demand(
        tmp_path, demo_book, failing_engine):
    ws_path = make_workspace(tmp_path, pages=1, scans=list(demo_book.scans))
    failing_engine.fail = -1  # every call raises
    res = CliRunner().invoke(app, ["process", "-w", str(ws_path), "--engine", "failing"])
    assert res.exit_code == 1, res.output
    assert failing_engine.raised == 2  # the first attempt and one retry, no more
    page, (state, why), entries = _state(ws_path)
    assert state == "failed" and "failed on purpose" in why and entries == 0
    assert [line for line in res.stderr.splitlines() if line.startswith("FAILED")] == [
        f"FAILED: page {page.id} {page.source}: EngineError: failing engine: recognition "
        "failed on purpose"]

    failing_engine.fail = 0  # the engine works again
    again = run_process(ws_path, engine="failing", progress=False)
    assert again.processed == 0 and not again.failed  # a failed page waits for the flag
    assert _state(ws_path)[1][0] == "failed"

    res = CliRunner().invoke(app, ["process", "-w", str(ws_path), "--engine", "failing",
                                   "--retry-failed"])
    assert res.exit_code == 0, res.output
    assert "processed 1 pages" in res.stdout
    _, (state, _why), entries = _state(ws_path)
    assert state == "processed" and entries == demo_book.entries
    assert failing_engine.raised == 2


def test_the_demo_book_is_processed_once_with_its_crops(demo_book):
    """The session's processed book: every entry has its boxes stored (crops are cut from the
    page on demand) and a page state."""
    assert demo_book.processed == 1 and demo_book.entries > 5
    with Workspace.open(demo_book.path) as ws:
        (page,) = ws.pages()
        assert ws.page_state(page.id)[0] == "processed"
        views = [ws.entry_view(e.id) for e in ws.entries()]
        rows = [ws.crop_image(v.entry.id) for v in views]
    assert len(views) == demo_book.entries
    assert all(v.field_boxes for v in views)
    assert all(r.ndim == 3 and r.shape[0] > 10 and r.shape[1] > 100 for r in rows)
