"""Which columns segmentation gets wrong, page by page (training families only).

    .venv/bin/python benchmarks/column_errors.py --layouts photo,hand-photo,mixed --pages 40
        [--difficulty hard] [--seed0 700000] [--jobs 2] [--dpi 200] [--cut-only] [--json out]
        [--print-families 7,8,9,10]

Generates pages as ``segment_errors.py`` does (same seeds), analyses each, matches found
entries to truth entries (quad IoU >= 0.5) and compares each field's cell with the truth's
cell (IoU of the axis-aligned boxes in the scan). A column is wrong on a page when the median
cell IoU of its fields is under 0.5 over the matched entries, or when the page calls it cut
and the truth shows it (or the reverse). Prints one line per imperfect page (status, the
truth's cut side and columns, the columns the page called cut, the wrong columns) and the
share of written fields whose ink box has IoU >= 0.5. Refuses held-out families.
``--print-families`` prints the forms in other fonts than the family's (indexes of
``fonts.print_font_path``; 7-10 are fonts no family uses): a probe for header reading in
type never seen, on training-side families and seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_segment import TEMPLATES, _iou, _match, _rotation  # noqa: E402


def run_page(args: tuple) -> dict:
    import cv2

    cv2.setNumThreads(1)
    from preprocessing import analyze_page
    from sohoa.synth import HELD_OUT, generate_page
    from sohoa.template import load_template

    tid, difficulty, seed, family, dpi, print_fams = args
    if family in HELD_OUT:
        raise SystemExit(f"{family} is held out: measure it with bench_segment.py only")
    if print_fams:
        from dataclasses import replace

        from sohoa.synth import families

        families.FAMILIES[family] = replace(families.FAMILIES[family],
                                            print_families=print_fams)
    tpl = load_template(tid)
    page = generate_page(tpl, seed, difficulty=difficulty, font_role="bench",
                         rotation=_rotation(seed), layout=family, dpi=dpi)
    layout = analyze_page(page.image, tpl)
    return score(page.truth, layout, tpl) | {
        "template": tid, "difficulty": difficulty, "seed": seed, "family": family}


def score(truth: dict, layout, tpl) -> dict:  # noqa: ANN001
    """Per column: median cell IoU over the matched entries; field ink-box IoUs."""
    found = list(layout.entries)
    pairs = _match(truth["entries"], found)
    col_of = {f.name: c.number for c in tpl.columns for f in c.fields}
    per_col: dict[int, list[float]] = {}
    ious: list[float] = []
    for ti, fi in pairs:
        te, fe = truth["entries"][ti], found[fi]
        for name, box in fe.fields.items():
            tf = te["fields"].get(name)
            if tf is None:
                continue
            ious.append(0.0 if box.empty else _iou(tf["bbox"], box.bbox))
            if box.cell is not None and "cell" in tf and not tf.get("cut"):
                xs = [p[0] for p in box.cell]
                ys = [p[1] for p in box.cell]
                cb = (min(xs), min(ys), max(xs), max(ys))
                per_col.setdefault(col_of[name], []).append(_iou(tf["cell"], cb))
    cut = truth.get("layout", {}).get("cut") or {}
    said = sorted({col_of[n] for e in found for n, f in e.fields.items() if f.reason})
    wrong = sorted(c for c, v in per_col.items()
                   if np.median(v) < 0.5 and c not in cut.get("partial_columns", []))
    return {"status": layout.status, "truth_cut": cut.get("columns", []),
            "partial": cut.get("partial_columns", []), "side": cut.get("side", ""),
            "said_cut": said, "wrong": wrong, "ious": ious, "tp": len(pairs),
            "truth_n": len(truth["entries"]), "found_n": len(found),
            "col_iou": {c: round(float(np.median(v)), 2) for c, v in sorted(per_col.items())}}


def _bad_cut(r: dict) -> list[int]:
    """Columns the page calls cut that the truth shows whole, or gone ones it keeps (a
    column the cut runs through may be either)."""
    return sorted((set(r["truth_cut"]) ^ set(r["said_cut"])) - set(r["partial"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layouts", default="photo,hand-photo,mixed")
    ap.add_argument("--pages", type=int, default=20, help="pages per difficulty")
    ap.add_argument("--difficulty", default="hard")
    ap.add_argument("--seed0", type=int, default=700_000)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--cut-only", action="store_true", help="list only pages the cut removed "
                    "columns from or cut into")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--print-families", default="", help="print fonts instead of the "
                    "family's, e.g. 7,8,9,10 (fonts no family uses)")
    args = ap.parse_args()
    fams = args.layouts.split(",")
    print_fams = tuple(int(x) for x in args.print_families.split(",") if x)
    if 3 in print_fams:
        raise SystemExit("print family 3 is the held-out families' font")
    work = [(TEMPLATES[i % len(TEMPLATES)], d, args.seed0 + 1000 * j + i, fams[i % len(fams)],
             args.dpi, print_fams)
            for j, d in enumerate(("easy", "hard")) if d in args.difficulty.split(",")
            for i in range(args.pages)]
    from concurrent.futures import ProcessPoolExecutor

    ex = ProcessPoolExecutor(args.jobs) if args.jobs > 1 else None
    rows = []
    for r in (ex.map(run_page, work) if ex else map(run_page, work)):
        is_cut = bool(r["truth_cut"] or r["partial"])
        if args.cut_only and not is_cut:
            continue
        rows.append(r)
        bad_cut = _bad_cut(r)
        share = float(np.mean(np.array(r["ious"]) >= 0.5)) if r["ious"] else 0.0
        perfect = not r["wrong"] and not bad_cut and r["tp"] == r["truth_n"] == r["found_n"]
        if not perfect:
            print(f"{r['family']:10s} {r['difficulty']} {r['template']} {r['seed']}: "
                  f"{r['status'][:60]!r} entries {r['tp']}/{r['truth_n']} (found "
                  f"{r['found_n']}) cut {r['side']} {r['truth_cut']} partial {r['partial']} "
                  f"said {r['said_cut']} wrong {r['wrong']} fields>=0.5 {share:.2f}",
                  flush=True)
    if ex:
        ex.shutdown()
    ious = np.array([v for r in rows for v in r["ious"]])
    perfect = sum(1 for r in rows if not r["wrong"] and not _bad_cut(r)
                  and r["tp"] == r["truth_n"] == r["found_n"])
    print(f"{len(rows)} pages, {perfect} perfect; fields IoU >= 0.5: "
          f"{float(np.mean(ious >= 0.5)) if len(ious) else 0:.4f}, p10 "
          f"{float(np.percentile(ious, 10)) if len(ious) else 0:.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
