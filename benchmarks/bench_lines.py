"""Whole handwritten lines read as a trainer reads them (``sohoa evaluate --lines``): the
nearest this project gets to issue 15's private set of photographed address lines.

Lines of two kinds, written with pen strokes by stroke-synthesiser writers and photographed
(``sohoa.synth.pen.render_stroke_line``: paper, uneven light, noise, JPEG), each writer one
line in turn:
- ``addresses``: addresses anywhere in the country as people write them
  (``sohoa.synth.addresses.nationwide_address``: house numbers, lanes, streets, abbreviated
  units, every province);
- ``register``: register field values as the generator draws them (names, places, dates,
  relations, nationalities ...), whole (no 26-character window).

``--paper lined,grid`` writes the same lines again on ruled and on squared ("ô ly") paper
(``sohoa.synth.ruled``; sets ``addresses@grid`` ...): a degradation no training source draws.
``--paper tilt``: the same lines written across plain paper at 2-7 degrees either way and cut
out by their upright box (``render_stroke_line(tilt=)``), as a trainer crops a line from a
photographed sheet. ``--paper loose``: the same lines cut loosely, 2-5 x-heights of paper all
round (``render_stroke_line(margin=)``). ``--wide 1.5,2``: each set again made that many
times wider (sets ``addresses@wide1.5`` ...), as a hand with wide letters and spacing writes
them: the letter pitch no training writer reaches. ``--bend``: each set again bent along a
sine four ways (``BENDS``: the baseline moved up and down by 0.15 or 0.3 x the line's height
over one or two half waves; sets ``addresses@bend0.3x2`` ...), as a line written freely on
unlined paper or a notebook page's curve in a photo gives it.

Each set is read with ``models.lines_run.read_lines`` as ``text`` and as ``auto`` (the
default of ``evaluate --lines``: a place or a date read again as one). Writers: held-out ones
(seeds from ``HELD_OUT_SEED0``, font families no training source uses) by default; ``--writers
tuning`` uses seeds 900,000-1,000,000 (never trained on, never held out) for choosing things.

    .venv/bin/python benchmarks/bench_lines.py [--lines 200] [--model DIR] [--writers held-out]
        [--kinds auto,text] [--paper plain,lined,grid,tilt,loose,trace] [--wide 1.5,2] [--bend] [--long] [--out benchmarks/results/lines.json]
        [--quick]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ocr.htr import stretch_width
from sohoa.synth.line_shapes import BENDS, bent

OUT = Path(__file__).resolve().parent / "results" / "lines.json"
SEED = 20261205
TUNING = (900_000, 1_000_000)


TILT = (2.0, 7.0)  # degrees either way a tilted set's lines are written at
LOOSE = (2.0, 5.0)  # x-heights of paper all round a loosely cut line
# a "trace" set: pen trajectories (a tablet's or a digitiser's) drawn as thin even lines on
# clean white, large: x-height in px, pen width in px
TRACE_X_HEIGHT = (30.0, 60.0)
TRACE_PEN_PX = (1.5, 3.0)


def trace_line(text: str, writer: Any, rng: np.random.Generator, pen_px: float) -> np.ndarray:
    """``text``'s pen paths in ``writer``'s hand drawn as even black lines ``pen_px`` wide on
    clean white, with half an x-height of paper round the ink."""
    import cv2

    from sohoa.synth.stroke_writer import write_strokes

    strokes = write_strokes(text, writer, rng)
    pts = np.concatenate([s.points for s in strokes])
    lo = pts.min(axis=0) - writer.x_height / 2 - pen_px
    w, h = (int(np.ceil(v)) + 1 for v in pts.max(axis=0) - lo + writer.x_height / 2 + pen_px)
    img = np.full((h, w), 255, np.uint8)
    thick = max(1, round(pen_px))
    for s in strokes:
        p = np.round((s.points - lo) * 16).astype(np.int32)
        if len(p) == 1:
            cv2.circle(img, tuple(int(v) for v in p[0]), max(1, thick // 2) * 16, 0, -1,
                       cv2.LINE_AA, shift=4)
        else:
            cv2.polylines(img, [p], False, 0, thick, cv2.LINE_AA, shift=4)
    return img


def draw(n: int, seed: int, held_out: bool, paper: str = "plain",
         long: bool = False) -> dict[str, list[Any]]:
    """The two sets of ``n`` labelled lines each (``models.lines.LabelledLine``), written on
    ``paper`` (``sohoa.synth.ruled``: plain, lined or squared "grid"; ``"tilt"``: plain
    paper, each line written at an angle of ``TILT`` degrees either way; ``"loose"``: plain
    paper, each line cut with ``LOOSE`` x-heights of paper all round; ``"trace"``: the
    writer's pen path drawn as a thin even black line on clean white at ``TRACE_X_HEIGHT``,
    as digitised pen strokes are often rendered). ``long``: a third
    set, ``long``, of two addresses on one line (about 100 characters)."""
    from models.data import SynthSource
    from models.lines import LabelledLine
    from sohoa.synth.addresses import nationwide_address
    from sohoa.synth.pen import render_stroke_line
    from sohoa.synth.stroke_writer import HELD_OUT_SEED0, StrokeWriter

    rng = np.random.default_rng(seed)
    src = SynthSource("test")
    texts = {"addresses": [nationwide_address(rng) for _ in range(n)],
             "register": [src._text(rng)[1] for _ in range(n)]}
    if long:  # drawn after the two sets, which stay as they were
        texts["long"] = [f"{nationwide_address(rng)}, {nationwide_address(rng)}"
                         for _ in range(n)]
    out: dict[str, list[Any]] = {}
    for name, lines in texts.items():
        r = np.random.default_rng(seed + len(name))
        angles = np.random.default_rng(seed + 7 * len(name))
        margins = np.random.default_rng(seed + 11 * len(name))
        traces = np.random.default_rng(seed + 13 * len(name))
        out[name] = []
        for i, t in enumerate(lines):
            w = HELD_OUT_SEED0 + i if held_out else int(r.integers(*TUNING))
            writer = StrokeWriter.sample(w, held_out=held_out)
            tilt = float(angles.choice((-1, 1)) * angles.uniform(*TILT))
            loose = float(margins.uniform(*LOOSE))
            xh, pen_px = traces.uniform(*TRACE_X_HEIGHT), traces.uniform(*TRACE_PEN_PX)
            if paper == "trace":
                img = trace_line(t, replace(writer, x_height=float(xh)), r, float(pen_px))
            elif paper == "tilt":
                img = render_stroke_line(t, writer, r, tilt=tilt)
            elif paper == "loose":
                img = render_stroke_line(t, writer, r, margin=loose)
            else:
                img = render_stroke_line(t, writer, r, paper=paper)
            out[name].append(LabelledLine(img, t, str(w), f"{name}-{i}"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=200, help="lines per set")
    ap.add_argument("--quick", action="store_true", help="20 lines a set (benchmarks/run_all.py)")
    ap.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    ap.add_argument("--writers", choices=("held-out", "tuning"), default="held-out")
    ap.add_argument("--kinds", default="auto,text")
    ap.add_argument("--paper", default="plain",
                    help="comma list of plain, lined, grid (squared 'ô ly' paper), tilt "
                         "(plain paper, lines at 2-7 degrees), loose (2-5 x-heights of paper all "
                         "round), trace (pen paths drawn thin on clean white, large): each a copy of the sets")
    ap.add_argument("--long", action="store_true",
                    help="a third set, long: two addresses on one line (~100 characters)")
    ap.add_argument("--wide", default="",
                    help="comma list of width factors: each set again written that much wider")
    ap.add_argument("--bend", action="store_true",
                    help="each set again bent along a sine four ways (BENDS)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    if args.quick:
        args.lines = 20
        args.out = str(OUT.with_name("lines-quick.json"))
    import torch

    torch.set_num_threads(2)
    from rapidfuzz.distance import Levenshtein

    from models.lines_run import line_scores, read_lines
    from ocr import get_engine

    t0 = time.perf_counter()
    sets = {}
    for paper in args.paper.split(","):  # the same lines on each paper
        for name, lines in draw(args.lines, args.seed, args.writers == "held-out",
                                paper, args.long).items():
            sets[name if paper == "plain" else f"{name}@{paper}"] = lines
    for name, lines in list(sets.items()):
        for f in filter(None, args.wide.split(",")):
            sets[f"{name}@wide{f}"] = [replace(ln, image=stretch_width(ln.image, float(f)))
                                       for ln in lines]
        for amp, waves in BENDS if args.bend else ():
            sets[f"{name}@bend{amp}x{waves}"] = [replace(ln, image=bent(ln.image, amp, waves))
                                                 for ln in lines]
    drawn = time.perf_counter() - t0
    opts = {"model_dir": args.model} if args.model else {}
    eng = get_engine("htr", device="cpu", **opts)
    res: dict[str, Any] = {"model": str(eng.model_dir), "writers": args.writers,
                           "lines": args.lines, "seed": args.seed, "paper": args.paper,
                           "wide": args.wide, "bend": args.bend,
                           "draw_s": round(drawn, 1), "sets": {}}
    print(f"model {eng.model_dir}, {args.writers} writers, {args.lines} lines a set")
    print("| set | kind | CER | exact | ECE | conf >= 0.9 (exact) | lines/s |")
    print("|---|---|---|---|---|---|---|")
    for name, lines in sets.items():
        for kind in args.kinds.split(","):
            t = time.perf_counter()
            preds = read_lines(eng, lines, kind)
            secs = time.perf_counter() - t
            sc = line_scores(preds, [ln.text for ln in lines])
            # each line's edits and characters: lines_compare.py's paired intervals
            sc["line_edits"] = [Levenshtein.distance(p, ln.text)
                                for (p, _), ln in zip(preds, lines, strict=True)]
            sc["line_chars"] = [len(ln.text) for ln in lines]
            sc["lines_per_s"] = round(len(lines) / secs, 1)
            res["sets"][f"{name}/{kind}"] = sc
            sure = "-" if sc["confident_exact"] is None else f"{100 * sc['confident_exact']:.1f} %"
            print(f"| {name} | {kind} | {100 * sc['cer']:.2f} % | {100 * sc['exact']:.1f} % | "
                  f"{sc['ece']:.3f} | {100 * sc['confident_share']:.1f} % ({sure}) | "
                  f"{sc['lines_per_s']} |", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
