"""Recognition accuracy per field kind and engine on generated pages, lexicon choice against the
engine's top-1, calibration of the final confidence, and seconds per page on one core.

Pages come from ``sohoa.synth.generate_page`` with the ``bench`` handwriting fonts (used by no
test and no training) and seeds 700000+ (FIT half) and 750000+ (EVAL half), easy and hard,
cycling the ks/kt/kh templates. Each page is segmented once; every engine reads the same crops
and its n-best per crop is kept (and cached with ``--cache``), so all comparisons are paired:

- per kind: CER and exact rate of the pipeline's reading (``choose_reading``) per engine;
- CER with lexicon choice / CER of the engine's top-1 text parsed alone;
- the confidence map is refitted on the FIT half (per engine; the shipped map on the
  ``--ship`` engines' output); every figure is on the EVAL half: share of fields at confidence
  >= 0.9 and their exact rate, ECE over read fields under the map in use at start, the
  engine's own refit and the shipped refit;
- seconds per page (generation excluded): segmentation + engine + choice, one thread
  (torch/OpenCV/Tesseract), CPU seconds and wall seconds;
- the ORACLE: the same engine and choice on crops cut at the generator's exact cell boxes
  (``read_oracle.py``); end-to-end CER / oracle CER is what segmentation loses.

Layouts (``sohoa.synth.families``): ``--layouts default`` (the original layout, as before) or
``--layouts held-out`` (EVAL half on the held-out families only, FIT half on the default
layout and the training families: no map is ever fitted on a held-out family), or a list.

    .venv/bin/python benchmarks/bench_read.py [--quick] [--pages 6] [--tesseract-pages 2]
        [--engines tesseract,htr] [--htr DIR] [--trocr DIR] [--cache DIR]
        [--ship htr,tesseract] [--save-calibration] [--layouts held-out] [--fit-pages N]
        [--use-shipped] [--no-oracle]

Prints Markdown, writes ``benchmarks/results/read.json`` (``--save-calibration``: the map too).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from read_stages import StageRow, stage_markdown, stage_rows, stage_table

from sohoa.evaluation import (
    FieldPair,
    expected_calibration_error,
    pairs_from_page,
    reliability_bins,
    summarize,
)
from sohoa.fields.calibration import (
    ACCEPT_PRECISION,
    ENGINE_FEATURES,
    Calibration,
    CalibrationError,
    default_calibration,
    kept_doubt,
)
from sohoa.fields.calibration_fit import (
    CellRead,
    LabelledPair,
    cell_features,
    choose_cells,
    fit_labelled,
    labelled_pairs,
    raw_choices,
    read_cells,
    recalibrated,
    top1_cells,
)
from sohoa.fields.calibration_seg import LayoutEvidence
from sohoa.records import Alternative, FieldKind
from sohoa.synth import HELD_OUT

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "read.json"
SHIPPED = ROOT / "sohoa" / "data" / "calibration.json"
TEMPLATES = ("ks-2006", "kt-2006", "kh-2006")
SEED0 = {"fit": 700_000, "eval": 750_000}
DIFFICULTIES = ("easy", "hard")
FONT_SEED = 100_000  # seed offset of each further font role's pages (--fit-fonts/--eval-fonts)
CELLS_VERSION = "lines-3"  # how n-best per crop is built (wrapped values read line by line)


@dataclass(frozen=True)
class PageSpec:
    half: str
    difficulty: str
    template: str
    seed: int
    layout: str = "default"
    fonts: str = "bench"  # the handwriting font role (sohoa.synth.fonts.ROLES)

    @property
    def key(self) -> str:
        tail = "" if self.layout == "default" else f"-{self.layout}"
        tail += "" if self.fonts == "bench" else f"-{self.fonts}"
        return f"{self.template}-{self.difficulty}-{self.seed}{tail}"


@dataclass(frozen=True)
class EngineSpec:
    label: str
    name: str
    options: tuple[tuple[str, str], ...] = ()

    def fingerprint(self, engine: Any) -> str:
        """Engine name plus the model folder it loaded and its files' hash (cache key)."""
        parts = [self.name, CELLS_VERSION]
        folder = getattr(engine, "model_dir", None)
        if folder is not None and Path(folder).is_dir():
            h = hashlib.sha1()
            for f in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
                h.update(f.name.encode() + f.read_bytes())
            parts.append(f"{Path(folder).resolve()}:{h.hexdigest()}")
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class PageRun:
    """One engine on one page: labelled pairs (choice), top-1 pairs, and timings."""

    spec: PageSpec
    engine: str
    chosen: tuple[LabelledPair, ...]
    top1: tuple[FieldPair, ...]
    cpu_s: float
    wall_s: float
    split_cpu_s: tuple[float, float, float] = (0.0, 0.0, 0.0)  # segment, engine, choose
    oracle: tuple[FieldPair, ...] = ()  # the same engine on the generator's cell boxes
    stages: tuple[StageRow, ...] = ()  # each true field's stage (read_stages)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (tesseract runs as a child)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def one_core() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # tesseract
    import cv2

    cv2.setNumThreads(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def plan(pages: int, layouts: tuple[str, ...] = ("default",),
         fit_layouts: tuple[str, ...] = ("default",), fit_pages: int | None = None,
         fit_fonts: tuple[str, ...] = ("bench",), eval_fonts: tuple[str, ...] = ("bench",)
         ) -> list[PageSpec]:
    """FIT and EVAL pages per difficulty, cycling templates and layout families; each font
    role of a half gets its own run of pages (a page with another role gets seeds 100000 on,
    so no two pages of a half share a book)."""
    from sohoa.synth import HELD_OUT

    if set(fit_layouts) & set(HELD_OUT):
        bad = sorted(set(fit_layouts) & set(HELD_OUT))
        raise SystemExit(f"held-out families never fit a map: {bad}")
    out = []
    todo = {"fit": (fit_layouts, pages if fit_pages is None else fit_pages, fit_fonts),
            "eval": (layouts, pages, eval_fonts)}
    for half, seed0 in SEED0.items():
        fams, n, roles = todo[half]
        for r_i, role in enumerate(roles):
            for d_i, diff in enumerate(DIFFICULTIES):
                for i in range(n):
                    out.append(PageSpec(half, diff, TEMPLATES[i % len(TEMPLATES)],
                                        seed0 + FONT_SEED * r_i + 1000 * d_i + i,
                                        fams[i % len(fams)], role))
    return out


def load_engines(specs: list[EngineSpec]) -> dict[str, Any]:
    from ocr import EngineUnavailable, get_engine

    out = {}
    for s in specs:
        try:
            out[s.label] = get_engine(s.name, device="cpu", **dict(s.options))
        except EngineUnavailable as exc:
            print(f"skipping {s.label}: {exc}", file=sys.stderr)
    return out


def _signature(crops) -> list[list[Any]]:
    """Each crop's field, box and a hash of its pixels: a cached reading is only reused for
    the very same crop."""
    return [[c.field, list(c.bbox), hashlib.sha1(c.image.tobytes()).hexdigest()[:12],
             round(float(getattr(c, "layout_residual", 0.0)), 4)] for c in crops]


def cached_cells(path: Path | None, crops) -> tuple[list[CellRead], float, float] | None:
    if path is None or not path.exists():
        return None
    data = json.loads(path.read_text("utf-8"))
    if data["crops"] != _signature(crops):
        return None  # segmentation or cropping changed since: read again
    cells = [CellRead(c["field"], FieldKind(c["kind"]), tuple(c["bbox"]), c["engine"],
                      tuple(Alternative(t, p) for t, p in c["cands"]), c["empty"],
                      LayoutEvidence.from_json(c.get("evidence")))
             for c in data["cells"]]
    return cells, data["cpu_s"], data["wall_s"]


def save_cells(path: Path | None, crops, cells: list[CellRead], cpu_s: float, wall_s: float):
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "crops": _signature(crops), "cpu_s": cpu_s, "wall_s": wall_s,
        "cells": [{"field": c.field, "kind": str(c.kind), "bbox": list(c.bbox),
                   "engine": c.engine, "empty": c.empty,
                   "evidence": c.evidence.to_json() if c.evidence else None,
                   "cands": [[a.text, a.confidence] for a in c.candidates]} for c in cells],
    }, ensure_ascii=False), "utf-8")


def _cells(engine: Any, crops, path: Path | None) -> tuple[list[CellRead], float, float]:
    hit = cached_cells(path, crops)
    if hit is not None:
        return hit
    c0, w0 = cpu_seconds(), time.perf_counter()
    cells = read_cells(engine, crops)
    e_cpu, e_wall = cpu_seconds() - c0, time.perf_counter() - w0
    save_cells(path, crops, cells, e_cpu, e_wall)
    return cells, e_cpu, e_wall


def oracle_pairs(page, tpl, engine: Any, path: Path | None, label: str, book: str
                 ) -> tuple[tuple[FieldPair, ...], dict[str, Any]]:
    """The engine on the generator's exact cell boxes, chosen and assembled as end to end."""
    from read_oracle import oracle_segmented

    from sohoa.pipeline import assemble

    seg = oracle_segmented(page.image, page.truth, tpl)
    cells, _, _ = _cells(engine, seg.crops, path)
    chosen = assemble(seg, choose_cells(cells, page.truth["book"]["year"])).reading.to_json()
    return tuple(pairs_from_page(page.truth, chosen, tpl, engine=label, book=book)), chosen


def run_page(spec: PageSpec, engines: dict[str, Any], fps: dict[str, str],
             cache: Path | None, tess_pages: int, oracle: bool = True) -> list[PageRun]:
    from sohoa.pipeline import assemble, segment_image
    from sohoa.synth import generate_page
    from sohoa.template import load_template

    tpl = load_template(spec.template)
    page = generate_page(tpl, spec.seed, spec.difficulty, font_role=spec.fonts,
                         layout=spec.layout)
    truth, year = page.truth, page.truth["book"]["year"]
    c0, w0 = cpu_seconds(), time.perf_counter()
    seg = segment_image(page.image, tpl, name=spec.key)
    seg_cpu, seg_wall = cpu_seconds() - c0, time.perf_counter() - w0
    out = []
    layout = None
    for label, engine in engines.items():
        if label == "tesseract" and (spec.seed % 1000) >= tess_pages:
            continue
        path = cache / f"{spec.key}-{fps[label]}.json" if cache else None
        cells, e_cpu, e_wall = _cells(engine, seg.crops, path)
        orc: tuple[FieldPair, ...] = ()
        orc_json = None
        if oracle and spec.half == "eval" and page.truth["entries"]:
            o_path = cache / f"{spec.key}-{fps[label]}-oracle.json" if cache else None
            orc, orc_json = oracle_pairs(page, tpl, engine, o_path, label, spec.difficulty)
        c0, w0 = cpu_seconds(), time.perf_counter()
        raw = choose_cells(cells, year)
        chosen = assemble(seg, raw).reading.to_json()
        ch_cpu, ch_wall = cpu_seconds() - c0, time.perf_counter() - w0
        feats = cell_features(cells, seg.crop_entry, year)
        lps = labelled_pairs(truth, chosen, tpl, feats, engine=label, book=spec.difficulty,
                             raw=raw_choices(raw, seg.crop_entry))
        top = assemble(seg, top1_cells(cells, year)).reading.to_json()
        top_pairs = pairs_from_page(truth, top, tpl, engine=label, book=spec.difficulty)
        stages: tuple[StageRow, ...] = ()
        if orc_json is not None:
            if layout is None:  # the boxes segment_image cut from (deterministic), untimed
                from preprocessing import analyze_page

                layout = analyze_page(page.image, tpl)
            stages = tuple(stage_rows(truth, layout, chosen, orc_json, tpl))
        out.append(PageRun(spec, label, tuple(lps), tuple(top_pairs),
                           seg_cpu + e_cpu + ch_cpu, seg_wall + e_wall + ch_wall,
                           (seg_cpu, e_cpu, ch_cpu), orc, stages))
    return out


def fit(runs: list[PageRun], engines: set[str], note: str,
        accept_precision: float | None = ACCEPT_PRECISION,
        at_most: dict[str, float] | None = None) -> Calibration | None:
    lps = [lp for r in runs if r.spec.half == "fit" and r.engine in engines for lp in r.chosen]
    try:
        return fit_labelled(lps, note=note, accept_precision=accept_precision, at_most=at_most)
    except CalibrationError as exc:
        print(f"no calibration fit for {sorted(engines)}: {exc}", file=sys.stderr)
        return None


def figures(runs: list[PageRun], cal: Calibration | None) -> dict[str, Any]:
    """EVAL-half figures of one engine (and difficulty) under ``cal`` (None: map at start)."""
    lps = [lp for r in runs for lp in r.chosen]
    pairs = recalibrated(lps, cal) if cal else [lp.pair for lp in lps]
    s = summarize(pairs)
    read = [p for p in pairs if p.predicted]
    top = summarize([p for r in runs for p in r.top1])
    at90 = next(a for a in s.auto_accept if a[0] == 0.9)
    orc_pairs = [p for r in runs for p in r.oracle]
    orc = summarize(orc_pairs).overall if orc_pairs else None
    kinds = {}
    for k, g in s.groups["kind"].items():
        t = top.groups["kind"][k]
        kinds[k] = {"n": g.n, "cer": g.cer, "exact": g.exact, "top1_cer": t.cer,
                    "top1_exact": t.exact, "lexicon_ratio": g.cer / t.cer if t.cer else None}
    return {
        "pages": len({r.spec.key for r in runs}), "fields": s.overall.n,
        "cer": s.overall.cer, "exact": s.overall.exact, "top1_cer": top.overall.cer,
        "top1_exact": top.overall.exact,
        "oracle_cer": orc.cer if orc else None, "oracle_exact": orc.exact if orc else None,
        "oracle_fields": orc.n if orc else 0,
        "e2e_over_oracle": (s.overall.cer / orc.cer) if orc and orc.cer else None,
        "lexicon_ratio": s.overall.cer / top.overall.cer if top.overall.cer else None,
        "share_at_0.9": at90[1], "exact_at_0.9": at90[2] if at90[1] else None,
        "auto_accept": [{"threshold": t, "share": sh, "exact": a if sh else None}
                        for t, sh, a in s.auto_accept],
        "ece": expected_calibration_error([p.confidence for p in read],
                                          [p.correct for p in read]),
        "ece_all_fields": s.ece, "read_fields": len(read),
        "reliability_read": [{"low": lo, "confidence": c, "accuracy": a, "count": n}
                             for lo, c, a, n in reliability_bins(
                                 [p.confidence for p in read], [p.correct for p in read])],
        "reliability": s.to_json()["calibration"]["bins"], "kinds": kinds,
        "stages": stage_table([st for r in runs for st in r.stages]) if orc_pairs else None,
        "confident_mistakes": [
            {"kind": p.kind, "field": p.field, "truth": p.truth, "read": p.predicted,
             "confidence": p.confidence} for p in read if p.confidence >= 0.9 and not p.correct],
        "cpu_s_per_page": sum(r.cpu_s for r in runs) / len(runs),
        "wall_s_per_page": sum(r.wall_s for r in runs) / len(runs),
        "cpu_s_per_page_split": {
            part: sum(r.split_cpu_s[i] for r in runs) / len(runs)
            for i, part in enumerate(("segment", "engine", "choose"))},
    }


def report(runs: list[PageRun], own: dict[str, Calibration | None], ship: Calibration | None
           ) -> dict[str, Any]:
    """Per engine: easy, hard, all, and the pages tesseract read too (like-for-like)."""
    tess = {r.spec.key for r in runs if r.engine == "tesseract" and r.spec.half == "eval"}
    out: dict[str, Any] = {}
    for eng in sorted({r.engine for r in runs}):
        ev = [r for r in runs if r.engine == eng and r.spec.half == "eval"]
        groups = {d: [r for r in ev if d in ("all", r.spec.difficulty)]
                  for d in (*DIFFICULTIES, "all")}
        sub = [r for r in ev if r.spec.key in tess]
        if eng != "tesseract" and sub and len(sub) < len(ev):
            groups["tesseract pages"] = sub
        for name, sel in groups.items():
            if sel:
                f = figures(sel, ship)
                start = figures(sel, None)
                f["ece_start_map"] = start["ece"]
                # what the product does with the map it ships (each run's refit lets a
                # different share through, so a model is also judged at the same map)
                sure = round(start["share_at_0.9"] * start["fields"])
                exact = start["exact_at_0.9"]  # None when no field reaches 0.9
                f["start_map_at_0.9"] = {
                    "share": start["share_at_0.9"], "exact": exact,
                    "fields_at_0.9": sure, "fields": start["fields"],
                    "wrong_let_through": 0 if exact is None else round(sure * (1 - exact))}
                f["ece_own_refit"] = figures(sel, own[eng])["ece"] if own.get(eng) else None
                out.setdefault(eng, {})[name] = f
    return out


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def markdown(res: dict[str, Any]) -> str:
    engines = sorted(res)
    kinds = sorted({k for e in engines for k in res[e]["all"]["kinds"]})
    lines = ["| kind | " + " | ".join(f"{e} CER % | {e} exact % | {e} CER lex/top-1"
                                      for e in engines) + " |",
             "|---|" + "---|---|---|" * len(engines)]
    for k in kinds:
        cells = []
        for e in engines:
            g = res[e]["all"]["kinds"].get(k)
            ratio = "–" if not g or g["lexicon_ratio"] is None else f"{g['lexicon_ratio']:.2f}"
            cells += [pct(g["cer"]), pct(g["exact"]), ratio] if g else ["–", "–", "–"]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines += ["", "| engine | pages | fields | CER % | exact % | oracle CER % | "
              "CER e2e/oracle | CER lexicon/top-1 | "
              "share ≥0.9 % | exact ≥0.9 % | ECE start map | ECE own refit | ECE shipped | "
              "CPU s/page | wall s/page |", "|---|" + "---|" * 14]
    for e in engines:
        for d, f in res[e].items():
            ratio = "–" if f["lexicon_ratio"] is None else f"{f['lexicon_ratio']:.2f}"
            own = "–" if f["ece_own_refit"] is None else f"{f['ece_own_refit']:.3f}"
            o_ratio = "–" if f["e2e_over_oracle"] is None else f"{f['e2e_over_oracle']:.2f}"
            lines.append(
                f"| {e} {d} | {f['pages']} | {f['fields']} | {pct(f['cer'])} | {pct(f['exact'])}"
                f" | {pct(f['oracle_cer'])} | {o_ratio}"
                f" | {ratio} | {pct(f['share_at_0.9'])} | {pct(f['exact_at_0.9'])} | "
                f"{f['ece_start_map']:.3f} | {own} | {f['ece']:.3f} | "
                f"{f['cpu_s_per_page']:.1f} | {f['wall_s_per_page']:.1f} |")
    for e in engines:
        for d, f in res[e].items():
            if f.get("stages") and d != "tesseract pages":
                lines += [""] + stage_markdown(f"{e} {d}", f["stages"])
    lines += ["", "Reliability (EVAL half, shipped map, read fields): confidence bin -> "
              "fields, mean confidence, exact rate", "",
              "| bin | " + " | ".join(f"{e} n | {e} conf | {e} exact" for e in engines) + " |",
              "|---|" + "---|---|---|" * len(engines)]
    for b in range(10):
        cells = []
        for e in engines:
            got = [x for x in res[e]["all"]["reliability_read"] if round(x["low"] * 10) == b]
            cells += ([str(got[0]["count"]), f"{got[0]['confidence']:.2f}",
                       f"{got[0]['accuracy']:.2f}"] if got else ["0", "–", "–"])
        lines.append(f"| {b / 10:.1f}-{(b + 1) / 10:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def keep_unfitted_engines(ship: Calibration, start: Calibration, ship_from: set[str]
                          ) -> Calibration:
    """A map fitted without Tesseract readings has no Tesseract terms (they would be 0 and
    the pipeline's Tesseract fallback would be read as htr): keep the start map's."""
    if "tesseract" in ship_from:
        return ship
    kept = {n: start.weights.get(n, 0.0) for n in ENGINE_FEATURES}
    return replace(ship, weights={**ship.weights, **kept})


def layout_sets(layouts: str, fit_layouts: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from sohoa.synth import HELD_OUT, TRAINING

    ev = HELD_OUT if layouts == "held-out" else tuple(x for x in layouts.split(",") if x)
    if fit_layouts is None:
        fit = ("default",) if ev == ("default",) else ("default", *TRAINING)
    else:
        fit = tuple(x for x in fit_layouts.split(",") if x)
    return tuple(ev), fit


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 page per half and difficulty")
    ap.add_argument("--pages", type=int, default=6, help="pages per half and difficulty")
    ap.add_argument("--tesseract-pages", type=int, default=2,
                    help="tesseract reads only the first N pages of each half and difficulty "
                         "(it takes ~50 s a page on a busy core)")
    ap.add_argument("--engines", default="tesseract,htr")
    ap.add_argument("--htr", type=Path, help="htr model folder (default: the shipped model)")
    ap.add_argument("--trocr", type=Path, help="a TrOCR checkpoint folder to compare too")
    ap.add_argument("--cache", type=Path, help="folder caching each engine's n-best per page")
    ap.add_argument("--ship", default="htr,tesseract",
                    help="engines whose FIT-half output the shipped map is fitted on (one map "
                         "serves every engine: the pipeline reads with htr, falls back to "
                         "tesseract)")
    ap.add_argument("--free-doubt", action="store_true",
                    help="refit without keeping the start map's valid-rival weight "
                         "(the fit of sessions before 39)")
    ap.add_argument("--save-calibration", action="store_true",
                    help=f"write the shipped map to {SHIPPED.relative_to(ROOT)}")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--layouts", default="default",
                    help="EVAL-half layout families: default, held-out, or a comma list")
    ap.add_argument("--fit-layouts", default=None,
                    help="FIT-half families (default: 'default' for --layouts default, else "
                         "default plus every training family; never a held-out one)")
    ap.add_argument("--fit-pages", type=int, default=None,
                    help="FIT pages per difficulty (default: --pages)")
    ap.add_argument("--use-shipped", action="store_true",
                    help="report under the shipped map instead of one fitted on the FIT half")
    ap.add_argument("--no-oracle", action="store_true", help="skip the oracle reading")
    ap.add_argument("--fit-fonts", default="bench",
                    help="handwriting font roles of the FIT half, comma list (each role its "
                         "own --fit-pages pages per difficulty): 'bench,test' also fits the map "
                         "on hands the recogniser reads worse (sohoa.synth.fonts)")
    ap.add_argument("--eval-fonts", default="bench", help="font roles of the EVAL half")
    ap.add_argument("--accept-precision", type=float, default=ACCEPT_PRECISION,
                    help="exact rate the fitting fields must reach from the map's output "
                         "moved onto 0.9 (sohoa.fields.calibration.accept_point; 0: no guard)")
    args = ap.parse_args()
    pages = 1 if args.quick else args.pages
    tess_pages = 1 if args.quick else args.tesseract_pages
    one_core()
    specs = [EngineSpec(n, n, (("model_dir", str(args.htr)),) if n == "htr" and args.htr else ())
             for n in args.engines.split(",") if n]
    if args.trocr:
        specs.append(EngineSpec("trocr", "trocr", (("model_dir", str(args.trocr)),)))
    engines = load_engines(specs)
    if not engines:
        print("no engine available", file=sys.stderr)
        return 2
    fps = {s.label: s.fingerprint(engines[s.label]) for s in specs if s.label in engines}
    runs: list[PageRun] = []
    layouts, fit_layouts = layout_sets(args.layouts, args.fit_layouts)
    fit_pages = 1 if args.quick else args.fit_pages
    fit_fonts = tuple(f for f in args.fit_fonts.split(",") if f)
    eval_fonts = tuple(f for f in args.eval_fonts.split(",") if f)
    todo = plan(pages, layouts, fit_layouts, fit_pages, fit_fonts, eval_fonts)
    t0 = time.perf_counter()
    for i, spec in enumerate(todo, 1):
        runs += run_page(spec, engines, fps, args.cache, tess_pages, not args.no_oracle)
        print(f"[{i}/{len(todo)}] {spec.half} {spec.key} {time.perf_counter() - t0:.0f} s",
              file=sys.stderr, flush=True)
    accept = args.accept_precision or None
    # the refit keeps the start map's valid-rival weight (kept_doubt); --free-doubt: as
    # before session 39, every doubt weight only held <= 0
    bounds = None if args.free_doubt else kept_doubt(default_calibration())
    own = {e: fit(runs, {e}, f"{e} FIT half", accept, bounds) for e in engines}
    ship_from = {e for e in args.ship.split(",") if e in engines} or {next(iter(engines))}
    fit_pages = sorted({r.spec.key for r in runs if r.spec.half == "fit"
                        and r.engine in ship_from})
    ship = (default_calibration() if args.use_shipped
            else fit(runs, ship_from, "", accept, bounds))
    if ship is not None and not args.use_shipped:
        ship = keep_unfitted_engines(ship, default_calibration(), ship_from)
    res = report(runs, own, ship)
    text = markdown(res)
    print(text)
    meta = {"pages_per_half_difficulty": pages, "tesseract_pages": tess_pages,
            "engines": {label: str(getattr(e, "model_dir", "") or label)
                        for label, e in engines.items()},
            "seeds": SEED0, "templates": TEMPLATES, "font_role": "bench",
            "fit_fonts": list(fit_fonts), "eval_fonts": list(eval_fonts),
            "layouts": list(layouts), "fit_layouts": list(fit_layouts),
            "map": "shipped" if args.use_shipped else "fitted on the FIT half",
            "doubt_bounds": bounds or {},
            "ship_from": sorted(ship_from), "fit_pages": fit_pages,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs shared with other jobs",
            "threads": 1, "seconds": round(time.perf_counter() - t0, 1),
            "start_map": default_calibration().note}
    shipped = None
    if ship is not None and not args.use_shipped:
        ece_eval = {e: res[e]["all"]["ece"] for e in ship_from if e in res}
        ship = replace(ship, note=(
            f"fitted by benchmarks/bench_read.py on {'+'.join(sorted(ship_from))} n-best of "
            f"{len(fit_pages)} generated FIT pages (layouts {', '.join(fit_layouts)}; "
            f"{'+'.join(fit_fonts)} fonts, seeds {SEED0['fit']}+), "
            f"{ship.n_samples} fields; ECE on the EVAL half: "
            + ", ".join(f"{e} {v:.3f}" for e, v in sorted(ece_eval.items()))
            + f" (EVAL layouts {', '.join(layouts)}); held out (never fitted): "
            + ", ".join(HELD_OUT)
            + ("".join(f"; {n} weight kept at the start map's {w}" for n, w in bounds.items())
               if bounds else "")
            + ("" if "tesseract" in ship_from else
               "; Tesseract terms kept from the previous map (no Tesseract readings here)")))
        shipped = json.loads(ship.to_json())
        if args.save_calibration:
            ship.save(SHIPPED)
            print(f"\nsaved {SHIPPED.relative_to(ROOT)}: {ship.note}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": res, "shipped_map": shipped,
                                    "saved": bool(args.save_calibration and ship)},
                                   ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
