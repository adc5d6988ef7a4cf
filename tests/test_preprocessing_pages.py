"""analyze_page on generated register pages: entries, field boxes, skew, rotation, skipped rows."""

from __future__ import annotations

import numpy as np
import pytest
from preprocessing_helpers import analysed, field_ious, match_entries, seed_where


def _check_page(template: str, seed: int, difficulty: str = "easy", rotation: int = 0,
                min_iou: float = 0.8) -> None:
    p, layout = analysed(template, seed, difficulty, rotation)
    truth = p.truth
    assert layout.ok, layout.status
    assert layout.rotation == truth["rotation"]
    assert abs(layout.angle - truth["angle"]) <= 0.3, (layout.angle, truth["angle"])
    pairs = match_entries(truth, layout)
    assert len(pairs) == len(truth["entries"]), "an entry was missed"
    assert len(layout.entries) == len(truth["entries"]), "an extra entry was found"
    assert [e.index for e in layout.entries] == list(range(len(layout.entries)))
    assert float(np.median(field_ious(pairs))) >= min_iou
    h, w = p.image.shape[:2]
    for e in layout.entries:
        x0, y0, x1, y1 = e.bbox
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert set(e.fields) == {f.name for f in _template(template).fields}


def _template(tid: str):
    from sohoa.template import load_template

    return load_template(tid)


@pytest.mark.parametrize("template", ["ks-2006", "kt-2006", "kh-2006"])
def test_easy_page_entries_and_fields_match_truth(template: str) -> None:
    _check_page(template, 3)


@pytest.mark.parametrize("template,seed", [("ks-2006", 5), ("kh-2006", 6)])
def test_hard_page_entries_and_fields_match_truth(template: str, seed: int) -> None:
    _check_page(template, seed, "hard", min_iou=0.75)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_turned_page_is_found_and_boxes_point_into_the_scan(rotation: int) -> None:
    _check_page("ks-2006", 4, rotation=rotation)


def test_empty_cells_agree_with_what_was_written() -> None:
    p, layout = analysed("ks-2006", 3)
    pairs = match_entries(p.truth, layout)
    agree = total = 0
    for t, f in pairs:
        for name, fb in f.fields.items():
            total += 1
            agree += int(fb.empty == (name not in t["fields"]))
    assert agree / total >= 0.95


def test_blank_rows_at_the_bottom_are_not_entries() -> None:
    seed = seed_where("ks-2006", lambda plan: plan.blank >= 2 and plan.cancelled is None)
    p, layout = analysed("ks-2006", seed)
    assert len(layout.entries) == len(p.truth["entries"])
    assert len(layout.skipped_rows) == len(p.truth["blank_rows"])
    assert {r.reason for r in layout.skipped_rows} <= {"blank", "struck"}
    expected = "struck" if p.truth["blank_rows_struck"] else "blank"
    assert all(r.reason == expected for r in layout.skipped_rows)


def test_row_struck_out_with_writing_is_not_an_entry() -> None:
    seed = seed_where("ks-2006", lambda plan: plan.cancelled is not None and plan.blank == 0)
    p, layout = analysed("ks-2006", seed)
    assert p.truth["struck_rows"], "generator drew no cancelled row"
    assert [r.reason for r in layout.skipped_rows] == ["struck"]
    assert len(layout.entries) == len(p.truth["entries"])
    assert len(match_entries(p.truth, layout)) == len(p.truth["entries"])


def test_row_whose_separating_line_is_missing_is_split_by_its_writing() -> None:
    import cv2

    from preprocessing import analyze_page
    from sohoa.template import load_template

    p, _ = analysed("ks-2006", 3)
    img = p.image.copy()
    entries = p.truth["entries"]
    paper = tuple(int(v) for v in np.median(img.reshape(-1, 3), axis=0))
    for i in (2, 6):  # erase the printed line between entries i and i+1
        bl, br = entries[i]["quad"][3], entries[i]["quad"][2]
        cv2.line(img, (int(bl[0]) + 8, int(bl[1])), (int(br[0]) - 8, int(br[1])), paper, 9)
    layout = analyze_page(img, load_template("ks-2006"))
    assert layout.ok, layout.status
    pairs = match_entries(p.truth, layout)
    assert len(pairs) == len(entries) == len(layout.entries)
    assert float(np.median(field_ious(pairs))) >= 0.8
