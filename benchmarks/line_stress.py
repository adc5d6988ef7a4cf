"""How the recogniser's whole-line reading holds up under image changes no training source
makes on purpose: the same photographed lines (``bench_lines.draw``: addresses anywhere in
the country, stroke writers) read as they are and after each change, paired line for line.

A probe for choosing what to work on next, on tuning writers (seeds 900,000-1,000,000) by
default; ``--writers held-out`` reads the measuring writers (then use it only to report).

    .venv/bin/python benchmarks/line_stress.py [--lines 80] [--writers tuning|held-out]
        [--changes blur0.8,binar,...] [--out benchmarks/results/line-stress.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from bench_lines import SEED, draw

OUT = Path(__file__).resolve().parent / "results" / "line-stress.json"
Change = Callable[[np.ndarray], np.ndarray]


def _paper(img: np.ndarray) -> int:
    return int(np.median(img))


def _blur(sigma: float) -> Change:
    return lambda im: cv2.GaussianBlur(im, (0, 0), sigma)


def _resampled(k: float) -> Change:  # taken at a lower resolution, scaled back
    def f(im: np.ndarray) -> np.ndarray:
        small = cv2.resize(im, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (im.shape[1], im.shape[0]), interpolation=cv2.INTER_LINEAR)
    return f


def _binarised(im: np.ndarray) -> np.ndarray:
    return cv2.threshold(im, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]


def _specks(im: np.ndarray) -> np.ndarray:  # dust: 1 % of the pixels dark
    r = np.random.default_rng(im.size)
    out = im.copy()
    m = r.random(im.shape) < 0.01
    out[m] = r.integers(0, 120, int(m.sum()))
    return out


def _jpeg(im: np.ndarray) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, 15])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else im


def _margins(im: np.ndarray) -> np.ndarray:  # cut loosely: paper all round
    h = im.shape[0]
    return cv2.copyMakeBorder(im, h, h, 2 * h, 2 * h, cv2.BORDER_CONSTANT, value=_paper(im))


def _desk(im: np.ndarray) -> np.ndarray:  # photographed at the paper's corner: the dark
    h = im.shape[0]  # desk beyond a strip of paper above and to the left of the line
    out = cv2.copyMakeBorder(im, h // 2, h // 4, h, h // 2, cv2.BORDER_CONSTANT,
                             value=_paper(im))
    return cv2.copyMakeBorder(out, h // 2, 0, h, 0, cv2.BORDER_CONSTANT, value=45)


def _boxed(im: np.ndarray) -> np.ndarray:  # cut from a form: a printed box around the line
    h = im.shape[0]
    out = cv2.copyMakeBorder(im, h // 8, h // 8, h // 4, h // 4, cv2.BORDER_CONSTANT,
                             value=_paper(im))
    cv2.rectangle(out, (1, 1), (out.shape[1] - 2, out.shape[0] - 2), 40, 2)
    return out


def _margin_line(im: np.ndarray) -> np.ndarray:  # a notebook's red margin rule (grey ~110)
    out = cv2.copyMakeBorder(im, 0, 0, im.shape[0] // 2, 0, cv2.BORDER_CONSTANT,
                             value=_paper(im))
    x = im.shape[0] // 4
    out[:, x: x + 3] = np.minimum(out[:, x: x + 3], 110)
    return out


def _scan_edge(im: np.ndarray) -> np.ndarray:  # a thin black band of the scanner's edge
    out = im.copy()
    out[: max(2, im.shape[0] // 16)] = 20
    return out


CHANGES: dict[str, Change] = {
    "none": lambda im: im,
    "blur0.8": _blur(0.8),
    "blur1.5": _blur(1.5),
    "half-resolution": _resampled(0.5),
    "3x-resolution": lambda im: cv2.resize(im, None, fx=3, fy=3,
                                           interpolation=cv2.INTER_CUBIC),
    "thinner-ink": lambda im: cv2.dilate(im, np.ones((2, 2), np.uint8)),
    "bolder-ink": lambda im: cv2.erode(im, np.ones((2, 2), np.uint8)),
    "binarised": _binarised,
    "jpeg15": _jpeg,
    "low-contrast": lambda im: (255 - (255 - im.astype(np.float32)) * 0.4).astype(np.uint8),
    "specks": _specks,
    "margins": _margins,
    "desk": _desk,
    "boxed": _boxed,
    "margin-line": _margin_line,
    "scan-edge": _scan_edge,
    "small": lambda im: cv2.resize(im, None, fx=0.35, fy=0.35, interpolation=cv2.INTER_AREA),
    "shake": lambda im: cv2.filter2D(im, -1, np.full((1, 7), 1 / 7, np.float32)),
    "big-photo": lambda im: cv2.resize(_margins(im), None, fx=3, fy=3,
                                       interpolation=cv2.INTER_CUBIC),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=80)
    ap.add_argument("--writers", choices=("tuning", "held-out"), default="tuning")
    ap.add_argument("--changes", default=",".join(CHANGES))
    ap.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    from models.lines_run import line_scores, read_lines
    from ocr import get_engine

    lines = draw(args.lines, SEED + 1, args.writers == "held-out")["addresses"]
    eng = get_engine("htr", device="cpu", **({"model_dir": args.model} if args.model else {}))
    res: dict = {"model": str(eng.model_dir), "writers": args.writers, "lines": args.lines,
                 "changes": {}}
    print("| change | CER | exact | conf >= 0.9 (exact) |\n|---|---|---|---|")
    for name in args.changes.split(","):
        if name not in CHANGES:
            raise SystemExit(f"unknown change {name!r}: one of {', '.join(CHANGES)}")
        changed = [replace(ln, image=CHANGES[name](ln.image)) for ln in lines]
        t = time.perf_counter()
        sc = line_scores(read_lines(eng, changed, "auto"), [ln.text for ln in changed])
        sc["seconds"] = round(time.perf_counter() - t, 1)
        res["changes"][name] = sc
        sure = "-" if sc["confident_exact"] is None else f"{100 * sc['confident_exact']:.1f} %"
        print(f"| {name} | {100 * sc['cer']:.2f} % | {100 * sc['exact']:.1f} % | "
              f"{100 * sc['confident_share']:.1f} % ({sure}) |", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
