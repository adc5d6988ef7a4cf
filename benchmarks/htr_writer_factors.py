"""Which pen-stroke writing habits a handwriting model reads worst, measured on TRAINING-side
writers only (validation stroke writers, seeds 900,000-999,999, the wide training ranges; never
the held-out seeds or families): the same texts, the same writers, one habit forced at a time
(joined or not, loose tone marks, baseline drift, slant, narrow/wide letters, tight spacing,
wobble, pens, photo light/JPEG). Greedy CER per condition, to choose what the next training
run should add.

    .venv/bin/python benchmarks/htr_writer_factors.py [--model DIR] [--n 150]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from sohoa.synth.stroke_writer import HELD_OUT_SEED0, StrokeWriter

VAL_SEEDS = (900_000, 1_000_000)  # validation writers of sohoa train (never held-out ones)

CONDITIONS: dict[str, Callable[[StrokeWriter], StrokeWriter]] = {
    "as drawn": lambda w: w,
    "never joined": lambda w: replace(w, join=0.0),
    "always joined": lambda w: replace(w, join=1.0),
    "marks tight": lambda w: replace(w, mark_dx=0.1, mark_dy=0.0, mark_jitter=0.02),
    "marks loose": lambda w: replace(w, mark_dx=0.45, mark_dy=-0.3, mark_jitter=0.2,
                                     mark_scale=1.5),
    "flat baseline": lambda w: replace(w, drift=0.0, word_tilt=0.0, wave=0.0),
    "drifting baseline": lambda w: replace(w, drift=0.3, word_tilt=6.0, wave=0.4),
    "upright": lambda w: replace(w, slant=0.0),
    "slanted 35": lambda w: replace(w, slant=float(np.tan(np.radians(35)))),
    "narrow letters": lambda w: replace(w, width=0.68),
    "wide letters": lambda w: replace(w, width=1.4),
    "tight spacing": lambda w: replace(w, spacing=-0.12, word_gap=0.45),
    "wobbly": lambda w: replace(w, wobble=0.17, letter_jitter=0.15),
    "steady": lambda w: replace(w, wobble=0.01, letter_jitter=0.01),
    "thin ballpoint": lambda w: replace(w, pen="ballpoint", pen_width=0.06),
    "thick felt": lambda w: replace(w, pen="felt", pen_width=0.26),
}


def lines(n: int, seed: int) -> list[tuple[str, str, int]]:
    """(kind, text, writer seed): field values as training draws them, validation writers."""
    from models.data import SynthSource, word_window

    src = SynthSource("test")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        kind, text = src._text(rng)
        out.append((kind, word_window(text, 26, rng), int(rng.integers(*VAL_SEEDS))))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="models/weights/htr-v4")
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--out", default=None, help="JSON of the figures")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from models.checkpoint import load_model_dir
    from models.data import Sample
    from models.evaluate import evaluate_samples
    from sohoa.synth.pen import render_stroke_line

    m = load_model_dir(Path(args.model))
    todo = lines(args.n, args.seed)
    res: dict[str, dict] = {}
    for photo in (True, False):
        for name, change in CONDITIONS.items():
            if not photo and name != "as drawn":
                continue
            samples = []
            for i, (kind, text, ws) in enumerate(todo):
                assert ws < HELD_OUT_SEED0
                rng = np.random.default_rng([args.seed, i])
                w = StrokeWriter.sample(ws, x_height=float(rng.uniform(22, 40)) * 0.45)
                img = render_stroke_line(text, change(w), rng, photo=photo)
                samples.append(Sample(kind, text, img))
            r = evaluate_samples(m.module, m.charset, m.config.height, samples)
            label = name if photo else "no photo (clean paper)"
            res[label] = {"cer": r["cer"], "exact": r["exact"]}
            print(f"| {label} | {r['cer']:.2%} | {r['exact']:.0%} |", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({"model": args.model, "n": args.n,
                                              "conditions": res}, indent=2), "utf-8")


if __name__ == "__main__":
    main()
