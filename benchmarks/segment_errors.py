"""What kind of entry errors segmentation makes, page by page (training families only).

    .venv/bin/python benchmarks/segment_errors.py --layouts hand-ruled,mixed --pages 8
        [--difficulty easy,hard] [--seed0 500000] [--jobs 1] [--dpi 200] [--json out.json]
        [--no-header-line]

Generates pages the way ``bench_segment.py --layouts ...`` does (same seeds by default),
analyses each and sorts every truth entry into one of: ``ok`` (a found entry with quad IoU
>= 0.5), ``joined`` (the best found entry also covers another truth entry), ``split`` (two or
more found entries each cover a good part of it), ``shifted`` (one found entry, IoU < 0.5),
``missed`` (nothing found there); found entries covering no truth entry are ``extra``. Prints
one line per imperfect page (status, counts, and the truth rows involved) and the totals.
Refuses held-out families: they are for measuring only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_segment import TEMPLATES, _quad_iou, _rotation  # noqa: E402


def _cover(a: list, b: list) -> float:
    """Share of quad ``a``'s area inside quad ``b``."""
    import cv2

    pa, pb = np.array(a, np.float32).reshape(4, 2), np.array(b, np.float32).reshape(4, 2)
    inter, _ = cv2.intersectConvexConvex(pa, pb)
    area = cv2.contourArea(pa)
    return float(inter / area) if area > 0 else 0.0


def classify(truth: list[dict], found: list) -> tuple[list[str], list[int], list[float]]:
    """(kind per truth entry, indexes of extra found entries, top/bottom y errors of 1:1
    pairs)."""
    tq = [t["quad"] for t in truth]
    fq = [f.quad for f in found]
    iou = np.array([[_quad_iou(a, b) for b in fq] for a in tq]).reshape(len(tq), len(fq))
    # share of each truth entry in each found entry, and of each found entry in each truth
    t_in_f = np.array([[_cover(a, b) for b in fq] for a in tq]).reshape(len(tq), len(fq))
    f_in_t = np.array([[_cover(b, a) for b in fq] for a in tq]).reshape(len(tq), len(fq))
    kinds = []
    yerr: list[float] = []
    for i in range(len(tq)):
        if len(fq) == 0 or iou[i].max() < 0.05:
            kinds.append("missed")
            continue
        j = int(np.argmax(iou[i]))
        if iou[i, j] >= 0.5:
            kinds.append("ok")
            ta, fa = np.array(tq[i]), np.array(fq[j])
            yerr += [float(fa[:2, 1].mean() - ta[:2, 1].mean()),
                     float(fa[2:, 1].mean() - ta[2:, 1].mean())]
            continue
        others = [k for k in range(len(tq)) if k != i and t_in_f[k, j] > 0.4]
        parts = [k for k in range(len(fq)) if f_in_t[i, k] > 0.5 and t_in_f[i, k] > 0.2]
        if others:
            kinds.append("joined")
        elif len(parts) >= 2:
            kinds.append("split")
        else:
            kinds.append("shifted")
    extra = [j for j in range(len(fq)) if len(tq) == 0 or iou[:, j].max() < 0.05]
    return kinds, extra, yerr


def run_page(args: tuple) -> dict:
    import cv2

    cv2.setNumThreads(1)
    from preprocessing import analyze_page
    from sohoa.synth import HELD_OUT, generate_page
    from sohoa.template import load_template

    tid, difficulty, seed, family = args[:4]
    dpi = args[4] if len(args) > 4 else 200
    header_line = args[5] if len(args) > 5 else True
    if family in HELD_OUT:
        raise SystemExit(f"{family} is held out: measure it with bench_segment.py only")
    tpl = load_template(tid)
    page = generate_page(tpl, seed, difficulty=difficulty, font_role="bench",
                         rotation=_rotation(seed), layout=family, dpi=dpi,
                         header_line=header_line)
    layout = analyze_page(page.image, tpl)
    truth = page.truth["entries"]
    kinds, extra, yerr = classify(truth, list(layout.entries))
    lay = page.truth.get("layout", {})
    return {"template": tid, "difficulty": difficulty, "seed": seed, "family": family,
            "status": layout.status, "kinds": kinds, "extra": extra, "yerr": yerr,
            "truth_rows": [t["row"] for t in truth], "found": len(layout.entries),
            "rotation_ok": layout.rotation == page.truth["rotation"],
            "cut": bool(lay.get("cut")), "two_row": lay.get("two_row_entries", []),
            "missing": lay.get("missing_lines", {}), "hand": bool(lay.get("hand_ruled")),
            "persp": bool(page.truth.get("layout", {}).get("perspective"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layouts", default="hand-photo,hand-ruled,photo,mixed,proportions,two-level")
    ap.add_argument("--pages", type=int, default=8, help="pages per difficulty")
    ap.add_argument("--difficulty", default="easy,hard")
    ap.add_argument("--seed0", type=int, default=500_000)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--dpi", type=int, default=200, help="bench_segment draws at 300")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--no-header-line", action="store_true",
                    help="draw no line under the header (generate_page header_line=False)")
    args = ap.parse_args()
    fams = args.layouts.split(",")
    work = [(TEMPLATES[i % len(TEMPLATES)], d, args.seed0 + 1000 * j + i, fams[i % len(fams)],
             args.dpi, not args.no_header_line)
            for j, d in enumerate(("easy", "hard")) if d in args.difficulty.split(",")
            for i in range(args.pages)]
    rows: list[dict] = []
    total: Counter[str] = Counter()
    by_fam: dict[str, Counter[str]] = {}
    ex = ProcessPoolExecutor(args.jobs) if args.jobs > 1 else None
    for r in (ex.map(run_page, work) if ex else map(run_page, work)):  # lines as pages finish
        rows.append(r)
        c = Counter(r["kinds"])
        c["extra"] += len(r["extra"])
        total.update(c)
        by_fam.setdefault(f"{r['family']} {r['difficulty']}", Counter()).update(c)
        if c["ok"] != len(r["kinds"]) or r["extra"]:
            bad = [f"{k}@{row}" for k, row in zip(r["kinds"], r["truth_rows"], strict=True)
                   if k != "ok"]
            print(f"{r['family']:11s} {r['difficulty']} {r['template']} {r['seed']}: "
                  f"{r['status'][:40]!r} found {r['found']}/{len(r['kinds'])} extra "
                  f"{r['extra']} of {r['found']} {' '.join(bad)} | two-row {r['two_row']} missing "
                  f"{r['missing'].get('rows', [])} cut {r['cut']} rot_ok {r['rotation_ok']}",
                  flush=True)
    if ex:
        ex.shutdown()
    for k, c in sorted(by_fam.items()):
        n = sum(v for key, v in c.items() if key != "extra")
        print(f"{k:20s} {n:4d} entries: " + ", ".join(f"{key} {v}" for key, v in c.items()))
    yerr = np.abs([v for r in rows for v in r["yerr"]])
    if len(yerr):
        print(f"row edge |y error| of matched entries: median {np.median(yerr):.1f} px, "
              f"p90 {np.percentile(yerr, 90):.1f}, max {yerr.max():.1f}")
    print("total:", dict(total))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
