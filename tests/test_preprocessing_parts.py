"""The lower-level preprocessing functions and the crops handed to recognisers and people."""

from __future__ import annotations

import json

import cv2
import numpy as np
from preprocessing_helpers import analysed, page
from typer.testing import CliRunner

from preprocessing import (
    analyze_page,
    binarize,
    deskew,
    entry_crop,
    field_crops,
    find_grid,
    map_columns,
    normalize_background,
    remove_ruling,
)
from sohoa.records import FieldCrop
from sohoa.template import load_template


def _drawn_table(xs: list[int], ys: list[int], size=(900, 1400), thickness=3) -> np.ndarray:
    img = np.full(size, 235, np.uint8)
    for y in ys:
        cv2.line(img, (xs[0], y), (xs[-1], y), 30, thickness)
    for x in xs:
        cv2.line(img, (x, ys[0]), (x, ys[-1]), 30, thickness)
    return img


def test_find_grid_returns_the_drawn_lines() -> None:
    xs = [100, 180, 400, 650, 900, 1300]
    ys = [100, 220, 260, 360, 460, 560, 660, 760]
    grid = find_grid(_drawn_table(xs, ys))
    assert [round(ln.pos) for ln in grid.h_lines] == ys
    found = [round(ln.pos) for ln in grid.v_lines]
    assert len(found) == len(xs) and max(abs(a - b) for a, b in zip(found, xs, strict=True)) <= 1


def test_find_grid_ignores_a_facing_page_edge_outside_the_table() -> None:
    xs = [300, 500, 700, 900, 1100, 1300]
    ys = [150, 250, 350, 450, 550, 650, 750]
    img = _drawn_table(xs, ys)
    img[:, 40:70] = 60  # dark edge of the facing page, full height
    grid = find_grid(img)
    assert abs(grid.v_lines[0].pos - 300) <= 2


def test_columns_map_onto_the_template_even_with_lines_missing() -> None:
    tpl = load_template("ks-2006")
    fr = tpl.column_fractions()
    bounds = [100 + round(f * 1200) for f in [fr[0][0]] + [b for _, b in fr]]
    drawn = [x for i, x in enumerate(bounds) if i not in (3, 7)]  # two faded column lines
    grid = find_grid(_drawn_table(drawn, [100, 250, 290, 390, 490, 590, 690]))
    cmap = map_columns(grid.v_lines, tpl)
    assert cmap is not None and cmap.matched == len(drawn)
    assert max(abs(b.pos - x) for b, x in zip(cmap.boundaries, bounds, strict=True)) <= 4


def test_deskew_straightens_a_generated_page() -> None:
    p = page("ks-2006", 2)
    straight, angle = deskew(p.image)
    assert abs(angle - p.truth["angle"]) <= 0.1
    assert straight.ndim == 3 and straight.shape[0] >= p.image.shape[0]


def test_binarize_and_background_flattening_keep_ink_and_drop_shadow() -> None:
    img = np.full((400, 600), 230, np.uint8)
    img[:, 300:] = 120  # a shadow over the right half
    cv2.putText(img, "Lo Van Hung", (20, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 20, 3)
    cv2.putText(img, "Lo Van Hung", (320, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 20, 3)
    ink = binarize(normalize_background(img))
    left, right = ink[:, 20:280], ink[:, 320:580]
    assert np.count_nonzero(ink[300:, :]) < 0.01 * ink[300:, :].size  # shadow is not ink
    assert abs(np.count_nonzero(left) - np.count_nonzero(right)) < 0.3 * np.count_nonzero(left)


def test_remove_ruling_erases_lines_and_keeps_writing() -> None:
    crop = np.full((80, 400), 235, np.uint8)
    cv2.putText(crop, "1987", (120, 55), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 30, 3)
    writing = crop < 128
    cv2.line(crop, (0, 5), (399, 5), 40, 3)
    cv2.line(crop, (0, 74), (399, 74), 40, 3)
    cv2.line(crop, (6, 0), (6, 79), 40, 3)
    out = remove_ruling(crop)
    assert np.count_nonzero(out[:10] < 128) == 0 and np.count_nonzero(out[70:] < 128) == 0
    assert np.count_nonzero(out[:, :10] < 128) == 0
    kept = np.count_nonzero((out < 128) & writing) / np.count_nonzero(writing)
    assert kept > 0.9


def test_field_crops_are_grey_deskewed_and_one_per_field() -> None:
    tpl = load_template("ks-2006")
    p, layout = analysed("ks-2006", 3)
    crops = field_crops(p.image, layout, tpl)
    assert len(crops) == len(layout.entries) * len(tpl.fields)
    assert all(isinstance(c, FieldCrop) and c.image.ndim == 2 and c.image.dtype == np.uint8
               for c in crops)
    first = crops[: len(tpl.fields)]
    assert [c.field for c in first] == [f.name for f in tpl.fields]
    name = next(c for c in first if c.field == "nksHoTen")
    assert not name.empty
    assert name.bbox == layout.entries[0].fields["nksHoTen"].bbox
    x0, y0, x1, y1 = name.bbox
    cell = np.array(layout.entries[0].fields["nksHoTen"].cell)
    cell_w = float(np.linalg.norm(cell[1] - cell[0]))
    # upright, wall to wall across its cell (a faint first letter is not cut off)
    assert x1 - x0 <= name.image.shape[1] and abs(name.image.shape[1] - cell_w) <= 0.3 * (y1 - y0) + 4
    dark = name.image < 128
    assert dark.mean() > 0.005  # the handwriting is in the crop
    assert dark.mean(axis=1).max() < 0.8  # no ruling line across it


def test_entry_crop_is_the_upright_row_in_colour() -> None:
    p, layout = analysed("ks-2006", 4, "easy", 90)
    e = layout.entries[0]
    img = entry_crop(p.image, e)
    assert img.ndim == 3 and img.shape[1] > 5 * img.shape[0]  # upright: wide, not tall


def test_segment_command_prints_the_read_shape_and_writes_an_overlay(tmp_path) -> None:
    from PIL import Image

    from sohoa.cli import app

    p = page("kt-2006", 3)
    path = tmp_path / "p.png"
    Image.fromarray(p.image).save(path)
    res = CliRunner().invoke(app, ["segment", str(path), "--template", "kt-2006", "--json",
                                   "--debug-dir", str(tmp_path / "dbg")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["status"] == "ok" and out["rotation"] == 0
    assert len(out["entries"]) == len(p.truth["entries"])
    e = out["entries"][0]
    assert set(e) >= {"index", "bbox", "quad", "fields"}
    assert set(e["fields"]["nktHoTen"]) == {"bbox", "empty"}
    assert (tmp_path / "dbg" / "p.segment.png").exists()
    bad = CliRunner().invoke(app, ["segment", str(tmp_path / "missing.png")])
    assert bad.exit_code == 2 and "no such file" in bad.output


def test_remove_ruling_keeps_tall_pen_strokes_inside_the_crop() -> None:
    crop = np.full((60, 300), 235, np.uint8)
    cv2.line(crop, (150, 4), (150, 56), 30, 4)  # a tall "1" or the upright of an N
    cv2.line(crop, (2, 0), (2, 59), 40, 3)  # the cell's side
    out = remove_ruling(crop)
    assert np.count_nonzero(out[:, 145:156] < 128) > 0.8 * np.count_nonzero(crop[:, 145:156] < 128)
    assert np.count_nonzero(out[:, :6] < 128) == 0


def test_faint_strokes_joined_to_ink_grow_back_and_lone_faint_marks_do_not() -> None:
    from preprocessing.clean import binarize, grow_faint_ink

    grey = np.full((120, 400), 250, np.uint8)
    cv2.line(grey, (20, 60), (200, 60), 215, 2)  # a faded stroke ...
    for x in (30, 110, 190):
        cv2.circle(grey, (x, 60), 2, 140, -1)  # ... where the pen pressed harder
    cv2.circle(grey, (320, 60), 6, 215, 2)  # a faint mark touching no darker ink
    strong = binarize(grey)
    grown = grow_faint_ink(strong, binarize(grey, k=0.05))
    assert strong[60, 150] == 0 and grown[60, 150] == 255  # the tail is back
    assert not grown[:, 300:].any()  # the lone faint ring stays out
    assert (grown >= strong).all()  # nothing strict is lost


def test_a_faded_pen_page_gets_whole_field_crops() -> None:
    """The demo book's page 2, written with a faded pen: every written field's box must cover
    most of its handwriting (with the strict threshold alone 60 of 147 boxes held a corner)."""
    from sohoa.synth import generate_page

    pg = generate_page("ks-2006", 2008, "hard", "test", page_no=2)
    layout = analyze_page(pg.image, load_template("ks-2006"))
    assert len(layout.entries) == len(pg.truth["entries"])
    cover = []
    for truth, entry in zip(pg.truth["entries"], layout.entries, strict=True):
        for name, f in truth["fields"].items():
            if f["text"].strip():
                (a0, b0, a1, b1), (t0, u0, t1, u1) = entry.fields[name].bbox, f["bbox"]
                inter = max(0, min(a1, t1) - max(a0, t0)) * max(0, min(b1, u1) - max(b0, u0))
                cover.append(inter / ((t1 - t0) * (u1 - u0)))
    assert len(cover) == 147
    assert sum(c < 0.7 for c in cover) <= 15, sorted(cover)[:20]
    # the crops span their cells, so even a box that missed a faint letter crops all of it
    tpl = load_template("ks-2006")
    crops = field_crops(pg.image, layout, tpl)
    widths = {(i // len(tpl.fields), c.field): c.image.shape[1] for i, c in enumerate(crops)}
    short = [(e["index"], name) for e in pg.truth["entries"] for name, f in e["fields"].items()
             if f["text"].strip() and widths[(e["index"], name)] < 0.95 * (f["bbox"][2] - f["bbox"][0])]
    assert short == []


def test_red_stamp_ink_fades_from_field_crops_and_pen_strokes_under_it_stay() -> None:
    from preprocessing.clean import drop_red

    rgb = np.full((80, 200, 3), (236, 230, 215), np.uint8)  # paper
    cv2.circle(rgb, (100, 40), 30, (200, 45, 50), 4)  # a red seal's ring
    cv2.line(rgb, (20, 40), (180, 40), (30, 45, 140), 3)  # blue writing across it
    grey = drop_red(rgb)
    plain = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ring = (100, 10)  # on the ring, away from the writing
    assert plain[ring[1], ring[0]] < 120 and grey[ring[1], ring[0]] >= 190
    assert grey[40, 30] == plain[40, 30] < 80  # the pen stroke is untouched
    assert grey[40, 70] < 80  # ... also where it crosses the ring
    np.testing.assert_array_equal(drop_red(plain), plain)  # grey scans come back as they are
