"""Handwriting recognition on fonts no model trained on ("bench" role: playpen-sans, borel):
CER and exact match per field kind for our ``htr`` model, Tesseract and (optionally) a TrOCR
checkpoint, side by side on the same crops in one run; crops/s and peak memory.

Crop sets, all drawn here by ``sohoa.synth``:
- ``lines``: field values written by random bench-font hands, degraded like register cells;
- ``page``: single-line fields (names, dates, years, numbers, sex, ethnicity) cut by their
  ground-truth boxes from generated register pages (neighbouring ink, ruling, scan noise),
  from the grey the pipeline's field crops come from (red stamp ink faded, ``drop_red``);
- ``strokes``: field values written with pen strokes by held-out writers of the stroke
  synthesiser (``sohoa.synth.stroke_writer``: seeds from ``HELD_OUT_SEED0``, font families
  no training source uses), photographed, half of them degraded like register cells;
- ``names`` (asked for by ``--sets``): 600 names by the same held-out writers (another seed),
  ten times the strokes set's 60, which cannot tell a point's change (docs/htr.md "Name
  specialists").

crops/s is timed after each engine has read a warm-up set (``--warm-up``: 8 crops of each
kind by training-side writers, none of the measured ones): a throughput, as a batch of
thousands of crops sees it; the warm-up's own time (the engine's one-time start) is
reported beside it (``warm_up`` in the JSON; from session 35, rules-s35.md rule 64).

    .venv/bin/python benchmarks/bench_htr.py [--quick] [--model DIR] [--trocr DIR]
        [--sets lines,page,strokes] [--no-tesseract] [--seed S] [--per-kind N]

Prints a Markdown table and writes ``benchmarks/results/htr.json``. The adaptation curve (held-out
writers after 0-300 confirmed crops, ``sohoa adapt``) is ``benchmarks/bench_adapt.py``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from models.augment import degrade
from models.evaluate import score
from sohoa.records import FieldCrop, FieldKind, nfc
from sohoa.template import load_template

KINDS = ("name", "date", "year", "place", "number", "sex", "ethnicity", "relation")
PAGE_KINDS = {"name", "date", "year", "number", "sex", "ethnicity"}
OUT = Path(__file__).resolve().parent / "results" / "htr.json"


def _value_crops(per_kind: int, seed: int, write: Callable[[str, np.random.Generator, int],
                                                              np.ndarray],
                 kinds: tuple[str, ...] = KINDS) -> list[tuple[str, str, np.ndarray]]:
    """(kind, truth, grey crop): ``per_kind`` field values of each kind of the shipped
    templates, the i-th written by ``write(text, rng, i)``."""
    from sohoa.synth import sample_value

    rng = np.random.default_rng(seed)
    specs: dict[str, list] = defaultdict(list)
    for tid in ("ks-2006", "kt-2006", "kh-2006"):
        for f in load_template(tid).fields:
            specs[str(f.kind)].append(f)
    out: list[tuple[str, str, np.ndarray]] = []
    for kind in kinds:
        n = 0
        while n < per_kind:
            spec = specs[kind][int(rng.integers(len(specs[kind])))]
            v = sample_value(spec, rng)
            if v is None or not v.text.strip():
                continue
            out.append((kind, nfc(v.text), write(v.text, rng, len(out))))
            n += 1
    return out


def line_crops(per_kind: int, seed: int, font_role: str = "bench"
               ) -> list[tuple[str, str, np.ndarray]]:
    """(kind, truth, grey crop) written by bench-font hands (or another role's: "test" for
    choosing among a run's checkpoints, benchmarks/htr_select.py)."""
    from sohoa.synth import HandStyle, render_handwriting

    def write(text: str, rng: np.random.Generator, _: int) -> np.ndarray:
        style = HandStyle.sample(rng, font_role=font_role, size=float(rng.uniform(22, 40)))
        return degrade(render_handwriting(text, style, rng), rng)

    return _value_crops(per_kind, seed, write)


# training-side stroke writers for tuning (``--writers training``): training font families,
# seeds of the validation range that no training run drew (benchmarks/decode_tune.py)
TRAINING_WRITER_SEED0 = 930_000


def stroke_crops(per_kind: int, seed: int, writers: int = 60, held_out: bool = True,
                 kinds: tuple[str, ...] = KINDS) -> list[tuple[str, str, np.ndarray]]:
    """(kind, truth, grey crop) written by ``writers`` held-out stroke writers in turn (or
    training-side ones, for tuning, with ``held_out=False``)."""
    from models.data import stroke_line
    from sohoa.synth.stroke_writer import HELD_OUT_SEED0

    seed0 = HELD_OUT_SEED0 if held_out else TRAINING_WRITER_SEED0

    def write(text: str, rng: np.random.Generator, i: int) -> np.ndarray:
        w = seed0 + i % writers
        return stroke_line(text, rng, (w, w + 1), (22.0, 40.0))

    return _value_crops(per_kind, seed, write, kinds)


def page_crops(pages: int, seed: int, font_role: str = "bench") -> list[tuple[str, str, np.ndarray]]:
    """Single-line field crops cut from generated pages by their truth boxes (+ margins)."""
    from preprocessing.clean import drop_red
    from sohoa.synth import generate_page

    out = []
    for i in range(pages):
        tid = ("ks-2006", "kt-2006", "kh-2006")[i % 3]
        kinds = {f.name: str(f.kind) for f in load_template(tid).fields}
        page = generate_page(tid, seed + i, "easy" if i % 2 == 0 else "hard",
                             font_role=font_role)
        grey = drop_red(page.image)  # as the pipeline's field crops (red stamp ink faded)
        for entry in page.truth["entries"]:
            for name, f in entry["fields"].items():
                kind = kinds.get(name, "text")
                if kind not in PAGE_KINDS or not f["text"].strip():
                    continue
                x0, y0, x1, y1 = f["bbox"]
                mh, mw = int((y1 - y0) * 0.15) + 2, 4
                crop = grey[max(0, y0 - mh): y1 + mh, max(0, x0 - mw): x1 + mw]
                # a two-line (wrapped) value is not a line crop: tall for its text length
                if crop.size and (y1 - y0) * len(f["text"]) < 3.0 * (x1 - x0):
                    out.append((kind, nfc(f["text"]), crop))
    return out


def _run(engine: Any, crops: list[tuple[str, str, np.ndarray]]) -> tuple[list[str], float]:
    """Recognise crops grouped by kind (one batch per kind, as the pipeline does); wall
    seconds returned, CPU seconds (all threads) left in ``_run.cpu``."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, (k, _, _) in enumerate(crops):
        by_kind[k].append(i)
    preds = [""] * len(crops)
    t0, c0 = time.perf_counter(), time.process_time()
    for k, idx in by_kind.items():
        fc = [FieldCrop(f"f{i}", FieldKind(k), crops[i][2], (0, 0, 1, 1)) for i in idx]
        for i, r in zip(idx, engine.recognize(fc, FieldKind(k)), strict=True):
            preds[i] = r.text
    _run.cpu = time.process_time() - c0  # type: ignore[attr-defined]
    return preds, time.perf_counter() - t0


def _errors(crops: list[tuple[str, str, np.ndarray]], preds: list[str],
            per_kind: int) -> list[dict[str, str]]:
    """The first ``per_kind`` misreads of each kind (so one common kind does not hide the rest)."""
    out: list[dict[str, str]] = []
    seen: dict[str, int] = defaultdict(int)
    for (k, t, _), p in zip(crops, preds, strict=True):
        if p != t and seen[k] < per_kind:
            seen[k] += 1
            out.append({"kind": k, "truth": t, "read": p})
    return out


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# the input steps of models.preprocess, each switchable here: flag -> (module attribute, the
# product's default, what it does)
INPUT_STEPS = {
    "deslant": ("DESLANT", "on", "shear strongly slanted lines upright before reading"),
    "trim": ("TRIM", "on", "cut the paper above and below the writing before scaling"),
    "edge-pieces": ("TRIM_EDGE_PIECES", "off", "with --trim: also cut off a neighbouring "
                    "line's writing cut by the crop's top or bottom edge (the product does "
                    "it for whole line images only: sohoa evaluate --lines)"),
    "even-light": ("EVEN_LIGHT", "on", "even out uneven light over a crop"),
    "level-line": ("LEVEL_LINE", "on", "turn a line written or photographed at an angle "
                   "level"),
}


def _cached(folder: str | None, name: str, make: Callable[[], list[tuple[str, str, np.ndarray]]]
            ) -> list[tuple[str, str, np.ndarray]]:
    if folder is None:
        return make()
    path = Path(folder) / f"{name}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=True)
        return [(str(k), str(t), im) for k, t, im in
                zip(data["kinds"], data["texts"], data["images"], strict=True)]
    crops = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    images = np.empty(len(crops), dtype=object)
    images[:] = [c[2] for c in crops]
    np.savez_compressed(path, kinds=np.array([c[0] for c in crops]),
                        texts=np.array([c[1] for c in crops]), images=images)
    return crops


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small run (~1-2 min)")
    ap.add_argument("--model", default=None, help="htr model folder (default: the in-use one)")
    ap.add_argument("--trocr", default=None, help="a TrOCR checkpoint folder to compare")
    ap.add_argument("--beam", type=int, default=8)
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--per-kind", type=int, default=None,
                    help="crops of each kind in the lines and strokes sets (default 60, --quick "
                         "15; names ten times as many): a larger fresh draw than the standard "
                         "set, whose 60 a kind cannot tell a tenth of a point")
    ap.add_argument("--tesseract-max", type=int, default=None, help="crops given to tesseract")
    ap.add_argument("--sets", default="lines,page,strokes",
                    help="comma-separated crop sets: lines, page, strokes, and names (ten names "
                         "per --per-kind crop of the stroke writers, 600 by default: a set big "
                         "enough to tell a point's change)")
    ap.add_argument("--no-tesseract", action="store_true", help="leave Tesseract out")
    ap.add_argument("--out", default=None, help="results JSON (default: by the sets chosen)")
    ap.add_argument("--crops-cache", default=None,
                    help="folder keeping the drawn crops (.npz per set, seed and size) so that "
                         "several models are compared on the same crops without redrawing")
    ap.add_argument("--stretch", choices=("default", "on", "off"), default="default",
                    help="read cramped lines again stretched in width (ocr.htr STRETCH_*): "
                         "the engine's default, or forced on or off")
    for flag, (attr, default, what) in INPUT_STEPS.items():
        ap.add_argument(f"--{flag}", choices=("on", "off"), default=default,
                        help=f"{what} (models.preprocess.{attr}; default: the product's)")
    ap.add_argument("--shifted-names", choices=("on", "off"), default="on",
                    help="an unsure name crop also read one row lower by every network "
                         "(ocr.htr.SHIFTED_KINDS; default: the product's)")
    ap.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                    help="the htr engines' precision on the CPU (ocr.cpu_inference; auto: "
                         "bf16 where the CPU computes it natively)")
    ap.add_argument("--warm-up", type=int, default=8,
                    help="crops of each kind (training-side stroke writers, another seed: "
                         "none of the measured crops) each engine reads before it is timed, so "
                         "crops/s is a throughput; the warm-up's own time (the engine's first "
                         "reading: lexicon tries, gazetteer index, torch's first passes) is "
                         "reported beside it (0: time the first reading)")
    ap.add_argument("--writers", choices=("held-out", "training"), default="held-out",
                    help="stroke writers of the strokes set: held-out (measuring) or "
                         "training-side ones (tuning; seeds from TRAINING_WRITER_SEED0)")
    ap.add_argument("--engines", default="htr,htr-noLM,htr-greedy",
                    help="comma-separated: htr, htr-noLM, htr-greedy, htr-nopriors (names "
                         "and places decoded as before the lexicon/gazetteer priors), "
                         "htr-nofacilities (places without facility kinds and seats), "
                         "htr-novillages (places without the village-word candidates), "
                         "htr-nonumbers (numbers read without their prior and digits path)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    import models.preprocess
    import ocr.htr
    from ocr import get_engine
    from sohoa.records import FieldKind

    for flag, (attr, _, _) in INPUT_STEPS.items():
        setattr(models.preprocess, attr, getattr(args, flag.replace("-", "_")) == "on")
    ocr.htr.SHIFTED_KINDS = (FieldKind.NAME,) if args.shifted_names == "on" else ()

    per_kind, pages = (15, 2) if args.quick else (60, 8)
    per_kind = args.per_kind or per_kind
    makers = {"lines": lambda: line_crops(per_kind, args.seed),
              "page": lambda: page_crops(pages, args.seed),
              "strokes": lambda: stroke_crops(per_kind, args.seed,
                                              held_out=args.writers == "held-out"),
              # names alone, ten times as many: the strokes set's 60 cannot tell a point
              "names": lambda: stroke_crops(10 * per_kind, args.seed + 1,
                                            held_out=args.writers == "held-out",
                                            kinds=("name",))}
    tag = "" if args.writers == "held-out" else "-training"
    sets = {k: _cached(args.crops_cache, f"{k}{tag if k in ('strokes', 'names') else ''}-"
                       f"{args.seed}-"
                       f"{per_kind}-{pages}", makers[k])
            for k in args.sets.split(",")}
    engines: dict[str, Any] = {}
    rss0 = _peak_mb()
    chosen = args.engines.split(",")
    st = {"default": {}, "on": {"stretch": True}, "off": {"stretch": False}}[args.stretch]
    st = {**st, "precision": args.precision}
    engines["htr"] = get_engine("htr", device="cpu", model_dir=args.model, beam=args.beam,
                                **st)
    if "htr-noLM" in chosen:
        engines["htr-noLM"] = get_engine("htr", device="cpu", model_dir=args.model,
                                         beam=args.beam, char_lms=False, **st)
    if "htr-nopriors" in chosen:
        engines["htr-nopriors"] = get_engine("htr", device="cpu", model_dir=args.model,
                                             beam=args.beam, **st)
        engines["htr-nopriors"].decoder.priors = False
    if "htr-nofacilities" in chosen:  # places without sohoa.fields.facilities (session 13)
        engines["htr-nofacilities"] = get_engine("htr", device="cpu", model_dir=args.model,
                                                 beam=args.beam)
        engines["htr-nofacilities"].decoder.facilities = False
    if "htr-novillages" in chosen:  # places without sohoa.fields.villages (session 13)
        engines["htr-novillages"] = get_engine("htr", device="cpu", model_dir=args.model,
                                               beam=args.beam)
        engines["htr-novillages"].decoder.villages = False
    if "htr-nonumbers" in chosen:  # numbers as before session 14 (models.date_decode)
        engines["htr-nonumbers"] = get_engine("htr", device="cpu", model_dir=args.model,
                                              beam=args.beam)
        engines["htr-nonumbers"].decoder.numbers = False
    if "htr-greedy" in chosen:
        engines["htr-greedy"] = get_engine("htr", device="cpu", model_dir=args.model, beam=1,
                                           **st)
    try:
        if not args.no_tesseract:
            engines["tesseract"] = get_engine("tesseract")
    except Exception as exc:  # noqa: BLE001 - report, do not fail the whole benchmark
        print(f"tesseract unavailable: {exc}")
    if args.trocr:
        engines["trocr"] = get_engine("trocr", device="cpu", model_dir=args.trocr)
    tmax = args.tesseract_max or (60 if args.quick else 240)
    results: dict[str, Any] = {"sets": {k: len(v) for k, v in sets.items()}, "engines": {},
                               "input_steps": {f: getattr(args, f.replace("-", "_"))
                                               for f in INPUT_STEPS},
                               "shifted_names": args.shifted_names,
                               "warm_up_per_kind": args.warm_up}
    warm = (_cached(args.crops_cache, f"warm-up-{args.seed}-{args.warm_up}",
                    lambda: stroke_crops(args.warm_up, args.seed + 7, held_out=False))
            if args.warm_up > 0 else [])
    for name, eng in engines.items():
        res: dict[str, Any] = {}
        if warm:  # the engine's start is paid here, timed on its own
            _, dt = _run(eng, warm)
            res["warm_up"] = {"crops": len(warm), "seconds": dt,
                              "crops_per_s": len(warm) / max(dt, 1e-9),
                              "cpu_s": _run.cpu}  # type: ignore[attr-defined]
        for set_name, crops in sets.items():
            use = crops
            if name == "tesseract" and len(crops) > tmax:
                step = len(crops) / tmax
                use = [crops[int(i * step)] for i in range(tmax)]
            preds, dt = _run(eng, use)
            m = score(preds, [t for _, t, _ in use], [k for k, _, _ in use])
            m["crops_per_s"] = len(use) / max(dt, 1e-9)
            # per CPU second (all threads): what the shared cores' load does not change
            m["crops_per_cpu_s"] = len(use) / max(_run.cpu, 1e-9)  # type: ignore[attr-defined]
            m["errors"] = _errors(use, preds, per_kind=8)
            res[set_name] = m
        if name == "htr":
            res["peak_rss_mb"] = _peak_mb()
            res["model_rss_mb"] = _peak_mb() - rss0
        results["engines"][name] = res
    results["machine"] = {"python": platform.python_version(), "cpu_threads": 2,
                          "note": "2 shared CPU cores; other jobs were running"}
    results["model"] = str(engines["htr"].model_dir)
    results["stretch"] = bool(engines["htr"].stretch)
    results["writers"] = args.writers
    OUT.parent.mkdir(parents=True, exist_ok=True)
    out = OUT if args.sets == "lines,page,strokes" and not args.quick else \
        OUT.with_name(f"htr-{args.sets.replace(',', '-')}{'-quick' if args.quick else ''}.json")
    out = Path(args.out) if args.out else out
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), "utf-8")
    print(f"model: {results['model']}  crops: {results['sets']}\n")
    print("| set | engine | kind | n | CER | exact | crops/s | crops/CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    for set_name in sets:
        for name, res in results["engines"].items():
            m = res[set_name]
            print(f"| {set_name} | {name} | **all** | {m['n']} | {m['cer']:.2%} | "
                  f"{m['exact']:.0%} | {m['crops_per_s']:.0f} | {m['crops_per_cpu_s']:.0f} |")
            for kind, km in sorted(m.get("by_kind", {}).items()):
                print(f"| {set_name} | {name} | {kind} | {km['n']} | {km['cer']:.2%} | "
                      f"{km['exact']:.0%} | | |")
    for name, res in results["engines"].items():
        if "warm_up" in res:
            w = res["warm_up"]
            print(f"{name}: timed after a warm-up of {w['crops']} other crops "
                  f"({w['seconds']:.2f} s, {w['crops_per_s']:.0f} crops/s: the first reading)")
    h = results["engines"]["htr"]
    print(f"\nhtr peak RSS {h['peak_rss_mb']:.0f} MB (model + inference {h['model_rss_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
