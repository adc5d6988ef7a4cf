"""Recognition-engine speed (crops/s) on this CPU, and Tesseract on printed field values.

Crops are ks-2006 field values drawn by ``sohoa.synth.sample_value``, rendered one per line in
DejaVu Sans ("printed") and in bench-font hands ("hand"). Measured in one run:
- tesseract, batched (one process per batch through a list file) vs one process per crop;
- trocr with random weights (tiny and small presets; greedy and 4 beams), decoding a fixed
  24 characters per crop, a long name's length: an untrained model never stops early, so this
  is the cost of a typical field, not an accuracy figure;
- the htr model when its weights are installed, and the fake engine (protocol overhead).

    .venv/bin/python benchmarks/bench_ocr.py [--quick] [--threads N]

Prints a Markdown table and writes ``benchmarks/results/ocr.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sohoa.records import FieldCrop, FieldKind, nfc
from sohoa.template import load_template

OUT = Path(__file__).resolve().parent / "results" / "ocr.json"
KINDS = {FieldKind.NAME, FieldKind.DATE, FieldKind.YEAR, FieldKind.PLACE, FieldKind.NUMBER}


def field_values(n: int, seed: int) -> list[tuple[FieldKind, str]]:
    """``n`` (kind, text) pairs of single-line ks-2006 fields."""
    from sohoa.synth import sample_value

    rng = np.random.default_rng(seed)
    specs = [f for f in load_template("ks-2006").fields if f.kind in KINDS]
    out: list[tuple[FieldKind, str]] = []
    while len(out) < n:
        spec = specs[int(rng.integers(len(specs)))]
        v = sample_value(spec, rng)
        if v is not None and v.text.strip() and len(v.text) <= 40:
            out.append((spec.kind, nfc(v.text)))
    return out


def printed(text: str) -> np.ndarray:
    out = subprocess.run(["fc-match", "-f", "%{file}", "DejaVuSans"], capture_output=True,
                         text=True, check=True)
    font = ImageFont.truetype(out.stdout.strip(), 28)
    x0, y0, x1, y1 = font.getbbox(text)
    img = Image.new("L", (x1 - x0 + 20, y1 - min(y0, 0) + 20), 255)
    ImageDraw.Draw(img).text((10 - x0, 10 - min(y0, 0)), text, font=font, fill=0)
    return np.asarray(img)


def hand(text: str, rng: np.random.Generator) -> np.ndarray:
    from sohoa.synth import HandStyle, render_handwriting

    style = HandStyle.sample(rng, font_role="bench", size=float(rng.uniform(26, 38)))
    img = render_handwriting(text, style, rng)
    return np.pad(img, 8, constant_values=255)


def cer(preds: list[str], truths: list[str]) -> tuple[float, float]:
    from rapidfuzz.distance import Levenshtein

    errors = sum(Levenshtein.distance(p, t) for p, t in zip(preds, truths, strict=True))
    exact = sum(p == t for p, t in zip(preds, truths, strict=True))
    return errors / max(1, sum(len(t) for t in truths)), exact / max(1, len(truths))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (tesseract runs as a child)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(engine: Any, items: list[tuple[FieldKind, str, np.ndarray]]
        ) -> tuple[list[str], float, float]:
    """Recognise grouped by kind (one batch per kind, as the pipeline does); wall and CPU s."""
    preds = [""] * len(items)
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    for kind in sorted({k for k, _, _ in items}):
        idx = [i for i, (k, _, _) in enumerate(items) if k == kind]
        crops = [FieldCrop(f"f{i}", kind, items[i][2], (0, 0, 1, 1)) for i in idx]
        for i, r in zip(idx, engine.recognize(crops, kind), strict=True):
            preds[i] = r.text
    return preds, time.perf_counter() - t0, cpu_seconds() - c0


def per_crop_tesseract(items: list[tuple[FieldKind, str, np.ndarray]]) -> tuple[float, float]:
    """Wall and CPU s with one ``tesseract`` process per crop (what a naive loop does)."""
    from ocr.tesseract import prepare

    c0 = cpu_seconds()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, (_, _, img) in enumerate(items):
            path = Path(tmp) / f"{i}.png"
            Image.fromarray(prepare(img)).save(path)
            subprocess.run(["tesseract", str(path), "stdout", "-l", "vie", "--psm", "7", "tsv"],
                           capture_output=True, check=True,
                           env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return time.perf_counter() - t0, cpu_seconds() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small run (about a minute)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(args.threads)
    from models.trocr import build_trocr, save_trocr
    from ocr import get_engine

    n = 40 if args.quick else 200
    values = field_values(n, args.seed)
    rng = np.random.default_rng(args.seed)
    sets = {"printed": [(k, t, printed(t)) for k, t in values],
            "hand": [(k, t, hand(t, rng)) for k, t in values]}
    rows: list[dict[str, Any]] = []

    def record(engine: str, set_name: str, items: list, preds: list[str] | None,
               seconds: float, cpu: float, note: str = "") -> None:
        row: dict[str, Any] = {"engine": engine, "set": set_name, "n": len(items),
                               "crops_per_s": len(items) / max(seconds, 1e-9),
                               "crops_per_cpu_s": len(items) / max(cpu, 1e-9), "note": note}
        if preds is not None:
            row["cer"], row["exact"] = cer(preds, [t for _, t, _ in items])
        rows.append(row)

    tess = get_engine("tesseract", workers=1)
    for set_name, items in sets.items():
        preds, dt, cpu = run(tess, items)
        record("tesseract", set_name, items, preds, dt, cpu, "batched, 1 process per kind")
    sub = sets["printed"][: 10 if args.quick else 30]
    record("tesseract", "printed", sub, None, *per_crop_tesseract(sub), "one process per crop")
    chars = "".join(sorted({c for _, t in values for c in t}))
    with tempfile.TemporaryDirectory() as tmp:
        for preset in ("tiny", "small"):
            model, processor = build_trocr(preset, chars)
            params = sum(p.numel() for p in model.parameters()) / 1e6
            folder = save_trocr(model, processor, Path(tmp) / preset)
            for beams in (1, 4):
                eng = get_engine("trocr", device="cpu", model_dir=folder, num_beams=beams,
                                 max_new_tokens=24)
                eng.model.generation_config.min_new_tokens = 24  # fixed decode length
                items = sets["hand"][: 20 if args.quick else 100]
                _, dt, cpu = run(eng, items)
                record(f"trocr-{preset}", "hand", items, None, dt, cpu,
                       f"{params:.1f} M params, {beams} beam(s), random weights")
    try:
        htr = get_engine("htr", device="cpu")
        for set_name, items in sets.items():
            preds, dt, cpu = run(htr, items)
            record("htr", set_name, items, preds, dt, cpu, "shipped weights")
    except Exception as exc:  # noqa: BLE001 - the model may not be installed; say so
        rows.append({"engine": "htr", "set": "-", "n": 0, "crops_per_s": 0.0,
                     "crops_per_cpu_s": 0.0, "note": f"unavailable: {exc}"})
    fake = get_engine("fake", script=lambda crop, i: ("x", 1.0))
    _, dt, cpu = run(fake, sets["printed"])
    record("fake", "printed", sets["printed"], None, dt, cpu, "protocol overhead")
    load = os.getloadavg()[0]
    result = {"rows": rows, "machine": {"python": platform.python_version(),
                                        "cpu_count": os.cpu_count(), "torch_threads":
                                        args.threads, "load_avg_1min": load}}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f}, torch threads {args.threads}\n")
    print("| engine | set | n | crops/s (wall) | crops per CPU-s | CER | exact | note |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        acc = (f"{r['cer']:.1%} | {r['exact']:.0%}" if "cer" in r else "- | -")
        print(f"| {r['engine']} | {r['set']} | {r['n']} | {r['crops_per_s']:.1f} | "
              f"{r['crops_per_cpu_s']:.1f} | {acc} | "
              f"{r['note']} |")


if __name__ == "__main__":
    main()
