"""Issue 17 item 7: crops are boxes on the page, cut when needed, not a second copy of it.

Real generated pages are ingested and read by the pipeline (real segmentation and crops; the
``fake`` engine answers every inked cell, as a real engine does); the test then checks what the store kept, that a cell cut again from the page is the
crop the recogniser was given, and that the screens' cache is cut on first view and bounded.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from pipeline_helpers import make_workspace

from sohoa.pipeline import read_image, save_work, segment_image
from sohoa.recognize import Recognizer
from sohoa.store import Workspace, crop_cache
from sohoa.template import load_template


def read_pages(ws_path) -> int:
    """Process every page as ``sohoa process`` does, with a fake engine that reads every
    inked cell (its default reads nothing); returns the entries stored."""
    from ocr.fake import FakeEngine

    rec = Recognizer.of_engine(FakeEngine(script=lambda crop, i: (crop.field, 0.9)))
    template = load_template("ks-2006")
    n = 0
    with Workspace.open(ws_path) as ws:
        for page in ws.pages():
            work = read_image(ws.page_image(page.id), template, rec, keep_crops=True)
            n += save_work(ws, page.id, work)
    return n


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    root = tmp_path_factory.mktemp("crops")
    ws_path = make_workspace(root, pages=2, seed=23)
    assert read_pages(ws_path) > 0
    return ws_path


def _files(folder):
    return [f for f in folder.rglob("*") if f.is_file()]


def test_processing_keeps_only_the_cells_read_as_empty(processed):
    with Workspace.open(processed) as ws:
        rows = ws._query("SELECT c.field, c.path, c.quad, r.text FROM crops c LEFT JOIN"
                         " readings r ON r.entry_id = c.entry_id AND r.field = c.field"
                         " WHERE c.field != ''")
    assert rows and all(r["quad"] for r in rows)  # every cell is a box on the page
    kept = [r for r in rows if r["path"]]
    assert all(not (r["text"] or "").strip() for r in kept)  # only cells read as empty
    assert len(kept) < len(rows)
    assert not (processed / "crops" / "cache").exists()  # nothing cut before a screen asks
    on_disk = _files(processed / "crops")
    assert sorted(str(f.relative_to(processed)) for f in on_disk) == sorted(
        r["path"] for r in kept)
    pages = sum(f.stat().st_size for f in _files(processed / "pages"))
    assert sum(f.stat().st_size for f in on_disk) < 0.1 * pages


def test_a_cell_cut_again_is_the_crop_the_recogniser_read(processed):
    with Workspace.open(processed) as ws:
        page = ws.pages()[0]
        template = load_template("ks-2006")
        seg = segment_image(ws.page_image(page.id), template)  # what process cut
        by_key = {(c.entry, c.field): c.image for c in seg.crops}
        entries = {e.index: e.id for e in ws.entries() if e.page_id == page.id}
        compared = 0
        for (idx, field), want in by_key.items():
            got = ws.crop_image(entries[idx], field, cached=False)
            assert got.shape == want.shape and np.array_equal(got, want), (idx, field)
            compared += 1
    assert compared >= 20


def test_first_view_cuts_the_page_once_and_the_cache_is_bounded(processed, monkeypatch):
    with Workspace.open(processed) as ws:
        pages = ws.pages()
        first = next(e for e in ws.entries() if e.page_id == pages[0].id)
        row = ws.entry_crop_file(first.id)
        assert row is not None and row.parent == crop_cache.cache_folder(processed, pages[0].id)
        view = ws.entry_view(first.id)
        assert set(view.field_crops) == set(view.field_boxes)  # every cell now has a file
        cell = ws.field_crop_file(first.id, "nksNoiSinh")
        assert cell is not None and cell.is_file()
        img = ws.crop_image(first.id, "nksNoiSinh")
        assert img.ndim == 2 and img.shape[0] > 60  # natural size, not squeezed to 64 px
        # the cache keeps at most max(CACHE_MIN_PAGES, CACHE_SHARE of pages) pages, oldest
        # first, never a page viewed within CACHE_GRACE_S
        monkeypatch.setattr(crop_cache, "CACHE_MIN_PAGES", 1)
        other = next(e for e in ws.entries() if e.page_id == pages[1].id)
        ws.entry_crop_file(other.id)
        both = crop_cache.cache_folder(processed, pages[0].id), crop_cache.cache_folder(
            processed, pages[1].id)
        assert all(f.is_dir() for f in both)  # the first was viewed just now: kept
        old = time.time() - 2 * crop_cache.CACHE_GRACE_S
        os.utime(both[0], (old, old))
        evicted = crop_cache.bound_cache(processed, len(pages), keep=pages[1].id)
        assert evicted == [pages[0].id] and not both[0].exists() and both[1].is_dir()
        again = ws.entry_crop_file(first.id)  # cut again on the next view
        assert again is not None and again.is_file()


def test_a_list_of_one_field_cuts_only_that_cell(processed):
    """The field sweep shows one field across pages: each cell is cut alone, not its page."""
    with Workspace.open(processed) as ws:
        page = ws.pages()[1]
        folder = crop_cache.cache_folder(processed, page.id)
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        entry = next(e for e in ws.entries() if e.page_id == page.id)
        path = ws.field_crop_file(entry.id, "nksHoTen", whole_page=False)
        assert path is not None and [f.name for f in folder.iterdir()] == [path.name]
        assert np.array_equal(ws.crop_image(entry.id, "nksHoTen", cached=False).shape,
                              ws.crop_image(entry.id, "nksHoTen").shape)
