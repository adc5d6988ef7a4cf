"""Blank rows that carry a mark are still no entries (issue 14, rows): a number written ahead
in the number cell of a blank row, and a shallow pen stroke through a blank row. Constructed
on training-family pages (hand-ruled, mixed: easy, no strike of their own) from the
generator's truth: the mark is put where the page's own writing would be."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest

from preprocessing import analyze_page
from sohoa.synth import SynthPage, generate_page
from sohoa.template import load_template
from tests.preprocessing_helpers import match_entries


@cache
def _page(tid: str, seed: int, family: str) -> SynthPage:
    p = generate_page(load_template(tid), seed, difficulty="easy", font_role="bench",
                      layout=family)
    assert p.truth["blank_rows"] and not p.truth.get("blank_rows_struck")
    return p


def _last_entry(p: SynthPage) -> dict:
    return max(p.truth["entries"], key=lambda e: e["bbox"][3])


def _first_blank(p: SynthPage) -> list[float]:
    return min(p.truth["blank_rows"], key=lambda b: b[1])


def _check(p: SynthPage, image: np.ndarray, tid: str) -> None:
    layout = analyze_page(image, load_template(tid))
    truth = p.truth["entries"]
    assert len(layout.entries) == len(truth), [e.bbox for e in layout.entries]
    assert len(match_entries(p.truth, layout)) == len(truth)
    b = _first_blank(p)
    mid = 0.5 * (b[1] + b[3])
    assert any(r.bbox[1] < mid < r.bbox[3] for r in layout.skipped_rows), layout.skipped_rows


@pytest.mark.parametrize("tid,seed,family", [
    ("ks-2006", 700008, "hand-ruled"),
    ("kh-2006", 700100, "mixed"),
])
def test_a_blank_row_with_only_its_number_written_is_no_entry(tid: str, seed: int,
                                                              family: str) -> None:
    # the clerk wrote the next number ahead: the last entry's number, copied into the number
    # cell of the blank row under it (was an extra entry before: its number cell was written)
    p = _page(tid, seed, family)
    last, blank = _last_entry(p), _first_blank(p)
    x0, y0, x1, y1 = (int(v) for v in last["fields"]["so"]["bbox"])
    dy = int(round(0.5 * (blank[1] + blank[3]) - 0.5 * (last["bbox"][1] + last["bbox"][3])))
    image = p.image.copy()
    image[y0 + dy:y1 + dy, x0:x1] = np.minimum(image[y0 + dy:y1 + dy, x0:x1],
                                               p.image[y0:y1, x0:x1])
    _check(p, image, tid)


def test_a_shallow_stroke_through_a_blank_row_is_no_entry() -> None:
    # one pen line along the blank row from 0.3 of its height to 0.7, across the table (about
    # 2 degrees): too shallow to be told from a row line by its angle; it is no writing
    # (was an extra entry before: its cells held the stroke)
    p = _page("ks-2006", 700044, "hand-ruled")
    (_, _), (_, _), (brx, bry), (blx, bly) = _last_entry(p)["quad"]
    blank = _first_blank(p)
    slope = (bry - bly) / (brx - blx)
    h = (blank[3] - blank[1]) - abs(slope) * (blank[2] - blank[0])
    xa, xb = blx + 0.02 * (brx - blx), blx + 0.98 * (brx - blx)
    ya, yb = bly + slope * (xa - blx) + 0.3 * h, bly + slope * (xb - blx) + 0.7 * h
    image = p.image.copy()
    cv2.line(image, (int(xa), int(ya)), (int(xb), int(yb)), (30, 30, 90), 3, cv2.LINE_AA)
    _check(p, image, "ks-2006")
