"""Scans of two facing pages: the gutter found, each page stored and read on its own, and a
single page never cut in two (``preprocessing.spread``, ``sohoa.ingest``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from preprocessing.spread import find_gutter, split_spread
from sohoa.synth import generate_page
from sohoa.synth.spread import make_spread
from sohoa.template import load_template


@pytest.fixture(scope="module")
def spread():
    tpl = load_template("ks-2006")
    pages = [generate_page(tpl, 41, difficulty="easy", font_role="bench", page_no=k)
             for k in (1, 2)]
    return make_spread(pages[0], pages[1], seed=41)


def _xs(entries: list[dict]) -> tuple[float, float]:
    xs = [x for e in entries for x, _ in e["quad"]]
    return min(xs), max(xs)


def test_the_gutter_of_a_spread_lies_between_its_two_tables(spread):
    n = spread.truth["spread"]["left_entries"]
    gx = find_gutter(spread.image)
    assert gx is not None
    assert _xs(spread.truth["entries"][:n])[1] < gx < _xs(spread.truth["entries"][n:])[0]
    left, right = split_spread(spread.image)
    assert left.shape[1] + right.shape[1] == spread.image.shape[1]
    assert left.shape[0] == right.shape[0] == spread.image.shape[0]


def test_each_page_of_a_split_spread_is_read_whole_where_the_spread_was_not(spread):
    from preprocessing import analyze_page

    tpl = load_template("ks-2006")
    n = spread.truth["spread"]["left_entries"]
    m = spread.truth["spread"]["right_entries"]
    whole = analyze_page(spread.image, tpl)
    assert len(whole.entries) < n + m  # read whole, one page's entries are lost
    left, right = split_spread(spread.image)
    assert len(analyze_page(left, tpl).entries) == n
    assert len(analyze_page(right, tpl).entries) == m


@pytest.mark.parametrize(("tid", "family", "difficulty", "seed"), [
    ("ks-2006", None, "easy", 3), ("ks-2006", "photo", "hard", 12),
    ("ks-2006", "hand-photo", "hard", 5), ("kh-2006", "wide-columns", "hard", 8),
    ("kt-2006", "mixed", "hard", 21), ("kh-2006", "two-level", "easy", 2),
])
def test_a_single_page_is_never_cut(tid, family, difficulty, seed):
    page = generate_page(load_template(tid), seed, difficulty=difficulty, font_role="bench",
                         layout=family)
    assert find_gutter(page.image) is None
    assert len(split_spread(page.image)) == 1


def test_a_portrait_or_blank_scan_is_one_page():
    assert find_gutter(np.full((400, 300, 3), 230, np.uint8)) is None
    assert find_gutter(np.full((300, 900, 3), 230, np.uint8)) is None


def test_ingest_stores_a_spread_as_two_pages_left_then_right(tmp_path: Path, spread):
    from typer.testing import CliRunner

    from sohoa.cli import app
    from sohoa.store import Workspace

    scan = tmp_path / "quyen-01-trang-01-02.png"
    Image.fromarray(spread.image).save(scan)
    single = tmp_path / "trang-03.png"
    Image.fromarray(generate_page(load_template("ks-2006"), 42, difficulty="easy",
                                  font_role="bench", page_no=3).image).save(single)
    args = ["ingest", str(scan), str(single), "--type", "KS", "--year", "2008", "--volume",
            "01/2008", "--commune", "Chiềng Cơi", "-q"]
    out = CliRunner().invoke(app, [*args, "-w", str(tmp_path / "w")])
    assert out.exit_code == 0, out.output
    assert "3 pages added" in out.output and "1 scan of two facing pages" in out.output
    with Workspace.open(tmp_path / "w") as ws:
        pages = ws.pages(1)
        assert [p.source.rsplit("/", 1)[-1] for p in pages] == [
            f"{scan.name}#side=left", f"{scan.name}#side=right", single.name]
        assert [p.page_no for p in pages] == [1, 2, 3]
        assert pages[0].width + pages[1].width == spread.image.shape[1]
    out = CliRunner().invoke(app, [*args, "-w", str(tmp_path / "k"), "--keep-spreads"])
    assert out.exit_code == 0, out.output
    assert "2 pages added" in out.output and "facing" not in out.output
    # kept whole, the spread is read as one page, and marked for a person to re-ingest
    out = CliRunner().invoke(app, ["process", "-w", str(tmp_path / "k"), "--engine",
                                   "tesseract"])
    assert out.exit_code in (0, 1), out.output
    with Workspace.open(tmp_path / "k") as ws:
        first, second = (ws.page_state(p.id) for p in ws.pages(1))
        assert first[0] == "needs_attention" and "two facing pages" in first[1], first
        assert second[0] == "processed", second


def test_segment_says_a_spread_holds_two_pages(tmp_path: Path, spread):
    import json

    from typer.testing import CliRunner

    from sohoa.cli import app

    scan = tmp_path / "mo-rong.png"
    Image.fromarray(spread.image).save(scan)
    out = CliRunner().invoke(app, ["segment", str(scan), "--json"])
    notes = json.loads(out.output.strip().splitlines()[-1])["notes"]
    assert any("two facing pages" in n and "ingest" in n for n in notes), notes


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_spread_scanned_turned_gives_its_pages_back_upright_left_first(spread, turn):
    import cv2

    from preprocessing import analyze_page

    tpl = load_template("ks-2006")
    left, right = split_spread(spread.image, tpl)
    scan = np.ascontiguousarray(np.rot90(spread.image, turn // 90))
    pages = split_spread(scan, tpl)
    assert len(pages) == 2

    def small(img: np.ndarray) -> np.ndarray:
        return cv2.resize(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), (240, 170)).astype(float)

    def far(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.abs(small(a) - small(b)).mean())

    # each page given back is the upright spread's page on its side, not the other one
    assert far(pages[0], left) < far(pages[0], right) and far(pages[1], right) < far(pages[1], left)
    assert far(pages[0], left) < far(pages[0], np.rot90(left, 2))  # and not upside down
    layouts = [analyze_page(p, tpl) for p in pages]
    assert [lay.rotation for lay in layouts] == [0, 0]
    assert [len(lay.entries) for lay in layouts] == [spread.truth["spread"]["left_entries"],
                                                     spread.truth["spread"]["right_entries"]]
