"""Book consensus: a book's pages share a layout; the pages whose own lines showed every column
teach it, and a page whose own lines are weak is repaired with it (preprocessing.consensus,
preprocessing.book; wired in process), whatever its place in the book."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest
from layout_helpers import drawn, erase_vertical, geometry_of, number_row, variant
from preprocessing_helpers import box_iou, match_entries

from preprocessing import analyze_page
from preprocessing.book import BookPass, analyze_book
from preprocessing.consensus import prior_of, weakness
from sohoa.synth import SynthPage, generate_page
from sohoa.template import load_template

TPL = load_template("ks-2006")
BOOK = variant("ks-2006", {3: 0.5, 6: 1.6, 8: 2.0, 10: 0.6})  # this print run's proportions
FADED = [2, 3, 4, 5, 8, 9, 10, 11]  # column lines lost on the weak page (8 of 14)
FAMILY_BOOK = ("proportions", 41)  # a training-family book (its own column widths)


@cache
def _weak_page() -> SynthPage:
    g = geometry_of(BOOK, 3, (number_row,))
    return erase_vertical(drawn(BOOK, 3, (number_row,)), g, FADED)


@cache
def _family_page(page_no: int) -> SynthPage:
    fam, seed = FAMILY_BOOK
    return generate_page(TPL, seed, "easy", font_role="test", page_no=page_no, layout=fam)


def _faded(p: SynthPage, which: list[int]) -> SynthPage:
    """A generated family page with the column lines ``which`` (boundary indices) faded away
    from the header's top to the table's bottom (painted over in paper colour)."""
    img = p.image.copy()
    paper = tuple(int(v) for v in np.median(img.reshape(-1, 3), axis=0))
    lt = p.truth["layout"]
    top = min(pt[1] for pt in lt["header_quad"])
    for i in which:
        (x0, y0), _, _, (x1, y1) = lt["column_quads"][i]
        xt = x0 + (top - y0) / (y1 - y0) * (x1 - x0)
        cv2.line(img, (int(xt), int(top) - 2), (int(x1), int(y1) + 2), paper, 9)
    return SynthPage(img, p.truth)


def _right_share(truth: dict, entries) -> float:
    """Share of written truth fields whose found box overlaps it with IoU >= 0.5."""
    pairs = match_entries(truth, entries)
    ious = [0.0 if f.fields[n].empty else box_iou(t["fields"][n]["bbox"], f.fields[n].bbox)
            for t, f in pairs for n in t["fields"]]
    assert len(pairs) == len(truth["entries"])
    return float(np.mean(np.array(ious) >= 0.5))


def test_book_consensus_repairs_a_page_whose_column_lines_faded() -> None:
    books = BookPass({1: 7, 2: 7, 3: 7})
    assert books.prior(7) is None
    for i, seed in ((1, 5), (2, 6)):  # two good pages of the same book
        layout = analyze_page(drawn(BOOK, seed, (number_row,)).image, TPL)
        assert layout.ok and not weakness(layout)
        books.add(i, layout.geometry, layout.status)
    prior = books.prior(7)
    assert prior is not None and prior.pages == 2 and len(prior.bounds) == len(TPL.columns) + 1
    weak = _weak_page()
    alone = analyze_page(weak.image, TPL)
    helped = analyze_page(weak.image, TPL, prior=prior.bounds)
    assert "column lines missing" in weakness(alone)
    assert helped.ok, helped.status
    assert helped.geometry is not None and helped.geometry.prior_used
    assert any("book's layout" in n for n in helped.notes)
    assert _right_share(weak.truth, helped) >= 0.97
    assert _right_share(weak.truth, alone) < 0.9  # without the book, template and header
    # words place the eight lost lines only roughly


def test_a_training_family_page_with_faded_lines_is_repaired_and_a_strong_one_unchanged(
) -> None:
    """A generated book of a training family: two clean pages teach its layout; on its first
    page, with eight column lines faded, the book's layout gets the field boxes right that
    the page alone gets wrong; a strong page comes out the same with or without it."""
    strong = [analyze_page(_family_page(k).image, TPL) for k in (2, 3)]
    prior = prior_of(strong)
    assert prior is not None and prior.pages == 2
    weak = _faded(_family_page(1), FADED)
    alone = analyze_page(weak.image, TPL)
    helped = analyze_page(weak.image, TPL, prior=prior.bounds)
    assert weakness(alone) and not alone.geometry.prior_used
    assert helped.geometry is not None and helped.geometry.prior_used
    assert _right_share(weak.truth, alone) < 0.85
    assert _right_share(weak.truth, helped) >= 0.97
    again = analyze_page(_family_page(2).image, TPL, prior=prior.bounds)
    assert again == strong[0]  # strong own evidence is never overridden


def test_a_weak_first_page_is_repaired_by_the_pages_after_it() -> None:
    """Order independence: the weak page comes first, before the book has a layout; the book's
    second pass analyses it again with the layout of the two pages after it, and only it."""
    weak = _faded(_family_page(1), FADED)
    images = [weak.image, _family_page(2).image, _family_page(3).image]
    calls: list[int] = []

    def load(i: int) -> np.ndarray:
        calls.append(i)
        return images[i]

    out = analyze_book(load, TPL, count=3)
    assert calls == [0, 1, 2, 0]  # one pass, then the weak first page again
    assert out[0].geometry is not None and out[0].geometry.prior_used
    assert _right_share(weak.truth, out[0]) >= 0.97
    assert out[1] == analyze_page(images[1], TPL)  # the strong page: as alone
    assert _right_share(_family_page(3).truth, out[2]) >= 0.97


def test_segment_of_a_book_says_which_pages_the_book_layout_repaired(tmp_path) -> None:
    """``sohoa segment`` of a book's pages: one JSON line per page, in order, the weak first
    page marked ``book_layout`` (its entries all found), the strong second page not."""
    import json

    from PIL import Image
    from typer.testing import CliRunner

    from sohoa.cli import app

    weak = _faded(_family_page(1), FADED)
    paths = []
    for k, img in enumerate([weak.image, _family_page(2).image, _family_page(3).image]):
        paths.append(tmp_path / f"p{k}.png")
        Image.fromarray(img).save(paths[-1])
    res = CliRunner().invoke(app, ["segment", *map(str, paths), "--json"])
    assert res.exit_code == 0, res.output
    pages = [json.loads(line) for line in res.output.splitlines()]
    assert [p["page"] for p in pages] == [str(p) for p in paths]
    assert pages[0]["book_layout"] and not pages[1]["book_layout"]  # the third page found
    # extra lines (in doubt), so it may use the book's layout too
    assert len(pages[0]["entries"]) == len(weak.truth["entries"])


def test_the_consensus_is_learnt_from_pages_own_lines_only() -> None:
    """A page repaired by the book never teaches the book, and one page is no consensus; a
    weak page is looked at again once the book has a layout, and only once."""
    from dataclasses import replace

    good = analyze_page(_family_page(2).image, TPL).geometry
    weak = analyze_page(_faded(_family_page(1), FADED).image, TPL).geometry
    assert good is not None and weak is not None and weak.placed and not good.placed
    assert prior_of([good]) is None
    assert prior_of([good, replace(good, prior_used=True)]) is None
    run = BookPass({"a": 1, "b": 1})
    run.add("a", weak, "ok")
    assert run.second_look() == []  # no consensus yet
    run.add("b", good, "ok")  # the weak page's own lines and the good page's: a layout
    assert run.second_look() == ["a"]
    run.add("a", weak, "ok", prior=run.prior(1))  # analysed with it: done
    assert run.second_look() == []


@pytest.mark.slow  # four pages through the whole process job (~60 s here)
def test_process_repairs_weak_pages_before_and_after_the_book_learnt_its_layout(
        tmp_path) -> None:
    """The weak pages come first and last: the last gets the consensus of the two good pages
    before it; the first is analysed again once the book has it (process's second look).
    Their stored field boxes are right, and the page status says the book's layout was used."""
    from PIL import Image
    from pipeline_helpers import make_workspace

    from sohoa.process import BOOK_LAYOUT, run_process
    from sohoa.store import Workspace

    pages = [_faded(_family_page(1), FADED), _family_page(2), _family_page(3),
             _faded(_family_page(5), FADED)]
    scans = []
    for k, page in enumerate(pages):
        path = tmp_path / f"page-{k + 1:04d}.png"
        Image.fromarray(page.image).save(path)
        scans.append(path)
    ws_path = make_workspace(tmp_path, pages=4, scans=scans)
    report = run_process(ws_path, engine="fake", workers=1, progress=False)
    assert report.processed == 4 and not report.failed
    assert report.second_looks == 1  # only the weak first page is analysed again
    stored_ids = sorted(report.stored)
    assert {stored_ids[0], stored_ids[3]} <= report.book_layout
    assert stored_ids[1] not in report.book_layout  # the strong page: its own lines
    with Workspace.open(ws_path) as ws:
        stored = sorted({e.page_id for e in ws.entries()})
        assert len(stored) == 4
        assert report.entries == len(ws.entries())
        for k in (0, 3):
            assert ws.page_state(stored[k]) == ("processed", BOOK_LAYOUT)
            views = sorted((ws.entry_view(e.id) for e in ws.entries()
                            if e.page_id == stored[k]), key=lambda v: v.entry.index)
            truth = pages[k].truth
            assert len(views) == len(truth["entries"])
            ok = total = 0
            for t, v in zip(truth["entries"], views, strict=True):
                for name, tf in t["fields"].items():
                    total += 1
                    ok += int(name in v.field_boxes
                              and box_iou(tf["bbox"], v.field_boxes[name]) >= 0.5)
            assert ok / total >= 0.97


def test_a_hand_ruled_book_learns_each_boundary_from_the_pages_that_show_it() -> None:
    """No page shows every line (each lost others): each boundary's consensus comes from the
    pages whose own line showed it (each page through its own offset and scale)."""
    from preprocessing.layout import ColumnGeometry

    truth = np.linspace(0.0, 1.0, 6) ** 1.2
    missing = [(1,), (2, 3), (4,), (1, 3)]
    pages = []
    for k, gone in enumerate(missing):
        b = truth + 0.002 * (k - 1.5)
        b[0], b[-1] = 0.0, 1.0
        for j in gone:  # a placed boundary is only an estimate
            b[j] = (b[j - 1] + b[j + 1]) / 2
        pages.append(ColumnGeometry(tuple(b), 0.6, len(gone), 0, placed_at=gone))
    prior = prior_of(pages)
    assert prior is not None and prior.pages == 0  # no complete page
    assert np.allclose(prior.bounds, truth, atol=0.004)
    assert prior_of(pages[:1]) is None  # one page is no consensus
    two = prior_of(pages[:2])  # boundaries 1, 2, 3 each seen on one of them: taken from it
    assert two is not None and np.allclose(two.bounds, truth, atol=0.006)
