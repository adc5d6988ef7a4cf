"""Book consensus: a book's pages share a layout, and the pages whose own lines showed every
column repair a page whose lines have faded (preprocessing.consensus, wired in process)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from layout_helpers import drawn, erase_vertical, geometry_of, number_row, variant
from preprocessing_helpers import box_iou, match_entries

from preprocessing import analyze_page
from sohoa.template import load_template

TPL = load_template("ks-2006")
BOOK = variant("ks-2006", {3: 0.5, 6: 1.6, 8: 2.0, 10: 0.6})  # this print run's proportions
FADED = [2, 3, 4, 5, 8, 9, 10, 11]  # column lines lost on the weak page (8 of 14)


@cache
def _weak_page():
    g = geometry_of(BOOK, 3, (number_row,))
    return erase_vertical(drawn(BOOK, 3, (number_row,)), g, FADED)


def _right_share(truth: dict, entries) -> float:
    """Share of written truth fields whose found box overlaps it with IoU >= 0.5."""
    pairs = match_entries(truth, entries)
    ious = [0.0 if f.fields[n].empty else box_iou(t["fields"][n]["bbox"], f.fields[n].bbox)
            for t, f in pairs for n in t["fields"]]
    assert len(pairs) == len(truth["entries"])
    return float(np.mean(np.array(ious) >= 0.5))


def test_book_consensus_repairs_a_page_whose_column_lines_faded() -> None:
    from types import SimpleNamespace

    from sohoa.process import BookLayouts

    books = BookLayouts([SimpleNamespace(id=i, book_id=7) for i in (1, 2, 3)])
    assert books.prior(7) is None
    for i, seed in ((1, 5), (2, 6)):  # two good pages of the same book
        layout = analyze_page(drawn(BOOK, seed, (number_row,)).image, TPL)
        assert layout.ok and layout.geometry is not None and layout.geometry.complete
        books.add(i, layout.geometry)
    prior = books.prior(7)
    assert prior is not None and len(prior) == len(TPL.columns) + 1
    weak = _weak_page()
    alone = analyze_page(weak.image, TPL)
    helped = analyze_page(weak.image, TPL, prior=prior)
    assert helped.ok, helped.status
    assert _right_share(weak.truth, helped) >= 0.97
    assert _right_share(weak.truth, alone) < 0.9  # without the book, template and header
    # words place the eight lost lines only roughly


@pytest.mark.slow  # three pages through the whole process job (~40 s here)
def test_process_gives_later_pages_the_book_consensus(tmp_path) -> None:
    """The weak page comes last: its stored field boxes are right only with the consensus of
    the two pages before it (the test above shows the template alone gets them wrong)."""
    from PIL import Image
    from pipeline_helpers import make_workspace

    from sohoa.process import run_process
    from sohoa.store import Workspace

    scans = []
    for k, page in enumerate([drawn(BOOK, 5, (number_row,)), drawn(BOOK, 6, (number_row,)),
                              _weak_page()]):
        path = tmp_path / f"page-{k + 1:04d}.png"
        Image.fromarray(page.image).save(path)
        scans.append(path)
    ws_path = make_workspace(tmp_path, pages=3, scans=scans)
    report = run_process(ws_path, engine="fake", workers=1, progress=False)
    assert report.processed == 3 and not report.failed
    with Workspace.open(ws_path) as ws:
        page3 = [e for e in ws.entries() if e.page_id == max(x.page_id for x in ws.entries())]
        views = [ws.entry_view(e.id) for e in page3]
    truth = _weak_page().truth
    assert len(views) == len(truth["entries"])
    ok = total = 0
    for t, v in zip(truth["entries"], sorted(views, key=lambda v: v.entry.index), strict=True):
        for name, tf in t["fields"].items():
            total += 1
            ok += int(name in v.field_boxes and box_iou(tf["bbox"], v.field_boxes[name]) >= 0.5)
    assert ok / total >= 0.97
