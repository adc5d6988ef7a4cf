"""The read benchmark's building blocks on real generated pages with scripted engines: the
paired lexicon-vs-top-1 comparison, the calibration fit on one page judged on another, and
the ``sohoa read`` contract printed for one page."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from read_helpers import read_page, segmented_page
from typer.testing import CliRunner

from sohoa.evaluation import expected_calibration_error, pairs_from_page, summarize
from sohoa.fields.calibration import Calibration
from sohoa.fields.calibration_fit import (
    cell_features,
    choose_cells,
    fit_labelled,
    labelled_pairs,
    raw_choices,
    recalibrated,
    samples_of,
    top1_cells,
)
from sohoa.pipeline import assemble
from sohoa.template import load_template

ROOT = Path(__file__).resolve().parent.parent


def corrupt(text: str) -> str:
    """A misreading: the last character replaced (digits and codes no longer parse)."""
    return text[:-1] + "x" if len(text) > 1 else text + "x"


def lexicon_script(crop, written: str):
    if not written:
        return None
    return (corrupt(written), 0.55, [(written, 0.35)])


def test_lexicon_choice_vs_top1_is_paired_and_helps():
    page, seg, cells, year = read_page(424242, lexicon_script)
    tpl = load_template("ks-2006")
    chosen = assemble(seg, choose_cells(cells, year)).reading.to_json()
    top = assemble(seg, top1_cells(cells, year)).reading.to_json()
    lps = labelled_pairs(page.truth, chosen, tpl, cell_features(cells, seg.crop_entry, year),
                         engine="fake")
    top_pairs = pairs_from_page(page.truth, top, tpl, engine="fake")
    # paired: the very same truth fields on both sides
    assert Counter((p.field, p.truth) for p in top_pairs) == \
        Counter((lp.pair.field, lp.pair.truth) for lp in lps)
    assert len(top_pairs) > 80
    s_chosen, s_top = summarize([lp.pair for lp in lps]), summarize(top_pairs)
    assert s_chosen.overall.cer < 0.7 * s_top.overall.cer
    assert s_chosen.overall.exact > s_top.overall.exact + 0.3
    # a corrupted date, year or name loses to the written one among the candidates
    for kind in ("date", "year", "name", "sex"):
        assert s_chosen.groups["kind"][kind].exact == 1.0, kind
        assert s_top.groups["kind"][kind].exact < 0.8, kind
    # every read field carries the features of what was chosen; unread ones none
    assert all((lp.features is None) == (not lp.pair.predicted) for lp in lps)


def noisy_script(seed: int):
    rng = np.random.default_rng(seed)

    def script(crop, written: str):
        if not written:
            return None
        if rng.random() < 0.6:
            return (written, float(rng.uniform(0.45, 1.0)))
        return (corrupt(written), float(rng.uniform(0.0, 0.75)))
    return script


def labelled(seed: int):
    page, seg, cells, year = read_page(seed, noisy_script(seed))
    tpl = load_template("ks-2006")
    raw = choose_cells(cells, year)
    chosen = assemble(seg, raw).reading.to_json()
    feats = cell_features(cells, seg.crop_entry, year)
    return page, seg, cells, year, labelled_pairs(page.truth, chosen, tpl, feats, engine="fake",
                                                  raw=raw_choices(raw, seg.crop_entry))


def test_calibration_fit_on_one_page_is_calibrated_on_another(tmp_path):
    *_, fit_pairs = labelled(424242)
    page, seg, cells, year, eval_pairs = labelled(424243)
    samples = samples_of(fit_pairs)
    assert len(samples) > 60 and 0.3 < np.mean([s.correct for s in samples]) < 0.9
    cal = fit_labelled(fit_pairs, note="test")
    assert cal.weights["logit_conf"] > 0  # more engine mass, more often right
    refit = recalibrated(eval_pairs, cal)
    read = [p for p in refit if p.predicted]
    ece = expected_calibration_error([p.confidence for p in read], [p.correct for p in read])
    bad = Calibration({"logit_conf": -1.0}, 2.0)
    ece_bad = expected_calibration_error(
        [p.confidence for p in recalibrated(eval_pairs, bad) if p.predicted],
        [p.correct for p in read])
    assert ece < 0.12 and ece < ece_bad / 2, (ece, ece_bad)
    # what the benchmark reports is what the pipeline gives with that map
    tpl = load_template("ks-2006")
    piped = pairs_from_page(page.truth, assemble(seg, choose_cells(cells, year, cal))
                            .reading.to_json(), tpl, engine="fake")
    assert [p.confidence for p in piped] == [p.confidence for p in refit]
    cal.save(tmp_path / "c.json")
    assert Calibration.load(tmp_path / "c.json").weights == cal.weights


def test_sohoa_read_prints_the_contract(tmp_path, monkeypatch):
    import ocr
    from sohoa.cli import app

    monkeypatch.setitem(ocr.ENGINES, "fake", "read_helpers:KindEngine")
    page, seg = segmented_page(seed=424242)
    path = tmp_path / "page.png"
    Image.fromarray(page.image).save(path)
    res = CliRunner().invoke(app, ["read", str(path), "--template", "ks-2006",
                                   "--engine", "fake", "--json", "--year", "2008"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["page"] == str(path) and out["template"] == "ks-2006"
    assert abs(out["angle"] - page.truth["angle"]) < 1.0
    assert len(out["entries"]) == len(seg.entries) >= 5
    for e in out["entries"]:
        assert len(e["bbox"]) == 4 and e["bbox"][0] < e["bbox"][2]
        assert e["fields"], e
        for f in e["fields"].values():
            assert set(f) >= {"text", "value", "confidence"}
            assert 0.0 <= f["confidence"] <= 1.0
        if "nksGioiTinh" in e["fields"]:
            assert e["fields"]["nksGioiTinh"]["value"] == "1"  # "Nam" parsed to its code


@pytest.mark.slow
def test_bench_read_quick_runs(tmp_path):
    """The whole benchmark at its smallest size with tesseract (minutes on 2 busy cores)."""
    import subprocess

    out = tmp_path / "read.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks/bench_read.py"), "--quick",
                    "--engines", "tesseract", "--ship", "tesseract", "--out", str(out)],
                   check=True, timeout=1800)
    res = json.loads(out.read_text("utf-8"))
    f = res["results"]["tesseract"]["all"]
    assert f["fields"] > 50 and 0 <= f["ece"] <= 1 and f["lexicon_ratio"] is not None
    start = f["start_map_at_0.9"]  # what the shipped map lets through, whatever the refit
    assert start["fields"] == f["fields"]
    assert 0 <= start["wrong_let_through"] <= start["fields_at_0.9"] <= start["fields"]


def _htr_available() -> bool:
    from ocr import EngineUnavailable, get_engine

    try:
        get_engine("htr", device="cpu")
    except EngineUnavailable:
        return False
    return True


@pytest.mark.skipif(not _htr_available(), reason="no shipped htr model")
def test_sohoa_read_with_the_shipped_htr_model(tmp_path):
    """The real handwriting model on one page: the contract, calibrated confidences, and at
    least some fields read right (a broken model or a broken crop path reads nothing right)."""
    from sohoa.cli import app

    page, seg = segmented_page(seed=424242)
    path = tmp_path / "page.png"
    Image.fromarray(page.image).save(path)
    res = CliRunner().invoke(app, ["read", str(path), "--engine", "htr", "--device", "cpu",
                                   "--year", str(page.truth["book"]["year"])])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    tpl = load_template("ks-2006")
    pairs = pairs_from_page(page.truth, out, tpl)
    assert len(pairs) > 80
    fields = [f for e in out["entries"] for f in e["fields"].values()]
    assert all(0 <= f["confidence"] <= 1 for f in fields)
    assert summarize(pairs).overall.exact > 0.2


def test_a_misread_register_number_is_capped_in_the_pipeline_and_the_benchmark_alike():
    wrong: list[str] = []

    def script(crop, written: str):
        if not written:
            return None
        if crop.field == "so" and not wrong:  # the first number misread, confidently
            digits = "".join(ch for ch in written if ch.isdigit())
            wrong.append(str(int(digits) + 5))
            return (wrong[0], 0.99)
        return (written, 0.97)

    page, seg, cells, year = read_page(424244, script)
    tpl = load_template("ks-2006")
    raw = choose_cells(cells, year)
    chosen = assemble(seg, raw).reading.to_json()
    lps = labelled_pairs(page.truth, chosen, tpl, cell_features(cells, seg.crop_entry, year),
                         engine="fake", raw=raw_choices(raw, seg.crop_entry))
    capped = [lp for lp in lps if lp.cap is not None]
    assert [lp.pair.field for lp in capped] == ["so"]
    assert capped[0].pair.correct  # settled from its neighbours: the number that was written
    assert capped[0].pair.predicted != wrong[0]
    trusting = Calibration({"logit_conf": 1.0}, 3.0)  # would give ~1.0 to a 0.99 reading
    refit = recalibrated(lps, trusting)
    so = [p for p in refit if p.field == "so" and p.predicted]
    assert min(p.confidence for p in so) <= 0.8
    piped = pairs_from_page(page.truth, assemble(seg, choose_cells(cells, year, trusting))
                            .reading.to_json(), tpl, engine="fake")
    assert [p.confidence for p in piped] == [p.confidence for p in refit]


def test_numbers_confirmed_by_both_neighbours_are_raised_in_the_pipeline_and_benchmark_alike():
    def script(crop, written: str):
        if not written:
            return None
        return (written, 0.3 if crop.field == "so" else 0.97)  # numbers read with doubt

    page, seg, cells, year = read_page(424245, script)
    tpl = load_template("ks-2006")
    raw = choose_cells(cells, year)
    lps = labelled_pairs(page.truth, assemble(seg, raw).reading.to_json(), tpl,
                         cell_features(cells, seg.crop_entry, year), engine="fake",
                         raw=raw_choices(raw, seg.crop_entry))
    floored = [lp for lp in lps if lp.floor is not None]
    n_so = sum(1 for lp in lps if lp.pair.field == "so" and lp.pair.predicted)
    assert n_so >= 3 and len(floored) == n_so - 2  # all but the first and the last
    assert all(lp.pair.field == "so" and lp.pair.correct for lp in floored)
    doubting = Calibration({"logit_conf": 1.0}, -3.0)
    refit = recalibrated(lps, doubting)
    so = sorted((p for p in refit if p.field == "so" and p.predicted), key=lambda p: p.truth)
    assert sum(p.confidence >= 0.95 for p in so) == n_so - 2
    piped = pairs_from_page(page.truth, assemble(seg, choose_cells(cells, year, doubting))
                            .reading.to_json(), tpl, engine="fake")
    assert [p.confidence for p in piped] == [p.confidence for p in refit]
