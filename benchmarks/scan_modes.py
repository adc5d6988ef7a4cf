"""Register pages as a scanner may save them: grey (as generated) and bitonal (1-bit, as
document scanners save to TIFF G4: Otsu's threshold, a fixed one at 150, an adaptive one),
read end to end and on the generator's exact field boxes (the oracle), paired page for page.

A probe on training-side layout families and the "test" fonts (seeds 1,600,000+), easy pages;
the brief's scans are colour or grey, so nothing is tuned on it: it shows what a bitonal
scan costs.

    .venv/bin/python benchmarks/scan_modes.py [--pages 12] [--model DIR] [--out benchmarks/results/scan-modes.json]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

OUT = Path(__file__).resolve().parent / "results" / "scan-modes.json"
SEED0 = 1_600_000
TEMPLATES = ("ks-2006", "kt-2006", "kh-2006")


def _grey(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def _rgb(g: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(g, cv2.COLOR_GRAY2RGB)


MODES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "grey": lambda img: img,
    "bitonal-otsu": lambda img: _rgb(cv2.threshold(
        _grey(img), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]),
    "bitonal-150": lambda img: _rgb(np.where(_grey(img) < 150, 0, 255).astype(np.uint8)),
    "bitonal-adaptive": lambda img: _rgb(cv2.adaptiveThreshold(
        _grey(img), 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 31, 12)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=12)
    ap.add_argument("--model", default=None, help="htr model folder (default: the shipped one)")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    from read_oracle import oracle_segmented

    from ocr import get_engine
    from sohoa.evaluation.match import pairs_from_page
    from sohoa.evaluation.metrics import edit_distance
    from sohoa.fields.calibration_fit import choose_cells, read_cells
    from sohoa.pipeline import assemble, segment_image
    from sohoa.synth import generate_page
    from sohoa.synth.families import TRAINING
    from sohoa.template import load_template

    eng = get_engine("htr", device="cpu", **({"model_dir": args.model} if args.model else {}))
    tot: dict[str, dict[str, int]] = {}
    for k in range(args.pages):
        tpl = load_template(TEMPLATES[k % len(TEMPLATES)])
        page = generate_page(tpl, SEED0 + k, "easy", font_role="test",
                             layout=TRAINING[k % len(TRAINING)])
        year = page.truth["book"]["year"]
        for mode, change in MODES.items():
            img = change(page.image)
            t = tot.setdefault(mode, {"edits": 0, "chars": 0, "oracle_edits": 0,
                                      "oracle_chars": 0, "entries": 0, "found": 0})
            for seg, key in ((segment_image(img, tpl, name=f"p{k}"), ""),
                             (oracle_segmented(img, page.truth, tpl), "oracle_")):
                chosen = assemble(seg, choose_cells(read_cells(eng, seg.crops), year))
                reading = chosen.reading.to_json()
                pairs = pairs_from_page(page.truth, reading, tpl)
                t[key + "edits"] += sum(edit_distance(p.truth, p.predicted) for p in pairs)
                t[key + "chars"] += sum(len(p.truth) for p in pairs)
                if not key:
                    t["entries"] += len(page.truth["entries"])
                    t["found"] += len(reading.get("entries", []))
    res = {"pages": args.pages, "model": str(eng.model_dir), "modes": {}}
    print("| scan | field CER end to end | oracle | entries found |\n|---|---|---|---|")
    for mode, t in tot.items():
        row = {"cer": t["edits"] / max(1, t["chars"]),
               "oracle_cer": t["oracle_edits"] / max(1, t["oracle_chars"]),
               "entries": t["entries"], "found": t["found"]}
        res["modes"][mode] = row
        print(f"| {mode} | {100 * row['cer']:.2f} % | {100 * row['oracle_cer']:.2f} % | "
              f"{t['found']} / {t['entries']} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2), "utf-8")


if __name__ == "__main__":
    main()
