"""Register pages laid out unlike the template: the table is read from the page.

Each page is generated from a copy of ks-2006 with other proportions, rows or a number row
(tests/layout_helpers.py) and analysed with the shipped ks-2006, then compared with the
generator's truth: entry quads, entry 0 free of header print, field boxes.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from layout_helpers import (
    crop_page,
    drawn,
    erase_vertical,
    geometry_of,
    no_number_row,
    number_row,
    uneven_rows,
    variant,
    warp_page,
)
from preprocessing_helpers import box_iou, field_ious, match_entries, quad_iou

from preprocessing import analyze_page
from sohoa.template import load_template

TPL = load_template("ks-2006")


def _analyse(p):
    return analyze_page(p.image, TPL)


def _assert_entries(p, layout, min_iou: float = 0.8) -> list:
    truth = p.truth
    pairs = match_entries(truth, layout)
    assert len(layout.entries) == len(truth["entries"]), (len(layout.entries), layout.status)
    assert len(pairs) == len(truth["entries"]), "an entry was missed"
    ious = [quad_iou(t["quad"], f.quad) for t, f in pairs]
    assert min(ious) >= 0.75, ious
    assert float(np.median(field_ious(pairs))) >= min_iou
    return pairs


def _assert_no_header_in_entry0(p, layout) -> None:
    """Entry 0 is the first written row, not the header or the number row above it."""
    t0 = p.truth["entries"][0]
    f0 = layout.entries[0]
    assert t0["row"] == 0
    assert quad_iou(t0["quad"], f0.quad) >= 0.85
    top_truth = min(q[1] for q in t0["quad"][:2])
    height = max(q[1] for q in t0["quad"][2:]) - top_truth
    assert min(q[1] for q in f0.quad[:2]) >= top_truth - 0.1 * height


@pytest.mark.parametrize("rows", [6, 14])
def test_pages_with_other_row_counts_keep_every_row_and_are_not_partial(rows: int) -> None:
    p = drawn(variant("ks-2006", rows=rows), 3, (number_row,))
    layout = _analyse(p)
    assert layout.status == "ok"
    _assert_entries(p, layout)
    _assert_no_header_in_entry0(p, layout)


def test_number_row_under_the_header_is_header_not_entry_0() -> None:
    p = drawn(variant("ks-2006", rows=8), 4, (number_row,))
    layout = _analyse(p)
    assert layout.ok, layout.status
    _assert_entries(p, layout)
    _assert_no_header_in_entry0(p, layout)
    hb = layout.header_bbox
    assert hb is not None and hb[3] <= min(q[1] for q in layout.entries[0].quad[:2]) + 2


@pytest.mark.parametrize("widths", [{3: 0.5, 8: 2.0}, {2: 0.5, 9: 2.0, 12: 0.6}])
def test_columns_at_half_and_twice_their_template_width_give_the_right_cells(widths) -> None:
    p = drawn(variant("ks-2006", widths), 3, (no_number_row,))
    layout = _analyse(p)
    assert layout.ok, layout.status
    pairs = _assert_entries(p, layout, min_iou=0.85)
    changed = {f.name for c in TPL.columns if c.number in widths for f in c.fields}
    later = {f.name for c in TPL.columns if c.number >= 9 for f in c.fields}
    for t, f in pairs:  # the narrowed/widened columns and every column right of them
        for name in changed | later:
            if name in t["fields"]:
                assert not f.fields[name].empty, name
                assert box_iou(t["fields"][name]["bbox"], f.fields[name].bbox) >= 0.5, name


def test_uneven_row_heights_are_rows_not_split_or_merged() -> None:
    p = drawn(variant("ks-2006"), 3, (uneven_rows,))
    layout = _analyse(p)
    assert layout.ok, layout.status
    _assert_entries(p, layout)


def test_missing_column_lines_are_placed_between_the_texts() -> None:
    tpl = variant("ks-2006", {3: 0.5, 8: 2.0})
    g = geometry_of(tpl, 4, (number_row,))
    p = erase_vertical(drawn(tpl, 4, (number_row,)), g, [3, 8, 11])
    layout = _analyse(p)
    assert layout.ok, layout.status
    pairs = _assert_entries(p, layout)
    # fields on both sides of each erased line hold their own writing
    beside = {f.name for c in TPL.columns if c.number in (3, 4, 8, 9, 11, 12) for f in c.fields}
    ious = [box_iou(t["fields"][n]["bbox"], f.fields[n].bbox) if not f.fields[n].empty else 0.0
            for t, f in pairs for n in beside if n in t["fields"]]
    assert float(np.median(ious)) >= 0.8
    assert sum(v < 0.5 for v in ious) <= 0.05 * len(ious)


@pytest.mark.parametrize("side", ["left", "right"])
def test_table_cut_at_the_image_edge_keeps_its_entries_and_visible_columns(side: str) -> None:
    from preprocessing.entries import CUT_REASON

    tpl = variant("ks-2006")
    g = geometry_of(tpl, 3, (number_row,))
    p = drawn(tpl, 3, (number_row,))
    w = p.image.shape[1]
    if side == "left":  # through the middle of column 3: columns 1-2 are gone
        cut = crop_page(p, int((g.x_edges[2] + g.x_edges[3]) / 2), w)
        gone = {"so", "ngayDangKy"}
    else:  # through column 11: columns 12-13 are gone
        cut = crop_page(p, 0, int((g.x_edges[10] + g.x_edges[11]) / 2))
        gone = {"nycHoTen", "nycQuanHe", "ghiChu"}
    layout = _analyse(cut)
    assert layout.status.startswith(f"partial page: the table is cut off at the {side}")
    pairs = match_entries(cut.truth, layout)
    assert len(pairs) == len(layout.entries) == len(cut.truth["entries"])
    seen = []
    for t, f in pairs:
        for name, fb in f.fields.items():
            if name in gone:
                assert fb.empty and fb.reason == CUT_REASON
            elif name in t["fields"] and name not in {"nksHoTen", "chaHoTen", "chaNgaySinh"}:
                seen.append(0.0 if fb.empty else box_iou(t["fields"][name]["bbox"], fb.bbox))
    assert float(np.median(seen)) >= 0.8
    assert layout.to_json()["entries"][0]["fields"][sorted(gone)[0]]["reason"] == CUT_REASON


def test_phone_photo_perspective_is_rectified() -> None:
    p = drawn(variant("ks-2006"), 3, (number_row,))
    h, w = p.image.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[0.04 * w, 0.03 * h], [0.97 * w, 0], [w, h], [0, 0.95 * h]])
    photo = warp_page(p, cv2.getPerspectiveTransform(src, dst), (w, h))
    layout = _analyse(photo)
    assert layout.ok, layout.status
    assert layout.perspective is not None
    _assert_entries(photo, layout)
    _assert_no_header_in_entry0(photo, layout)


def test_entry_written_over_two_printed_rows_stays_one_entry() -> None:
    p = drawn(variant("ks-2006"), 10, ())  # seed 10: two blank rows at the bottom, not struck
    truth = p.truth
    assert len(truth["blank_rows"]) >= 2 and not truth["blank_rows_struck"]
    img = p.image.copy()
    last = truth["entries"][-1]
    q0, ql = np.array(truth["entries"][0]["quad"]), np.array(last["quad"])
    step = (ql - q0) / max(1, last["row"])  # one printed row down
    # a second line of the birthplace, written in the next (blank) row
    x0, y0, x1, y1 = truth["entries"][0]["fields"]["nksNoiSinh"]["bbox"]
    dx, dy = (int(round(v)) for v in step[0] * (last["row"] + 1))
    src = img[y0:y1, x0:x1]
    img[y0 + dy:y1 + dy, x0 + dx:x1 + dx] = np.minimum(img[y0 + dy:y1 + dy, x0 + dx:x1 + dx],
                                                       src)
    layout = analyze_page(img, TPL)
    assert layout.ok, layout.status
    assert len(layout.entries) == len(truth["entries"])
    joined = (ql[0], ql[1], ql[2] + step[0], ql[3] + step[0])
    f = layout.entries[-1]
    assert quad_iou(joined, f.quad) >= 0.8
    fb = f.fields["nksNoiSinh"]
    assert fb.bbox[3] >= y1 + dy - 4  # the field takes in its second line
    others = {**truth, "entries": truth["entries"][:-1]}
    assert len(match_entries(others, layout)) == len(truth["entries"]) - 1


def test_segment_command_exits_0_and_prints_json_for_a_partial_page(tmp_path) -> None:
    import json

    from PIL import Image
    from typer.testing import CliRunner

    from sohoa.cli import app

    tpl = variant("ks-2006")
    g = geometry_of(tpl, 3, (number_row,))
    p = drawn(tpl, 3, (number_row,))
    cut = crop_page(p, 0, int((g.x_edges[10] + g.x_edges[11]) / 2))
    path = tmp_path / "cut.png"
    Image.fromarray(cut.image).save(path)
    res = CliRunner().invoke(app, ["segment", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["status"].startswith("partial page: the table is cut off at the right")
    assert len(out["entries"]) == len(cut.truth["entries"])
    assert out["entries"][0]["fields"]["ghiChu"]["empty"] is True
    assert "reason" in out["entries"][0]["fields"]["ghiChu"]


def test_header_words_read_with_tesseract_place_columns_whose_lines_are_lost(monkeypatch
                                                                              ) -> None:
    import preprocessing.header as header

    tpl = variant("ks-2006", {3: 0.5, 6: 1.6, 8: 2.0, 10: 0.6})
    g = geometry_of(tpl, 3, (number_row,))
    p = erase_vertical(drawn(tpl, 3, (number_row,)), g, [3, 4, 8, 9, 10])

    def right_share(layout) -> float:
        pairs = match_entries(p.truth, layout)
        ious = [0.0 if f.fields[n].empty else box_iou(t["fields"][n]["bbox"], f.fields[n].bbox)
                for t, f in pairs for n in t["fields"]]
        return float(np.mean(np.array(ious) >= 0.5))

    read = _analyse(p)
    assert read.ok, read.status
    assert right_share(read) >= 0.97
    grid_only = []
    real = header.header_anchors
    monkeypatch.setattr(header, "header_anchors",
                        lambda *a: grid_only.append(real(*a)) or {})
    blind = _analyse(p)
    assert grid_only and len(grid_only[0]) >= 8  # Tesseract named most columns
    assert right_share(blind) < 0.9  # the same page without reading its header
