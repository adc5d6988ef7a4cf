"""Synthetic pages: determinism, boxes on the ink after skew and rotation, truth shape."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.ndimage import find_objects
from synth_helpers import field_items, page

from sohoa.synth import SynthError, generate_page
from sohoa.synth.page import page_plan
from sohoa.template import load_template, template_ids


def test_same_seed_same_bytes_and_other_seed_differs():
    a = generate_page("ks-2006", 11, "hard", page_no=2)
    b = page("ks-2006", 11, "hard", 2)
    assert a.image.tobytes() == b.image.tobytes()
    assert json.dumps(a.truth, ensure_ascii=False) == json.dumps(b.truth, ensure_ascii=False)
    c = page("ks-2006", 12, "hard", 2)
    assert c.image.shape != a.image.shape or not np.array_equal(c.image, a.image)


def test_truth_shape_follows_the_read_contract():
    p = page("ks-2006", 3)
    t = p.truth
    h, w = p.image.shape[:2]
    assert p.image.dtype == np.uint8 and p.image.ndim == 3 and p.image.shape[2] == 3
    assert (t["width"], t["height"]) == (w, h)
    assert t["template"] == "ks-2006" and t["rotation"] == 0 and abs(t["angle"]) <= 2
    names = {f.name for f in load_template("ks-2006").fields}
    assert t["entries"], "an easy page has entries"
    for e in t["entries"]:
        x0, y0, x1, y1 = e["bbox"]
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert len(e["quad"]) == 4 and e["struck"] is False
        (ax, ay), (bx, by) = e["quad"][0], e["quad"][1]
        # + angle = counter-clockwise: the row's top edge rises to the right (y grows down)
        assert abs(-np.degrees(np.arctan2(by - ay, bx - ax)) - t["angle"]) < 0.1
        assert set(e["fields"]) <= names and "nksHoTen" in e["fields"]
        for f in e["fields"].values():
            assert f["text"] and f["value"]
            fx0, fy0, fx1, fy1 = f["bbox"]
            # a field sits in its row (a sprawling hand may cross the row lines a little)
            assert x0 <= (fx0 + fx1) / 2 <= x1 and y0 <= (fy0 + fy1) / 2 <= y1
            ix = max(0, min(x1, fx1) - max(x0, fx0)) * max(0, min(y1, fy1) - max(y0, fy0))
            assert ix >= 0.7 * (fx1 - fx0) * (fy1 - fy0)


@pytest.mark.parametrize(
    ("seed", "difficulty", "rotation"),
    [(5, "easy", 0), (6, "hard", 0), (7, "hard", 90), (8, "easy", 270)],
)
def test_field_boxes_hold_their_ink(seed, difficulty, rotation):
    p = page("ks-2006", seed, difficulty, 1, rotation, True)
    assert p.labels is not None and p.labels.shape == p.image.shape[:2]
    grey = p.image.mean(axis=2)
    n = len(p.label_names) + 1
    totals = np.bincount(p.labels.ravel(), minlength=n)
    sums = np.bincount(p.labels.ravel(), weights=grey.ravel(), minlength=n)
    boxes = find_objects(p.labels, max_label=n - 1)
    paper = np.median(grey)
    checked = 0
    for label, _e, name, f in field_items(p):
        x0, y0, x1, y1 = f["bbox"]
        total = int(totals[label])
        if total < 20:  # a tiny mark, e.g. "1", mostly hidden by a stamp or the border
            continue
        inside = int((p.labels[y0:y1, x0:x1] == label).sum())
        assert inside / total >= 0.98, f"{name}: {inside}/{total} ink pixels inside its box"
        ys, xs = boxes[label - 1]
        lb = (xs.start, ys.start, xs.stop, ys.stop)
        slack = 6 + 0.06 * max(x1 - x0, y1 - y0)
        assert all(abs(a - b) <= slack for a, b in zip(lb, (x0, y0, x1, y1), strict=True)), (
            f"{name}: box {f['bbox']} far from its ink {lb}")
        # the pixels there are really darker than paper
        assert sums[label] / total < paper - 25
        checked += 1
    assert checked > 50


def test_rotation_turns_the_same_scan():
    up = page("ks-2006", 21)
    side = page("ks-2006", 21, rotation=90)
    assert np.array_equal(side.image, np.rot90(up.image))
    w = up.truth["width"]
    for e_up, e_side in zip(up.truth["entries"], side.truth["entries"], strict=True):
        for name, f in e_up["fields"].items():
            x0, y0, x1, y1 = f["bbox"]
            expect = [y0, w - x1, y1, w - x0]
            got = e_side["fields"][name]["bbox"]
            assert all(abs(a - b) <= 1 for a, b in zip(got, expect, strict=True))


def _seed_with(pred) -> int:
    rows = load_template("ks-2006").rows_per_page
    return next(s for s in range(500) if pred(page_plan(np.random.default_rng([s, 1]), rows)))


def test_blank_rows_are_not_entries():
    rows = load_template("ks-2006").rows_per_page
    seed = _seed_with(lambda plan: plan.blank > 0 and plan.cancelled is None)
    t = page("ks-2006", seed).truth
    assert t["blank_rows"] and not t["struck_rows"]
    assert len(t["entries"]) + len(t["blank_rows"]) == rows
    assert [e["index"] for e in t["entries"]] == list(range(len(t["entries"])))
    last_entry = max((e["bbox"][1] + e["bbox"][3]) / 2 for e in t["entries"])
    assert all((b[1] + b[3]) / 2 > last_entry for b in t["blank_rows"])


def test_cancelled_row_is_struck_and_rewritten_with_the_same_number():
    rows = load_template("ks-2006").rows_per_page
    seed = _seed_with(lambda plan: plan.cancelled is not None and plan.blank == 0)
    p = page("ks-2006", seed)
    t = p.truth
    assert len(t["struck_rows"]) == 1 and t["blank_rows"] == t["struck_rows"]
    assert len(t["entries"]) == rows - 1
    numbers = [int(e["fields"]["so"]["text"]) for e in t["entries"] if "so" in e["fields"]]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    # the struck row holds ink (the first attempt and the stroke) but is in no entry box
    x0, y0, x1, y1 = t["struck_rows"][0]
    grey = p.image[y0:y1, x0:x1].mean(axis=2)
    assert (grey < np.median(p.image.mean(axis=2)) - 60).sum() > 500
    rows_seen = [e["row"] for e in t["entries"]]
    assert len(set(rows_seen)) == len(rows_seen) and len(rows_seen) == rows - 1


@pytest.mark.parametrize("tid", template_ids())
def test_every_template_renders(tid):
    tpl = load_template(tid)
    p = generate_page(tid, 2, "hard", font_role="bench")
    names = {f.name for f in tpl.fields}
    written = set()
    for e in p.truth["entries"]:
        assert set(e["fields"]) <= names
        written |= set(e["fields"])
    # every non-optional field shows up somewhere on a page
    assert {f.name for f in tpl.fields if f.kind in ("name", "date", "sex")} <= written


def test_bad_arguments_are_clear():
    with pytest.raises(SynthError, match="difficulty"):
        generate_page("ks-2006", 1, "medium")
    with pytest.raises(SynthError, match="rotation"):
        generate_page("ks-2006", 1, rotation=45)


def test_same_bytes_in_another_process():
    import hashlib
    import os
    import subprocess
    import sys

    code = ("import hashlib; from sohoa.synth import generate_page; "
            "p = generate_page('kh-2006', 5, 'hard', page_no=2, dpi=100); "
            "print(hashlib.sha256(p.image.tobytes()).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    here = generate_page("kh-2006", 5, "hard", page_no=2, dpi=100)
    assert out == hashlib.sha256(here.image.tobytes()).hexdigest()


def test_a_new_template_file_renders_without_new_code(tmp_path):
    path = tmp_path / "cmc-test.toml"
    path.write_text('''
id = "cmc-test"
register_type = "CMC"
era = "2010"
title = "SỔ ĐĂNG KÝ NHẬN CHA, MẸ, CON"
rows_per_page = 6

[[columns]]
number = 1
header = "Số"
width = 4
fields = [{ name = "so", kind = "number", label = "Số" }]

[[columns]]
number = 2
header = "Ngày, tháng, năm đăng ký"
width = 8
fields = [{ name = "ngayDangKy", kind = "date", label = "Ngày đăng ký" }]

[[columns]]
number = 3
header = "Họ tên, năm sinh, nơi cư trú người nhận"
width = 16
fields = [
  { name = "nnHoTen", kind = "name", label = "Họ tên" },
  { name = "nnNamSinh", kind = "year", label = "Năm sinh" },
  { name = "nnNoiCuTru", kind = "place", label = "Nơi cư trú" },
]

[[columns]]
number = 4
header = "Quan hệ"
width = 6
fields = [{ name = "quanHe", kind = "relation", label = "Quan hệ" }]
''', encoding="utf-8")
    p = generate_page(str(path), 3, "easy", dpi=120)
    t = p.truth
    assert t["template"] == "cmc-test" and len(t["entries"]) + len(t["blank_rows"]) == 6
    fields = {name for e in t["entries"] for name in e["fields"]}
    assert {"so", "ngayDangKy", "nnHoTen", "nnNamSinh", "nnNoiCuTru", "quanHe"} <= fields
    for e in t["entries"]:
        if "nnNamSinh" in e["fields"]:
            assert e["fields"]["nnNamSinh"]["value"].isdigit()
