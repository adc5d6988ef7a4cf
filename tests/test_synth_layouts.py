"""Varied layout families: per-book proportions, number row, two-level headers, 5-15 uneven
rows, long entries over two rows, missing and hand-drawn lines, cut edges, perspective; the
truth follows what is drawn."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
from typer.testing import CliRunner

from sohoa.synth import FAMILIES, HELD_OUT, TRAINING, SynthError, generate_page
from sohoa.synth.families import sample_book_layout
from sohoa.synth.page import page_plan
from sohoa.template import load_template

TPL = load_template("ks-2006")


@cache
def page(family: str, seed: int, difficulty: str = "easy", page_no: int = 1,
         labels: bool = False):
    return generate_page(TPL, seed, difficulty, page_no=page_no, layout=family,
                         with_labels=labels)


def _darkness_along(img: np.ndarray, p: tuple[float, float], q: tuple[float, float],
                    half: int = 3) -> float:
    """Share of points on segment p-q (inner 80 %) with a dark pixel within +-half px."""
    grey = img.mean(axis=2)
    paper = float(np.median(grey))
    hits = n = 0
    for t in np.linspace(0.1, 0.9, 60):
        x, y = p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])
        xi, yi = int(round(x)), int(round(y))
        win = grey[max(0, yi - 1):yi + 2, max(0, xi - half):xi + half + 1]
        if win.size:
            n += 1
            hits += int(win.min() < paper - 60)
    return hits / max(1, n)


def test_families_are_named_and_held_out_ones_are_apart():
    assert set(HELD_OUT) and set(TRAINING) and not set(HELD_OUT) & set(TRAINING)
    assert all(FAMILIES[n].held_out for n in HELD_OUT)
    with pytest.raises(SynthError, match="unknown layout family"):
        generate_page("ks-2006", 1, layout="nope")


def test_column_widths_are_per_book_within_half_and_shared_by_its_pages():
    fam = FAMILIES["proportions"]
    template = np.array([c.width for c in TPL.columns])
    books = [np.array(sample_book_layout(TPL, fam, s).widths) for s in range(20)]
    for w in books:
        assert np.all(w >= 0.5 * template - 1e-9) and np.all(w <= 1.5 * template + 1e-9)
    spread = np.std([w / template for w in books], axis=0)
    assert spread.min() > 0.15  # books really differ, column by column
    a, b = page("proportions", 4).truth, page("proportions", 4, page_no=2).truth
    wa, wb = np.array(a["layout"]["widths"]), np.array(b["layout"]["widths"])
    assert np.all(np.abs(wa - wb) <= 0.03 * wa + 1e-3)  # same book: pages vary a little
    other = np.array(page("proportions", 5).truth["layout"]["widths"])
    assert np.abs(other - wa).max() > 0.01
    assert a["layout"]["family"] == "proportions" and a["layout"]["held_out"] is False


def test_number_row_is_printed_above_entry_zero():
    import cv2

    p = page("ho-ministry", 3)  # this family always prints the number row
    lay, entries = p.truth["layout"], p.truth["entries"]
    assert lay["number_row"] and lay["held_out"]
    nq, hq = np.array(lay["number_row_quad"]), np.array(lay["header_quad"])
    e0 = np.array(entries[0]["quad"])
    # the number row lies between the header band and entry 0 (shared edges)
    assert np.abs(nq[3] - e0[0]).max() < 1.5 and np.abs(nq[2] - e0[1]).max() < 1.5
    assert np.abs(hq[3] - nq[0]).max() < 1.5
    nx0, ny0, nx1, ny1 = lay["number_row_bbox"]
    mask = np.zeros(p.image.shape[:2], np.uint8)
    inner = nq + np.array([[8, 3], [-8, 3], [-8, -3], [8, -3]])  # off the ruling lines
    cv2.fillPoly(mask, [inner.round().astype(np.int32)], 1)
    grey = p.image.mean(axis=2)
    assert ((grey < np.median(grey) - 80) & (mask > 0)).sum() > 100  # the printed digits
    # no handwriting of any entry sits in the header band or the number row
    for e in entries:
        for f in e["fields"].values():
            c = ((f["bbox"][0] + f["bbox"][2]) / 2, (f["bbox"][1] + f["bbox"][3]) / 2)
            for q in (nq, hq):
                assert cv2.pointPolygonTest(q.astype(np.float32), c, False) < 0


def test_rows_per_page_vary_from_5_to_15_and_add_up():
    seen = set()
    for seed in range(40):
        rows = sample_book_layout(TPL, FAMILIES["hand-ruled"], seed).rows
        assert 5 <= rows <= 15
        seen.add(rows)
    assert min(seen) <= 6 and max(seen) >= 14
    for seed in (1, 2, 3):
        t = page("hand-ruled", seed).truth
        lay = t["layout"]
        heights = lay["row_heights"]
        assert len(heights) == lay["rows"] and max(heights) > 1.15 * min(heights)
        spanned = sum(1 for e in t["entries"] if "rows" in e)
        assert len(t["entries"]) + spanned + len(t["blank_rows"]) == lay["rows"]


def test_long_entry_over_two_rows_is_one_entry():
    seed = next(s for s in range(40) if page("two-level", s).truth["layout"]["two_row_entries"])
    t = page("two-level", seed).truth
    r = t["layout"]["two_row_entries"][0]
    e = next(e for e in t["entries"] if e["row"] == r)
    assert e["rows"] == [r, r + 1]
    h = t["layout"]["row_heights"]
    assert e["bbox"][3] - e["bbox"][1] >= 0.95 * (h[r] + h[r + 1])
    assert not any(x["row"] == r + 1 for x in t["entries"])
    stacked = [f for f in ("meHoTen", "meNgaySinh") if f in e["fields"]]
    if len(stacked) == 2:  # name in the first row, year in the second
        assert e["fields"]["meNgaySinh"]["bbox"][1] > e["fields"]["meHoTen"]["bbox"][3] - 5


def test_drawn_ruling_matches_truth_and_missing_lines_are_missing():
    seed = next(s for s in range(40)
                if page("ho-ministry", s).truth["layout"]["missing_lines"]["columns"])
    p = page("ho-ministry", seed)
    lay = p.truth["layout"]
    quads = lay["column_quads"]
    missing = set(lay["missing_lines"]["columns"])
    for i in range(1, len(quads)):
        top, bottom = quads[i][0], quads[i][3]  # left edge of column i = boundary i
        dark = _darkness_along(p.image, top, bottom)
        if i in missing:
            assert dark < 0.5, f"boundary {i} should be missing, {dark:.2f} dark"
        else:
            assert dark > 0.9, f"boundary {i} should be drawn, {dark:.2f} dark"


def test_two_level_header_has_merged_group_cells():
    t = page("two-level", 2)
    lay = t.truth["layout"]
    assert lay["header_levels"] == 2 and lay["header_groups"]
    quads = lay["column_quads"]
    hx0, hy0, hx1, hy1 = lay["header_bbox"]
    first, last = lay["header_groups"][0]["columns"]
    inner = first  # template column numbers are 1-based: boundary ``first`` is inside
    x = quads[inner][0][0]
    top_band = ((x, hy0 + 3), (x, hy0 + 0.25 * (hy1 - hy0)))
    low_band = ((x, hy0 + 0.6 * (hy1 - hy0)), (x, hy1 - 3))
    assert _darkness_along(t.image, *top_band, half=2) < 0.3  # merged: no line on top
    assert _darkness_along(t.image, *low_band, half=2) > 0.9


def test_cut_edge_truth_says_which_columns_are_gone():
    seed = next(s for s in range(60) if "cut" in page("photo", s, "hard").truth["layout"])
    p = page("photo", seed, "hard")
    t = p.truth
    cut = t["layout"]["cut"]
    assert cut["columns"] and cut["side"] in ("left", "right")
    by_number = {c.number: c for c in TPL.columns}
    gone = {f.name for n in cut["columns"] for f in by_number[n].fields}
    assert set(cut["fields"]) == gone
    w = t["width"]
    for n in cut["columns"]:
        xs = [x for x, _ in t["layout"]["column_quads"][n - 1]]
        assert min(xs) >= w - 2 if cut["side"] == "right" else max(xs) <= 2
    for e in t["entries"]:
        assert not gone & set(e["fields"])
        for f in e["fields"].values():
            assert 0 <= f["bbox"][0] < f["bbox"][2] <= w
    assert any(set(e.get("cut_fields", ())) & gone for e in t["entries"])


def test_phone_photo_has_perspective_and_boxes_hold_their_ink():
    p = page("ho-handbook", 7, "hard", labels=True)
    quad = np.array(p.truth["table"]["quad"])
    top_w = np.linalg.norm(quad[1] - quad[0])
    bottom_w = np.linalg.norm(quad[2] - quad[3])
    assert abs(top_w - bottom_w) / max(top_w, bottom_w) > 0.01  # keystone, not a rectangle
    n = len(p.label_names) + 1
    totals = np.bincount(p.labels.ravel(), minlength=n)
    lookup = {name: i + 1 for i, name in enumerate(p.label_names)}
    checked = 0
    for e in p.truth["entries"]:
        for name, f in e["fields"].items():
            label = lookup[f"{e['row']}:{name}"]
            if totals[label] < 20 or f.get("cut"):
                continue
            x0, y0, x1, y1 = f["bbox"]
            inside = int((p.labels[y0:y1, x0:x1] == label).sum())
            assert inside / totals[label] >= 0.98
            cx0, cy0, cx1, cy1 = f["cell"]  # the ink sits in its cell slot
            assert cx0 - 8 <= (x0 + x1) / 2 <= cx1 + 8 and cy0 - 8 <= (y0 + y1) / 2 <= cy1 + 8
            checked += 1
    assert checked > 40


def test_same_seed_same_page_and_plan_rows_follow_the_book():
    a = generate_page(TPL, 9, "hard", page_no=2, layout="mixed")
    b = page("mixed", 9, "hard", 2)
    assert np.array_equal(a.image, b.image)
    assert json.dumps(a.truth, ensure_ascii=False) == json.dumps(b.truth, ensure_ascii=False)
    rows = b.truth["layout"]["rows"]
    plan = page_plan(np.random.default_rng([9, 2]), rows)
    assert len(b.truth["blank_rows"]) == plan.blank + (plan.cancelled is not None)


def test_synth_cli_writes_a_held_out_family(tmp_path):
    from sohoa.cli import app

    res = CliRunner().invoke(app, ["synth", "--pages", "1", "--seed", "3", "--out",
                                   str(tmp_path), "--layout", "ho-ministry", "--format", "jpg"])
    assert res.exit_code == 0, res.output
    truth = json.loads((tmp_path / "page-0001.json").read_text("utf-8"))
    assert truth["layout"]["family"] == "ho-ministry" and truth["layout"]["held_out"]
    bad = CliRunner().invoke(app, ["synth", "--out", str(tmp_path), "--layout", "nope"])
    assert bad.exit_code != 0 and "unknown layout family" in bad.output


def test_hand_photo_family_is_training_hand_ruled_and_photographed():
    """The training side of hand-ruled books taken with a phone: hand ruling always, training
    print fonts only (never the held-out family's), hard pages keystoned (the table's corners
    are not a rectangle), and wider ranges than any held-out family it resembles."""
    fam = FAMILIES["hand-photo"]
    assert "hand-photo" in TRAINING and not fam.held_out
    held_fonts = {f for n in HELD_OUT for f in FAMILIES[n].print_families}
    assert not set(fam.print_families) & (held_fonts - {0, 1, 2})
    assert 3 not in fam.print_families
    assert fam.hand_ruled == 1.0 and fam.perspective > 0 and fam.crop > 0
    books = [sample_book_layout(TPL, fam, s) for s in range(30)]
    assert all(b.hand_ruled for b in books) and {b.print_family for b in books} <= {0, 1, 2}
    lay = page("hand-photo", 3, "hard").truth["layout"]
    assert lay["family"] == "hand-photo" and lay["hand_ruled"] and not lay["held_out"]
    q = np.array(lay["header_quad"], float)
    top, bottom = q[1, 0] - q[0, 0], q[2, 0] - q[3, 0]
    assert abs(top - bottom) > 0.005 * top or abs(q[0, 1] - q[1, 1]) > 2  # not a flatbed box
