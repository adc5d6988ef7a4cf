"""Honest confidence under layout doubt: what a crop says about its own box (ink across its
walls, ink in a cell called empty, a value of another column's kind) reaches the calibrated
confidence; the benchmark's oracle reads the generator's exact boxes; held-out layout families
never fit the shipped map."""

from __future__ import annotations

import sys
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from read_helpers import truth_text

from ocr.fake import FakeEngine
from sohoa.evaluation import pairs_from_page
from sohoa.fields.calibration import Features, default_calibration
from sohoa.fields.calibration_fit import CellRead, choose_cells, read_cells
from sohoa.fields.calibration_seg import (
    LayoutEvidence,
    crop_evidence,
    empty_confidence,
    other_kind_score,
)
from sohoa.fields.choose import choose_reading
from sohoa.pipeline import assemble
from sohoa.recognize import EnginePlan, Recognizer
from sohoa.records import Alternative, FieldCrop, FieldKind
from sohoa.synth import HELD_OUT, generate_page, render_handwriting
from sohoa.synth.hand import HandStyle
from sohoa.template import load_template

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
TPL = load_template("ks-2006")


@cache
def _page(layout: str | None = "proportions", seed: int = 31):
    return generate_page(TPL, seed, "easy", font_role="test", layout=layout)


def _cut(page, quad, shift: float = 0.0) -> np.ndarray:
    """A crop as ``preprocessing.field_crops`` cuts it, the quad moved by ``shift`` widths."""
    from preprocessing.clean import drop_red, remove_ruling
    from preprocessing.crops import warp_quad

    q = np.array(quad, float)
    q[:, 0] += shift * (q[1, 0] - q[0, 0])
    return remove_ruling(warp_quad(drop_red(page.image), tuple(map(tuple, q)), 0.08))


def test_ink_across_the_box_walls_is_seen_when_the_box_is_off():
    page = _page()
    exact, shifted = [], []
    for e in page.truth["entries"]:
        for name in ("nksHoTen", "nksNoiSinh", "meHoTen"):
            f = e["fields"].get(name)
            if f is None:
                continue
            exact.append(crop_evidence(_cut(page, f["band_quad"])).edge_ink)
            shifted.append(crop_evidence(_cut(page, f["band_quad"], 0.45)).edge_ink)
    assert len(exact) >= 15
    assert np.median(exact) < 0.05 and np.mean(np.array(exact) < 0.2) > 0.9
    assert np.median(shifted) > 0.15  # the wall now runs through the writing
    assert np.mean(np.array(shifted) > np.array(exact) + 0.1) > 0.7


def _ink_crop(text: str = "Lò Văn Hùng") -> np.ndarray:
    rng = np.random.default_rng(3)
    line = render_handwriting(text, HandStyle.sample(rng, "test", size=40), rng)
    crop = np.full((line.shape[0] + 40, line.shape[1] + 80), 250, np.uint8)
    crop[20:20 + line.shape[0], 40:40 + line.shape[1]] = np.minimum(
        250, line)  # handwriting well inside the walls
    return crop


def test_an_empty_cell_that_holds_ink_is_never_confident():
    inked, blank = _ink_crop(), np.full((90, 300), 250, np.uint8)
    assert crop_evidence(inked).ink > 0.01 and crop_evidence(blank).ink == 0.0
    crops = [FieldCrop("nksHoTen", FieldKind.NAME, inked, (0, 0, 10, 10), empty=True),
             FieldCrop("nksDanToc", FieldKind.ETHNICITY, blank, (0, 0, 10, 10), empty=True)]
    rec = Recognizer(EnginePlan(default="fake", fallback="fake"),
                     engines={"fake": FakeEngine(script={})})
    got = rec.read(crops)  # the pipeline's reader
    assert got[0].text == "" and got[0].confidence < 0.9
    assert got[1].text == "" and got[1].confidence == 1.0
    cells = [CellRead(c.field, c.kind, c.bbox, "segment", (), True, crop_evidence(c.image))
             for c in crops]
    assert [r.confidence for r in choose_cells(cells)] == [r.confidence for r in got]
    assert empty_confidence(LayoutEvidence(ink=0.05)) < 0.9


def test_the_column_fits_doubt_reaches_every_crop_of_the_page():
    from types import SimpleNamespace

    from preprocessing import analyze_page
    from sohoa.fields.calibration_seg import evidence_of, layout_residual_of
    from sohoa.pipeline import segment_image

    def geo(placed, fit):
        return SimpleNamespace(geometry=SimpleNamespace(bounds=tuple(range(14)), placed=placed,
                                                        fit=fit))

    assert layout_residual_of(SimpleNamespace()) == 0.0  # page analysis says nothing
    assert layout_residual_of(geo(0, 0.0)) == 0.0
    assert layout_residual_of(geo(6, 0.0)) > layout_residual_of(geo(1, 0.0)) > 0
    assert layout_residual_of(geo(0, 2.0)) > layout_residual_of(geo(0, 0.2)) > 0
    page = _page("hand-ruled", 4)
    want = layout_residual_of(analyze_page(page.image, TPL))
    seg = segment_image(page.image, TPL)
    assert seg.crops and all(evidence_of(c).layout_residual == want for c in seg.crops)


def test_a_value_of_another_columns_kind_is_flagged():
    assert other_kind_score(FieldKind.NAME, "Bản Nà Sản, Mường La, Sơn La", 0.3, True) > 0.5
    assert other_kind_score(FieldKind.NAME, "1978", 0.0, False) > 0.5
    assert other_kind_score(FieldKind.NAME, "Lò Văn Hùng", 1.0, True) == 0.0
    assert other_kind_score(FieldKind.DATE, "12/3/2006", 1.0, True) == 0.0


def test_layout_doubt_lowers_the_shipped_confidence():
    cal = default_calibration()
    names = ("edge_ink", "layout_residual", "other_kind", "extra_lines", "column_doubt")
    # fitted, not set: doubt never raises confidence (fit_calibration holds a weight that
    # would come out positive at 0), and most kinds of doubt carry weight of their own
    assert all(cal.weights.get(n, 0.0) <= 0 for n in names), cal.weights
    fitted = [n for n in names if cal.weights.get(n, 0.0) < 0]
    assert len(fitted) >= 3, cal.weights
    clean = Features(0.97, 1.0, True, 11, FieldKind.NAME)
    assert cal.predict(clean) >= 0.9  # a clean, well-supported read of a name
    for n in fitted:  # each kind of doubt with a weight lowers it
        assert cal.predict(replace(clean, **{n: 1.0})) < cal.predict(clean) - 0.005, n
    # a column whose cells all show ink across their walls is not trusted at 0.9
    assert cal.predict(replace(clean, edge_ink=1.0, column_doubt=1.0)) < 0.9
    # the chooser passes the crop's evidence through
    alts = [Alternative("Lò Văn Hùng", 0.97)]
    sure = choose_reading("nksHoTen", FieldKind.NAME, alts, "htr")
    off = choose_reading("nksHoTen", FieldKind.NAME, alts, "htr",
                         evidence=LayoutEvidence(edge_ink=1.0, column_doubt=1.0))
    assert sure.confidence >= 0.9 > off.confidence
    year_as_name = choose_reading("meHoTen", FieldKind.NAME, [Alternative("1978", 0.97)], "htr")
    assert year_as_name.confidence < 0.5


def test_oracle_reads_the_generators_exact_boxes():
    sys.path.insert(0, str(BENCH))
    try:
        from read_oracle import oracle_segmented
    finally:
        sys.path.remove(str(BENCH))
    page = _page("two-level", 5)
    seg = oracle_segmented(page.image, page.truth, TPL)
    assert len(seg.crops) == len(page.truth["entries"]) * len(TPL.fields)
    written = [c for c in seg.crops if not c.empty]
    assert len(written) == sum(len(e["fields"]) for e in page.truth["entries"])
    assert np.median([crop_evidence(c.image).edge_ink for c in written]) < 0.05

    seen: set = set()

    def script(crop, i):  # a wrapped value is read line by line: the first line says it all
        if (crop.field, crop.bbox) in seen:
            return None
        seen.add((crop.field, crop.bbox))
        return (truth_text(page.truth, crop), 0.9)

    cells = read_cells(FakeEngine(script=script), seg.crops)
    pred = assemble(seg, choose_cells(cells, page.truth["book"]["year"])).reading.to_json()
    pairs = pairs_from_page(page.truth, pred, TPL)
    assert len(pairs) == len(written) and np.mean([p.correct for p in pairs]) > 0.97


def test_held_out_families_never_fit_the_map():
    sys.path.insert(0, str(BENCH))
    try:
        import bench_read
    finally:
        sys.path.remove(str(BENCH))
    ev, fit = bench_read.layout_sets("held-out", None)
    assert set(ev) == set(HELD_OUT) and not set(fit) & set(HELD_OUT) and "default" in fit
    with pytest.raises(SystemExit, match="held-out"):
        bench_read.plan(2, ev, (HELD_OUT[0],))
    specs = bench_read.plan(2, ev, fit)
    assert all(s.layout not in HELD_OUT for s in specs if s.half == "fit")
    assert {s.layout for s in specs if s.half == "eval"} <= set(HELD_OUT)
    note = default_calibration().note  # "... FIT pages (layouts a, b, c; ...) ..."
    fitted_on = note.split("(layouts ", 1)[1].split(";", 1)[0]
    assert "default" in fitted_on and not any(name in fitted_on for name in HELD_OUT), note
