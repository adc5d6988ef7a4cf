"""Test-wide settings (offline, no telemetry, small thread pools: CI has 2 cores) and the shared
fixtures:

- ``ws``: a new, empty workspace (real SQLite file) in the test's tmp folder;
- ``demo_book``: one generated KS page, ingested and processed with the fake engine, made once
  per session (per xdist worker); read it, or change a private copy from ``demo_copy``;
- ``failing_engine``: an engine registered as ``"failing"`` that raises on purpose, for the
  page-failure path (retried once, marked failed, ``--retry-failed``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

from ocr.base import EngineError  # noqa: E402
from ocr.fake import FakeEngine  # noqa: E402


@pytest.fixture
def ws(tmp_path: Path) -> Iterator:
    """A new, empty workspace at ``tmp_path / "ws"``, closed after the test."""
    from sohoa.store import Workspace

    with Workspace.open(tmp_path / "ws", create=True) as w:
        yield w


@dataclass(frozen=True)
class DemoBook:
    path: Path  # the processed workspace (do not change it: use demo_copy)
    scans: tuple[Path, ...]  # the generated page images, truth JSON beside each
    processed: int
    entries: int


@pytest.fixture(scope="session")
def demo_book(tmp_path_factory) -> DemoBook:
    """One generated KS page (seed 51), ingested and processed with the fake engine (which
    reads nothing, so entries, boxes and crops are real and the texts empty); made once."""
    from pipeline_helpers import make_workspace, write_scans

    from sohoa.process import run_process

    root = tmp_path_factory.mktemp("demo-book")
    scans = write_scans(root / "scans", pages=1, seed=51)
    path = make_workspace(root, pages=1, scans=scans)
    report = run_process(path, engine="fake", progress=False)
    assert report.processed == 1 and not report.failed, report
    return DemoBook(path, tuple(scans), report.processed, report.entries)


@pytest.fixture
def demo_copy(demo_book: DemoBook, tmp_path: Path) -> Path:
    """A private copy of the processed demo book's workspace, for a test that changes it."""
    return Path(shutil.copytree(demo_book.path, tmp_path / "demo-ws"))


class FailingEngine(FakeEngine):
    """The fake engine, failing on purpose: each ``recognize`` call raises while ``fail`` (a
    class-wide count of calls still to fail; -1 = always) says so. ``raised`` counts them."""

    name = "failing"
    fail = 0
    raised = 0

    def recognize(self, crops, kind):  # type: ignore[no-untyped-def]
        if FailingEngine.fail != 0:
            FailingEngine.fail -= 1 if FailingEngine.fail > 0 else 0
            FailingEngine.raised += 1
            raise EngineError("failing engine: recognition failed on purpose")
        return super().recognize(crops, kind)


@pytest.fixture
def failing_engine(monkeypatch) -> type[FailingEngine]:
    """Registers :class:`FailingEngine` as engine ``"failing"`` (in this process: use it with
    inline processing); set ``failing_engine.fail`` to the number of calls that must raise."""
    import ocr

    monkeypatch.setitem(ocr.ENGINES, "failing", f"{__name__}:FailingEngine")
    monkeypatch.setattr(FailingEngine, "fail", 0)
    monkeypatch.setattr(FailingEngine, "raised", 0)
    return FailingEngine


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Headless Debian Chromium through Playwright, one per test module (the review browser
    tests); skipped where Chromium is not installed."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from review_helpers import ARGS, CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
