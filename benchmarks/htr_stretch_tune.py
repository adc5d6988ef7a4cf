"""Tuning the inference-time horizontal stretch of cramped lines (``ocr.htr``: a line read with
few CTC frames per character is read again stretched in width) on TRAINING-side writers only:
field values written by validation stroke writers (seeds 900,000-999,999, the wide training
ranges; never a held-out seed or family) and by test-font hands (``HandStyle`` role "test").

Each crop is read at widths x1 and x``--factors``; every rule below is then scored from those
readings (beam + character LMs, as the engine reads). Never run on held-out writers.

    .venv/bin/python benchmarks/htr_stretch_tune.py [--per-kind 40] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_htr import _cached, _value_crops
from models.augment import degrade
from models.evaluate import score

VAL_SEED0 = 900_000


def val_stroke_crops(per_kind: int, seed: int, writers: int = 60):
    from models.data import stroke_line

    def write(text: str, rng: np.random.Generator, i: int) -> np.ndarray:
        w = VAL_SEED0 + 5000 + i % writers
        return stroke_line(text, rng, (w, w + 1), (22.0, 40.0))

    return _value_crops(per_kind, seed, write)


def test_font_crops(per_kind: int, seed: int):
    from sohoa.synth import HandStyle, render_handwriting

    def write(text: str, rng: np.random.Generator, _: int) -> np.ndarray:
        style = HandStyle.sample(rng, font_role="test", size=float(rng.uniform(22, 40)))
        return degrade(render_handwriting(text, style, rng), rng)

    return _value_crops(per_kind, seed, write)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-kind", type=int, default=40)
    ap.add_argument("--seed", type=int, default=4711)
    ap.add_argument("--model", default=None)
    ap.add_argument("--factors", default="1.25,1.5,1.75,2.0")
    ap.add_argument("--cache", default="runs/stretch-tune")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from models.crnn import model_stride
    from ocr.htr import HTREngine, greedy_frames_per_char, stretch_width

    eng = HTREngine(device="cpu", model_dir=args.model, stretch=False)
    stride = model_stride(eng.net)
    factors = [1.0] + [float(f) for f in args.factors.split(",")]
    sets = {"val-strokes": _cached(args.cache, f"val-strokes-{args.seed}-{args.per_kind}",
                                   lambda: val_stroke_crops(args.per_kind, args.seed)),
            "test-fonts": _cached(args.cache, f"test-fonts-{args.seed}-{args.per_kind}",
                                  lambda: test_font_crops(args.per_kind, args.seed + 1))}
    from models.recognize import log_probs
    from sohoa.records import FieldKind

    report: dict = {"model": str(eng.model_dir), "stride": stride, "sets": {}}
    for name, crops in sets.items():
        kinds = [k for k, _, _ in crops]
        truths = [t for _, t, _ in crops]
        reads: dict[float, list[tuple[str, float]]] = {}
        fpc: list[float] = []
        cpu: dict[float, float] = {}
        for f in factors:
            imgs = [stretch_width(im, f) for _, _, im in crops]
            t0 = time.process_time()
            lps = log_probs(eng.net, eng.model.config.height, imgs, "cpu")
            t1 = time.process_time()
            hy = [eng._decode(lp, FieldKind(k)) for lp, k in zip(lps, kinds, strict=True)]
            cpu[f] = (t1 - t0, time.process_time() - t1)
            reads[f] = [(h.texts[0] if h.texts else "", h.confidences[0] if h.texts else 0.0)
                        for h in hy]
            if f == 1.0:
                fpc = [greedy_frames_per_char(lp, eng.model.charset) for lp in lps]
        fpc_a = np.array(fpc)
        rows = {}
        for f in factors:
            rows[f"always x{f}"] = score([r[0] for r in reads[f]], truths, kinds)
        # rules: stretch when frames/char < thr, to reach ``target`` frames/char (capped)
        for thr in (1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0, 3.5):
            for f in factors[1:]:
                pick = [reads[f][i][0] if fpc_a[i] < thr else reads[1.0][i][0]
                        for i in range(len(crops))]
                rows[f"fpc<{thr} -> x{f}"] = score(pick, truths, kinds) | {
                    "share": float((fpc_a < thr).mean())}
                pick = [(reads[f][i] if reads[f][i][1] > reads[1.0][i][1] else reads[1.0][i])[0]
                        if fpc_a[i] < thr else reads[1.0][i][0] for i in range(len(crops))]
                rows[f"fpc<{thr} -> best of x1,x{f}"] = score(pick, truths, kinds) | {
                    "share": float((fpc_a < thr).mean())}
            for target in (2.6, 3.0, 3.4):
                pick = []
                for i in range(len(crops)):
                    if fpc_a[i] >= thr:
                        pick.append(reads[1.0][i][0])
                        continue
                    want = min(2.0, max(1.25, target / max(fpc_a[i], 1e-3)))
                    f = min(factors[1:], key=lambda x, w=want: abs(x - w))
                    pick.append(reads[f][i][0])
                rows[f"fpc<{thr} -> to {target} fpc"] = score(pick, truths, kinds)
        base = rows["always x1.0"]["cer"]
        print(f"\n## {name} ({len(crops)} crops; x1 CER {base:.2%}; CPU s net/decode per "
              f"factor: { {f: tuple(round(x, 2) for x in c) for f, c in cpu.items()} })")
        for key, m in sorted(rows.items(), key=lambda kv: kv[1]["cer"])[:25]:
            bk = m.get("by_kind", {})
            print(f"{key:32s} CER {m['cer']:.2%}  names {bk.get('name', {}).get('cer', 0):.2%}"
                  f"  places {bk.get('place', {}).get('cer', 0):.2%}  share "
                  f"{m.get('share', float('nan')):.2f}")
        report["sets"][name] = {"n": len(crops), "cpu": {str(k): v for k, v in cpu.items()},
                                "rows": {k: {kk: vv for kk, vv in v.items() if kk != 'by_kind'}
                                         | {"by_kind": {kk: vv["cer"] for kk, vv in
                                                        v.get("by_kind", {}).items()}}
                                         for k, v in rows.items()},
                                "fpc_hist": np.histogram(fpc_a, bins=[0, 1.6, 2.0, 2.4, 2.8,
                                                                      3.5, 99])[0].tolist()}
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1), "utf-8")


if __name__ == "__main__":
    main()
