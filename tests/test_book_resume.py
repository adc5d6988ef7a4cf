"""A resumed ``process`` rebuilds each book's consensus from the pages an earlier run already
analysed (their column geometry is kept in the workspace's ``book_layouts.jsonl``), so a weak
page it still has to do is repaired by the book's layout as in one uninterrupted run."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from pipeline_helpers import make_workspace
from preprocessing_helpers import box_iou
from test_layout_book import FADED, _faded, _family_page

from preprocessing import analyze_page
from preprocessing.book import from_record, page_record
from preprocessing.consensus import BookPrior
from sohoa.process import BOOK_LAYOUT, LAYOUTS, _book_pass, _store_layout, run_process
from sohoa.store import Workspace
from sohoa.template import load_template


def _workspace(tmp_path, pages):  # noqa: ANN001, ANN202
    scans = []
    for k, page in enumerate(pages):
        path = tmp_path / f"page-{k + 1:04d}.png"
        Image.fromarray(page.image).save(path)
        scans.append(path)
    return make_workspace(tmp_path, pages=len(pages), scans=scans)


def test_page_records_round_trip() -> None:
    lay = analyze_page(_family_page(2).image, load_template("ks-2006"))
    prior = BookPrior((0.0, 0.3, 1.0), 2, 0.05)
    rec = json.loads(json.dumps(page_record(lay.geometry, lay.status, prior)))
    assert from_record(rec) == (lay.geometry, lay.status, prior)
    assert from_record(page_record(None, "no table found")) == (None, "no table found", None)


def test_a_resumed_process_repairs_a_weak_page_with_the_pages_done_before(tmp_path) -> None:
    """Pages 2 and 3 (strong) were done by a run that was killed before the weak page 1: the
    run that resumes has only page 1 to do, and uses the book's layout learnt from the
    others (without their records the page has no consensus and its columns are wrong)."""
    tpl = load_template("ks-2006")
    pages = [_faded(_family_page(1), FADED), _family_page(2), _family_page(3)]
    ws_path = _workspace(tmp_path, pages)
    with Workspace.open(ws_path) as ws:
        ids = [p.id for p in sorted(ws.pages(), key=lambda p: p.page_no)]
        assert _book_pass(ws, [ws.page(ids[0])]).prior_for(ids[0]) is None  # nothing known
        for k in (1, 2):  # what the killed run kept of its pages
            lay = analyze_page(pages[k].image, tpl)
            assert lay.geometry is not None and lay.geometry.complete
            _store_layout(ws, ids[k], lay.geometry, lay.status, None)
            ws.set_page_state(ids[k], "processed")
        assert _book_pass(ws, [ws.page(ids[0])]).prior_for(ids[0]) is not None
    report = run_process(ws_path, engine="fake", workers=1, progress=False)
    assert report.processed == 1 and ids[0] in report.book_layout
    with Workspace.open(ws_path) as ws:
        assert ws.page_state(ids[0]) == ("processed", BOOK_LAYOUT)
        views = sorted((ws.entry_view(e.id) for e in ws.entries() if e.page_id == ids[0]),
                       key=lambda v: v.entry.index)
    truth = pages[0].truth
    assert len(views) == len(truth["entries"])
    hits = [name in v.field_boxes and box_iou(tf["bbox"], v.field_boxes[name]) >= 0.5
            for t, v in zip(truth["entries"], views, strict=True)
            for name, tf in t["fields"].items()]
    assert np.mean(hits) >= 0.97
    # the resumed run kept the weak page's record too (a torn line would be skipped)
    lines = (ws_path / LAYOUTS).read_text().splitlines()
    assert [json.loads(ln)["page"] for ln in lines] == [ids[1], ids[2], ids[0]]
