"""Page analysis accuracy, speed and memory on generated register pages.

    .venv/bin/python benchmarks/bench_segment.py [--quick] [--pages N] [--jobs J] [--dpi 300]
        [--layouts default|held-out|FAMILY,...]

For each template (ks-2006, kt-2006, kh-2006) and difficulty (easy, hard) it generates pages
with the "bench" fonts (seeds disjoint from the tests'; three pages in ten turned by a quarter or
half turn) and measures: entry precision/recall at IoU >= 0.5 of the row quadrilaterals, median field-box IoU, empty-cell
agreement, blank/struck rows, skew error (median, p95), rotation accuracy, seconds per page on
one core (cv2.setNumThreads(1), CPU time of the analysis only), and peak memory (tracemalloc
peak of a second, untimed analysis of the page; max RSS of the worker). Prints a Markdown table and writes
``benchmarks/results/segment.json``. ``--jobs`` spreads pages over processes (each still
single-threaded), which changes nothing but the wall-clock time of the run.

``--layouts held-out`` draws the pages from the held-out layout families
(``sohoa.synth.HELD_OUT``: other column proportions, number rows, two-level headers, 5-15
uneven rows, hand-drawn and missing lines, cut edges and perspective on hard pages), cycling
families and templates, and writes ``results/segment-heldout.json``; entry F1 is the
harmonic mean of precision and recall at quad IoU >= 0.5.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "segment.json"
TEMPLATES = ("ks-2006", "kt-2006", "kh-2006")
DIFFICULTIES = ("easy", "hard")
SEED_BASE = 500_000  # tests use small seeds; the benchmark never reuses them


def _iou(a: list[int] | tuple[int, ...], b: list[int] | tuple[int, ...]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _quad_iou(a: list, b: list) -> float:
    """IoU of two convex quadrilaterals (axis-aligned boxes of skewed rows overlap a lot)."""
    import cv2

    pa, pb = np.array(a, np.float32).reshape(4, 2), np.array(b, np.float32).reshape(4, 2)
    inter, _ = cv2.intersectConvexConvex(pa, pb)
    union = cv2.contourArea(pa) + cv2.contourArea(pb) - inter
    return float(inter / union) if union > 0 else 0.0


def _match(truth: list[dict], found: list) -> list[tuple[int, int]]:
    """Pairs (truth index, found index) with quad IoU >= 0.5, best pairs first."""
    pairs = sorted(((_quad_iou(t["quad"], f.quad), i, j) for i, t in enumerate(truth)
                    for j, f in enumerate(found)), reverse=True)
    used_t: set[int] = set()
    used_f: set[int] = set()
    out = []
    for v, i, j in pairs:
        if v < 0.5:
            break
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            out.append((i, j))
    return out


def _rotation(seed: int) -> int:
    r = seed % 10
    return {7: 90, 8: 180, 9: 270}.get(r, 0)


def measure_page(args: tuple) -> dict:
    """Generate one page, analyse it, compare with its truth."""
    import cv2

    cv2.setNumThreads(1)
    from preprocessing import analyze_page
    from sohoa.synth import generate_page
    from sohoa.template import load_template

    tid, difficulty, seed, dpi = args[:4]
    family = args[4] if len(args) > 4 else None
    tpl = load_template(tid)
    page = generate_page(tpl, seed, difficulty=difficulty, font_role="bench",
                         rotation=_rotation(seed), dpi=dpi, layout=family)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    layout = analyze_page(page.image, tpl)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    tracemalloc.start()  # a second, untimed run: tracemalloc slows numpy-heavy code ~2x
    analyze_page(page.image, tpl)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return _score(page, layout, tid, difficulty, seed, family, cpu, wall, peak)


def measure_book(args: tuple) -> list[dict]:
    """Generate one book's pages (one layout draw, each page its own capture), analyse each
    page alone and the book as ``sohoa process`` does (preprocessing.book.analyze_book), and
    compare both with the truth: a row per page and mode ("alone", "book")."""
    import cv2

    cv2.setNumThreads(1)
    from preprocessing import analyze_page
    from preprocessing.book import analyze_book
    from preprocessing.consensus import pitch_off, prior_of
    from sohoa.synth import generate_page
    from sohoa.template import load_template

    tid, difficulty, seed, dpi, family, k = args
    tpl = load_template(tid)
    pages = [generate_page(tpl, seed, difficulty=difficulty, font_role="bench", page_no=p + 1,
                           rotation=_rotation(seed + p), dpi=dpi, layout=family)
             for p in range(k)]
    rows = []
    for p, page in enumerate(pages):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        layout = analyze_page(page.image, tpl)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        rows.append(_score(page, layout, tid, difficulty, seed, family, cpu, wall, 0,
                           mode="alone", page_no=p + 1))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    book = analyze_book([p.image for p in pages], tpl)
    cpu, wall = (time.process_time() - cpu0) / k, (time.perf_counter() - wall0) / k
    prior = prior_of(book)  # the book's row height: a page far off it is flagged
    for p, (page, layout) in enumerate(zip(pages, book, strict=True)):
        rows.append(_score(page, layout, tid, difficulty, seed, family, cpu, wall, 0,
                           mode="book", page_no=p + 1,
                           pitch_off=pitch_off(layout.geometry, prior)))
    return rows


def _score(page, layout, tid: str, difficulty: str, seed: int, family: str | None,  # noqa: ANN001
           cpu: float, wall: float, peak: float, **extra: object) -> dict:
    """One analysed page against its truth."""
    truth = page.truth
    found = list(layout.entries)
    t_entries = truth["entries"]
    pairs = _match(t_entries, found)
    tp = len(pairs)
    field_ious: list[float] = []
    empty_ok = empty_n = 0
    for ti, fi in pairs:
        te, fe = t_entries[ti], found[fi]
        for name, box in fe.fields.items():
            written = name in te["fields"]
            empty_n += 1
            empty_ok += int(box.empty != written)
            if written:
                field_ious.append(_iou(te["fields"][name]["bbox"], box.bbox) if not box.empty
                                  else 0.0)
    geo = layout.geometry
    return {
        "template": tid, "difficulty": difficulty, "seed": seed, "layout": family or "default",
        "cut": bool(truth.get("layout", {}).get("cut")),
        "size": [int(page.image.shape[1]), int(page.image.shape[0])],
        "status": layout.status, "truth_entries": len(t_entries), "found_entries": len(found),
        "tp": tp, "field_ious": field_ious, "empty_ok": empty_ok, "empty_n": empty_n,
        "angle_err": abs(layout.angle - truth["angle"]),
        "rotation_ok": layout.rotation == truth["rotation"],
        "truth_blank": len(truth["blank_rows"]), "skipped": len(layout.skipped_rows),
        "prior_used": bool(geo is not None and geo.prior_used),
        "cpu_s": cpu, "wall_s": wall, "peak_mb": peak / 2**20,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra,
    }


def summarise(rows: list[dict]) -> dict:
    tp = sum(r["tp"] for r in rows)
    truth = sum(r["truth_entries"] for r in rows)
    found = sum(r["found_entries"] for r in rows)
    ious = [v for r in rows for v in r["field_ious"]]
    errs = np.array([r["angle_err"] for r in rows])
    prec = tp / found if found else 0.0
    rec = tp / truth if truth else 0.0
    return {
        "pages": len(rows),
        "ok_pages": sum(r["status"] == "ok" for r in rows),
        "no_entry_pages": sum(r["found_entries"] == 0 for r in rows),
        "entry_precision": round(prec, 4),
        "entry_recall": round(rec, 4),
        "entry_f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0,
        "field_iou_median": round(float(np.median(ious)), 3) if ious else 0.0,
        "fields_iou_ge_0.5": _share(ious),
        "field_iou_p10": round(float(np.percentile(ious, 10)), 3) if ious else 0.0,
        "empty_agreement": round(sum(r["empty_ok"] for r in rows)
                                 / max(1, sum(r["empty_n"] for r in rows)), 4),
        "blank_rows_found": f"{sum(r['skipped'] for r in rows)}/{sum(r['truth_blank'] for r in rows)}",
        "angle_err_median": round(float(np.median(errs)), 3),
        "angle_err_p95": round(float(np.percentile(errs, 95)), 3),
        "rotation_accuracy": round(float(np.mean([r["rotation_ok"] for r in rows])), 4),
        "prior_used_pages": sum(r["prior_used"] for r in rows),
        "pitch_off_pages": f"{sum(_bad(r) for r in rows if r.get('pitch_off'))}"
                           f"/{sum(bool(r.get('pitch_off')) for r in rows)}",
        "cpu_s_per_page": round(float(np.mean([r["cpu_s"] for r in rows])), 3),
        "cpu_s_p95": round(float(np.percentile([r["cpu_s"] for r in rows], 95)), 3),
        "peak_mb_tracemalloc": round(float(max(r["peak_mb"] for r in rows)), 1),
        "maxrss_mb": round(float(max(r["maxrss_mb"] for r in rows)), 1),
    }


def _books(work: list[tuple], k: int, fams: tuple[str, ...] | None) -> list[tuple]:
    """The same number of pages per setting, drawn as books of ``k`` pages (the last of a
    setting may be shorter). Book b of a difficulty takes template b % 3 and family b % F
    (with ``fams``); its pages are pages 1..k of its seed (one layout draw, each page its own
    capture, degradations and writing). Seeds are disjoint from the page-alone runs'."""
    out = []
    settings = sorted({(w[0] if fams is None else "", w[1]) for w in work},
                      key=lambda s: (DIFFICULTIES.index(s[1]), s[0]))
    for tid, d in settings:
        n = sum(1 for w in work if w[1] == d and (fams is not None or w[0] == tid))
        j = DIFFICULTIES.index(d)
        for b, start in enumerate(range(0, n, k)):
            t = tid or TEMPLATES[b % len(TEMPLATES)]
            seed = SEED_BASE + 100_000 + 10_000 * j + 1000 * TEMPLATES.index(t) * (
                fams is None) + b
            out.append((t, d, seed, work[0][3], fams[b % len(fams)] if fams else None,
                        min(k, n - start)))
    return out


def _group(layouts: str, rows: list[dict]) -> dict:
    groups = {}
    if layouts == "default":
        for t in TEMPLATES:
            for d in DIFFICULTIES:
                sel = [r for r in rows if r["template"] == t and r["difficulty"] == d]
                if sel:
                    groups[f"{t} {d}"] = summarise(sel)
    else:
        for d in DIFFICULTIES:
            groups[d] = summarise([r for r in rows if r["difficulty"] == d])
            for fam in sorted({r["layout"] for r in rows}):
                sel = [r for r in rows if r["difficulty"] == d and r["layout"] == fam]
                if sel:
                    groups[f"{fam} {d}"] = summarise(sel)
        cut = [r for r in rows if r["cut"]]
        if cut:
            groups["cut pages"] = summarise(cut)
    groups["all"] = summarise(rows)
    return groups


def _share(ious: list[float]) -> float:
    return round(float(np.mean(np.array(ious) >= 0.5)), 4) if ious else 0.0


def _bad(r: dict) -> bool:
    """A page with missed or extra entries."""
    return r["tp"] != r["truth_entries"] or r["found_entries"] != r["truth_entries"]


def _progress(done: int, total: int, t0: float) -> None:
    if done % 10 == 0 or done == total or total < 30:
        print(f"{done}/{total} pages, {time.perf_counter() - t0:.0f} s", file=sys.stderr,
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 pages per template and difficulty")
    ap.add_argument("--pages", type=int, default=25,
                    help="pages per template and difficulty (25 easy + 25 hard = 50 a template)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (one core each)")
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--out", type=Path, default=None,
                    help="results file (default results/segment.json, --quick: segment-quick, "
                         "--layouts held-out: segment-heldout)")
    ap.add_argument("--layouts", default="default",
                    help="default (per template and difficulty), held-out, or a comma list of "
                         "families (--pages pages per difficulty, cycling families, templates)")
    ap.add_argument("--book-pages", type=int, default=0,
                    help="draw the pages as books of K pages (one layout draw a book) and "
                         "report each page alone and analysed as a book (book consensus)")
    args = ap.parse_args()
    n = 3 if args.quick else args.pages
    fams = None
    if args.layouts == "default":
        if args.out is None:
            args.out = RESULTS.with_name("segment-quick.json") if args.quick else RESULTS
        work = [(t, d, SEED_BASE + i, args.dpi)
                for t in TEMPLATES for d in DIFFICULTIES for i in range(n)]
    else:
        from sohoa.synth import HELD_OUT

        fams = HELD_OUT if args.layouts == "held-out" else tuple(args.layouts.split(","))
        if args.out is None:
            name = "heldout" if args.layouts == "held-out" else "layouts"
            args.out = RESULTS.with_name(f"segment-{name}{'-quick' if args.quick else ''}.json")
        work = [(TEMPLATES[i % len(TEMPLATES)], d, SEED_BASE + 1000 * j + i, args.dpi,
                 fams[i % len(fams)]) for j, d in enumerate(DIFFICULTIES) for i in range(n)]
    if args.book_pages:
        work = _books(work, args.book_pages, fams)
        measure = measure_book
    else:
        measure = measure_page
    t0 = time.perf_counter()
    rows: list[dict] = []
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as ex:
            for done, r in enumerate(ex.map(measure, work,
                                            chunksize=1 if args.book_pages else 2), 1):
                rows.extend(r if isinstance(r, list) else [r])
                _progress(done, len(work), t0)
    else:
        for done, w in enumerate(work, 1):
            r = measure(w)
            rows.extend(r if isinstance(r, list) else [r])
            _progress(done, len(work), t0)
    if args.book_pages:  # the same pages alone and as books, side by side
        groups = {}
        for mode in ("alone", "book"):
            sub = _group(args.layouts, [r for r in rows if r["mode"] == mode])
            groups.update({f"{name} {mode}": g for name, g in sub.items()})
        groups = dict(sorted(groups.items(), key=lambda kv: kv[0].rsplit(" ", 1)[0]))
        book_rows = [r for r in rows if r["mode"] == "book"]
        alone = {(r["seed"], r["difficulty"], r["page_no"]): r for r in rows
                 if r["mode"] == "alone"}
        changed = [{k: r[k] for k in ("template", "difficulty", "seed", "page_no", "layout",
                                      "status", "truth_entries", "tp", "found_entries")}
                   | {"alone_tp": alone[(r["seed"], r["difficulty"], r["page_no"])]["tp"],
                      "alone_found": alone[(r["seed"], r["difficulty"],
                                            r["page_no"])]["found_entries"],
                      "fields_iou_ge_0.5": _share(r["field_ious"]),
                      "alone_fields_iou_ge_0.5": _share(
                          alone[(r["seed"], r["difficulty"], r["page_no"])]["field_ious"])}
                   for r in book_rows if r["prior_used"]]
    else:
        groups = _group(args.layouts, rows)
        changed = []
        book_rows = rows
    failures = [{k: r[k] for k in ("template", "difficulty", "seed", "layout", "status",
                                   "truth_entries", "found_entries", "tp", "angle_err")
                 if k in r} | ({"page_no": r["page_no"]} if "page_no" in r else {})
                for r in book_rows if r["tp"] != r["truth_entries"]
                or r["found_entries"] != r["truth_entries"]]
    out = {
        "benchmark": "segment", "dpi": args.dpi, "pages_per_setting": n,
        "layouts": args.layouts, "font_role": "bench",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg": os.getloadavg()},
        "wall_s_total": round(time.perf_counter() - t0, 1), "groups": groups,
        "imperfect_pages": failures[:40],
    }
    if args.book_pages:
        out["book_pages"] = args.book_pages
        out["pages_with_book_prior"] = changed
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    cols = ["pages", "ok_pages", "entry_precision", "entry_recall", "entry_f1",
            "no_entry_pages", "field_iou_median", "fields_iou_ge_0.5",
            "empty_agreement", "blank_rows_found", "angle_err_median", "angle_err_p95",
            "rotation_accuracy", "cpu_s_per_page", "peak_mb_tracemalloc"]
    if args.book_pages:
        cols = [c for c in cols if c != "peak_mb_tracemalloc"] + ["prior_used_pages",
                                                                    "pitch_off_pages"]
    print("| set | " + " | ".join(cols) + " |")
    print("|" + "---|" * (len(cols) + 1))
    for name, g in groups.items():
        print(f"| {name} | " + " | ".join(str(g[c]) for c in cols) + " |")
    print(f"\n{len(failures)} pages with missed or extra entries; results in {args.out}")


if __name__ == "__main__":
    main()
