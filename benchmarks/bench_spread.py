"""Scans of two facing pages (``preprocessing.spread``): is the gutter found, are both pages'
entries found once each page is read alone, and is a single page never cut in two?

    .venv/bin/python benchmarks/bench_spread.py [--spreads 12] [--singles 20] [--jobs 2]
        [--families default,ho-ministry,ho-handbook] [--out results/spread.json]

Spreads: two pages of one generated book (``sohoa.synth.generate_page`` with page numbers 1
and 2, one layout draw, rendered flat) side by side with a gutter and its shadow
(``sohoa.synth.spread``); hard ones captured as a whole (turned up to 3 degrees on a dark bed,
half at an angle, uneven light, noise, blur, JPEG); scanned at each of the four turns in turn
(``split_spread`` with the template gives the pages back upright, left first). For each: the pages cut at the gutter
between the two tables and given back upright and in order (the left page is the spread's left
part, cut right of every left entry and left of every right entry), and the entries found (quad
IoU >= 0.5, as ``bench_segment.py``) reading the upright spread whole as before and in the
pages given back. Singles: pages of every layout family (held-out ones included, easy and
hard, all four turns), none of which may be cut. Held-out families are measured here, never
tuned on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_segment import _match, _rotation  # noqa: E402

SEED0 = 1_600_000


def _found(image, template, truth: list[dict]) -> int:  # noqa: ANN001
    from preprocessing import analyze_page

    return len(_match(truth, list(analyze_page(image, template).entries)))


def measure_spread(args: tuple) -> dict:
    import cv2
    import numpy as np

    cv2.setNumThreads(1)
    from preprocessing.spread import split_spread
    from sohoa.synth import generate_page
    from sohoa.synth.spread import make_spread
    from sohoa.template import load_template

    tid, difficulty, seed, family, turn = args
    tpl = load_template(tid)
    # the pages rendered flat; a hard spread is captured as a whole (turned, lit, noisy)
    pages = [generate_page(tpl, seed, difficulty="easy", font_role="bench", page_no=k,
                           layout=None if family == "default" else family, dpi=200)
             for k in (1, 2)]
    spread = make_spread(pages[0], pages[1], seed, hard=difficulty == "hard")
    truth = spread.truth["entries"]
    n_left = spread.truth["spread"]["left_entries"]
    left_t, right_t = truth[:n_left], truth[n_left:]
    scan = np.ascontiguousarray(np.rot90(spread.image, turn // 90))  # scanned turned
    t = time.process_time()
    found = split_spread(scan, tpl)
    cpu = time.process_time() - t
    left_x = max((max(p[0] for p in e["quad"]) for e in left_t), default=0)
    right_x = min((min(p[0] for p in e["quad"]) for e in right_t),
                  default=spread.image.shape[1])
    whole = _found(spread.image, tpl, truth) if turn == 0 else None
    # the pages come back upright and in order only if they are the spread's own halves: the
    # left one as wide as where the cut fell, the truth's right entries moved by it
    gx = found[0].shape[1] if len(found) == 2 else None
    split = 0
    if gx is not None:
        right_moved = [{**e, "quad": [[x - gx, y] for x, y in e["quad"]]} for e in right_t]
        split = _found(found[0], tpl, left_t) + _found(found[1], tpl, right_moved)
    elif turn == 0:
        split = whole or 0
    return {"template": tid, "difficulty": difficulty, "seed": seed, "family": family,
            "turn": turn, "gutter": gx, "gutter_ok": gx is not None and left_x < gx < right_x,
            "truth": len(truth), "found_whole": whole, "found_split": split, "cpu_s": cpu}


def measure_single(args: tuple) -> dict:
    import cv2

    cv2.setNumThreads(1)
    from preprocessing.spread import find_gutter
    from sohoa.synth import generate_page
    from sohoa.template import load_template

    tid, difficulty, seed, family = args
    page = generate_page(load_template(tid), seed, difficulty=difficulty, font_role="bench",
                         rotation=_rotation(seed), layout=None if family == "default" else family,
                         dpi=200)
    return {"template": tid, "difficulty": difficulty, "seed": seed, "family": family,
            "cut": find_gutter(page.image) is not None}


def main() -> None:
    from sohoa.synth.families import FAMILIES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spreads", type=int, default=12, help="spreads per family and difficulty")
    ap.add_argument("--singles", type=int, default=20, help="single pages per family and "
                    "difficulty")
    ap.add_argument("--families", default="default,ho-ministry,ho-handbook",
                    help="families of the spreads (singles: every family)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).parent / "results" / "spread.json")
    args = ap.parse_args()
    tids = ("ks-2006", "kt-2006", "kh-2006")
    spreads = [(tids[i % 3], d, SEED0 + 1000 * fi + 10 * i + (d == "hard"), fam,
                (0, 90, 180, 270)[i % 4])
               for fi, fam in enumerate(args.families.split(","))
               for d in ("easy", "hard") for i in range(args.spreads)]
    singles = [(tids[i % 3], d, SEED0 + 500_000 + 1000 * fi + i, fam)
               for fi, fam in enumerate(("default", *FAMILIES))
               for d in ("easy", "hard") for i in range(args.singles)]
    with ProcessPoolExecutor(args.jobs) as pool:
        s_rows = list(pool.map(measure_spread, spreads))
        p_rows = list(pool.map(measure_single, singles))
    res: dict = {"spreads": s_rows, "singles": p_rows, "summary": {}}
    print("| spreads (turns 0/90/180/270) | n | pages cut at the gutter, upright, in order | "
          "entries found: whole (upright ones) / split of truth | split_spread CPU s |"
          "\n|---|---|---|---|---|")
    for fam in args.families.split(","):
        for d in ("easy", "hard"):
            rows = [r for r in s_rows if r["family"] == fam and r["difficulty"] == d]
            if not rows:
                continue
            truth = sum(r["truth"] for r in rows)
            upright = [r for r in rows if r["turn"] == 0]
            row = {"n": len(rows), "gutter_ok": sum(r["gutter_ok"] for r in rows),
                   "whole": sum(r["found_whole"] for r in upright)
                   / max(1, sum(r["truth"] for r in upright)),
                   "split": sum(r["found_split"] for r in rows) / truth,
                   "cpu_s": sum(r["cpu_s"] for r in rows) / len(rows)}
            res["summary"][f"{fam}-{d}"] = row
            print(f"| {fam} {d} | {row['n']} | {row['gutter_ok']} | {row['whole']:.3f} / "
                  f"{row['split']:.3f} | {row['cpu_s']:.3f} |")
    cuts = [r for r in p_rows if r["cut"]]
    res["summary"]["singles"] = {"n": len(p_rows), "cut": len(cuts)}
    print(f"\nsingle pages cut in two: {len(cuts)} of {len(p_rows)} (every family, easy and "
          "hard, all four turns)")
    for r in cuts:
        print("  cut:", r)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
