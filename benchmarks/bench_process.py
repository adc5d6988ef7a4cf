"""End-to-end processing speed and memory (issue: batch processing).

Measures, in one run on the same generated pages:
- pages per minute of `sohoa process` with 1 and 2 workers (the scaling ratio), and the CPU
  seconds per page they took (user + system of the process and its workers): the machine is
  shared, so wall figures move with the load while CPU seconds and ratios hold,
- plain `tesseract` full-page OCR (vie, psm 3) of the same pages (the ratio to our pipeline,
  by wall time and by CPU time),
- in-process CPU seconds per page of each stage of the read path on one thread (segmentation,
  network, decoding, choice), and with ``--profile FILE`` the cProfile of that path,
- peak memory (max RSS of the process and its workers) for 10 and 100 pages: it must not grow
  with the page count; and the resident memory after each stored page (from ``sohoa -v
  process``'s debug log) with its slope past page 10, in MB per 100 pages.

    .venv/bin/python benchmarks/bench_process.py [--quick] [--engine htr]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SOHOA = [sys.executable, "-m", "sohoa.cli"]


def make_pages(folder: Path, n: int, distinct: int, seed: int) -> list[Path]:
    """``n`` page images: ``distinct`` generated pages, the rest shifted/noised copies (a new
    sha256 each, so ingest stores every one)."""
    from sohoa.synth import generate_page
    from sohoa.template import load_template

    folder.mkdir(parents=True, exist_ok=True)
    tpl = load_template("ks-2006")
    base = [generate_page(tpl, seed=seed + i, difficulty="hard", font_role="bench").image
            for i in range(min(n, distinct))]
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        img = base[i % len(base)]
        if i >= len(base):
            img = np.roll(img, int(rng.integers(-8, 8)), axis=1).copy()
            img[rng.integers(0, img.shape[0]), :, :] = rng.integers(0, 255)
        path = folder / f"page-{i + 1:04d}.png"
        Image.fromarray(img).save(path)
        paths.append(path)
    return paths


def run_child(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd`` in a fresh Python that reports wall seconds and its children's max RSS (MB);
    also returns the command's stderr."""
    secs, mb, _, log = run_child_cpu(cmd)
    return secs, mb, log


def run_child_cpu(cmd: list[str]) -> tuple[float, float, float, str]:
    """``run_child`` that also gives the CPU seconds (user + system) the command used."""
    code = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        f"subprocess.run({cmd!r}, check=True, stdout=subprocess.DEVNULL)\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps([time.perf_counter() - t, r.ru_maxrss / 1024,"
        " r.ru_utime + r.ru_stime]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    secs, mb, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return secs, mb, cpu, out.stderr


def workspace(tmp: Path, name: str, pages: list[Path], precision: str = "auto",
              model: str | None = None) -> Path:
    ws = tmp / name
    subprocess.run([*SOHOA, "ingest", *map(str, pages), "-w", str(ws), "--type", "KS", "--year",
                    "2008", "--volume", "01/2008", "--commune", "Chiềng Cơi", "--template",
                    "ks-2006", "-q"], check=True, stdout=subprocess.DEVNULL)
    if model:  # read with another model than the shipped default, as a user chooses one
        subprocess.run([*SOHOA, "models", "use", model, "--workspace", str(ws)], check=True,
                       stdout=subprocess.DEVNULL)
    if precision != "auto":  # the htr engine's (ocr.cpu_inference), as a user sets it
        (ws / "settings.toml").write_text(f'precision = "{precision}"\n', encoding="utf-8")
    return ws


def process(ws: Path, engine: str, workers: int, trace: bool = False) -> tuple[float, float, str]:
    return run_child(process_cmd(ws, engine, workers, trace))


def process_cmd(ws: Path, engine: str, workers: int, trace: bool = False) -> list[str]:
    return [*SOHOA, *(["-v"] if trace else []), "process", "-w", str(ws), "--engine", engine,
            "--workers", str(workers), "--device", "cpu"]


def rss_trace(log: str) -> dict[int, float]:
    """Pages done -> resident MB after that page, from ``sohoa -v process``'s debug lines."""
    return {int(n): float(mb) for n, mb in re.findall(r"(\d+) pages done; rss (\d+) MB", log)}


def slope_per_100(trace: dict[int, float], start: int) -> float:
    """Least-squares growth of the resident memory from page ``start`` on, MB per 100 pages."""
    pts = [(n, mb) for n, mb in sorted(trace.items()) if n >= start]
    if len(pts) < 3:
        return float("nan")
    x, y = np.array(pts, dtype=np.float64).T
    return float(np.polyfit(x, y, 1)[0] * 100)


def tesseract_pages(pages: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds of plain full-page Tesseract over ``pages``."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    for p in pages:
        subprocess.run(["tesseract", str(p), "-", "-l", "vie", "--psm", "3"], check=True,
                       capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return time.perf_counter() - t, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 speed pages, 4/12 memory pages")
    ap.add_argument("--engine", default="htr")
    ap.add_argument("--pages", type=int, default=10, help="pages for the speed comparison")
    ap.add_argument("--memory-only", action="store_true",
                    help="only the 10/100-page memory runs (kept with the last speed figures)")
    ap.add_argument("--profile", type=Path, help="write the cProfile stats of the read path")
    ap.add_argument("--speed-only", action="store_true",
                    help="skip the memory runs (kept with the last memory figures)")
    ap.add_argument("--workers", default="1,2", help="worker counts of the speed runs")
    ap.add_argument("--no-tesseract", action="store_true", help="skip plain tesseract")
    ap.add_argument("--no-stages", action="store_true", help="skip the in-process stages")
    ap.add_argument("--out", type=Path, help="result JSON (default results/process.json)")
    ap.add_argument("--model", help="htr model name to read with (default: the shipped one; "
                    "`sohoa models list`)")
    ap.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                    help="the htr engine's on the CPU (settings.toml precision; auto: bf16 "
                         "where the CPU computes it natively)")
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",") if w]
    n_speed = 4 if args.quick else args.pages
    n_small, n_large = (4, 12) if args.quick else (10, 100)
    tmp = Path(tempfile.mkdtemp(prefix="bench-process-"))
    try:
        pages = make_pages(tmp / "scans", n_speed if args.speed_only else max(n_large, n_speed),
                           distinct=n_speed, seed=9100)
        speed = pages[:n_speed]
        out = args.out or ROOT / "benchmarks" / "results" / "process.json"
        from ocr.cpu_inference import resolve_precision

        res: dict = {"engine": args.engine, "model": args.model or "shipped default",
                     "pages": n_speed, "precision": resolve_precision(args.precision, "cpu")}
        if (args.memory_only or args.speed_only) and out.exists():
            last = json.loads(out.read_text())  # keep the figures of the part not rerun
            res = last if args.memory_only else {
                **{k: v for k, v in last.items() if k.startswith("memory_")}, **res}
        if not args.memory_only and not args.no_stages:
            from bench_process_stages import stage_seconds

            ws = workspace(tmp, "stages", speed[:1], args.precision, args.model) \
                if args.model else None
            res["stages_cpu_s_per_page"] = stage_seconds(speed, args.engine, args.profile,
                                                         args.precision, ws)
        for workers in (() if args.memory_only else counts):
            secs, mb, cpu, _ = run_child_cpu(
                process_cmd(workspace(tmp, f"w{workers}", speed, args.precision, args.model),
                            args.engine,
                            workers))
            res[f"workers_{workers}"] = {"seconds": secs, "pages_per_min": 60 * n_speed / secs,
                                         "peak_mb": mb, "cpu_s_per_page": cpu / n_speed,
                                         "pages_per_min_2_cores_by_cpu": 120 * n_speed / cpu}
        if not args.memory_only and not args.no_tesseract:
            t_secs, t_cpu = tesseract_pages(speed)
            res["tesseract_full_page"] = {"seconds": t_secs,
                                          "pages_per_min": 60 * n_speed / t_secs,
                                          "cpu_s_per_page": t_cpu / n_speed}
        if "workers_1" in res and "workers_2" in res:
            res["scaling_2_over_1"] = (res["workers_2"]["pages_per_min"]
                                       / res["workers_1"]["pages_per_min"])
        if "workers_1" in res and "tesseract_full_page" in res:
            res["ours_over_tesseract"] = (res["workers_1"]["pages_per_min"]
                                          / res["tesseract_full_page"]["pages_per_min"])
        if "workers_2" in res and "cpu_s_per_page" in res.get("tesseract_full_page", {}):
            res["tesseract_cpu_over_ours_cpu"] = (res["tesseract_full_page"]["cpu_s_per_page"]
                                                  / res["workers_2"]["cpu_s_per_page"])
        for n in (() if args.speed_only else (n_small, n_large)):
            secs, mb, cpu, log = run_child_cpu(
                process_cmd(workspace(tmp, f"m{n}", pages[:n], args.precision, args.model),
                            args.engine, 1,
                            trace=True))
            trace = rss_trace(log)
            res[f"memory_{n}_pages"] = {
                "peak_mb": mb, "seconds": secs, "cpu_s": cpu,
                "rss_after_page_mb": {str(k): v for k, v in sorted(trace.items())},
                "rss_slope_mb_per_100_pages_after_10": slope_per_100(trace, 10)}
        if f"memory_{n_large}_pages" in res and f"memory_{n_small}_pages" in res:
            big, small = res[f"memory_{n_large}_pages"], res[f"memory_{n_small}_pages"]
            res["memory_ratio_large_over_small"] = big["peak_mb"] / small["peak_mb"]
            if "cpu_s" in big and "cpu_s" in small:  # start-up and warm-up cancel out
                res["workers_1_marginal_cpu_s_per_page"] = (
                    (big["cpu_s"] - small["cpu_s"]) / (n_large - n_small))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    report(res, args.engine, n_small, n_large)


def report(res: dict, engine: str, n_small: int, n_large: int) -> None:
    """The results as a Markdown table."""
    prec = f", {res['precision']}" if res.get("precision") else ""
    print(f"| measure ({engine}{prec}, 2 cores) | value |\n|---|---|")
    for w in (1, 2):
        r = res.get(f"workers_{w}")
        if r is None:
            continue
        print(f"| process, {w} worker(s) | {r['pages_per_min']:.1f} pages/min wall, "
              f"{r.get('cpu_s_per_page', float('nan')):.2f} CPU s/page, "
              f"{r.get('pages_per_min_2_cores_by_cpu', float('nan')):.1f} pages/min on 2 "
              f"free cores by CPU, peak {r['peak_mb']:.0f} MB |")
    t = res.get("tesseract_full_page")
    if t is not None:
        print(f"| plain tesseract full page | {t['pages_per_min']:.1f} pages/min wall, "
              f"{t.get('cpu_s_per_page', float('nan')):.2f} CPU s/page |")
    if "scaling_2_over_1" in res:
        print(f"| scaling 2 workers / 1 | {res['scaling_2_over_1']:.2f} |")
    if "ours_over_tesseract" in res:
        print(f"| ours / plain tesseract (wall, 1 worker) | {res['ours_over_tesseract']:.2f} |")
    if "tesseract_cpu_over_ours_cpu" in res:
        print(f"| tesseract CPU s / ours (2 workers) per page | "
              f"{res['tesseract_cpu_over_ours_cpu']:.2f} |")
        print(f"| pages/min on 2 free cores from CPU s (2 workers) | "
              f"{res['workers_2']['pages_per_min_2_cores_by_cpu']:.1f} |")
    if "workers_1_marginal_cpu_s_per_page" in res:
        m = res["workers_1_marginal_cpu_s_per_page"]
        print(f"| process, 1 worker, CPU s per page past the first {n_small} (no start-up) | "
              f"{m:.2f} ({120 / m:.1f} pages/min on 2 free cores) |")
    for stage, secs in res.get("stages_cpu_s_per_page", {}).items():
        unit = "" if stage.startswith("share") else " CPU s/page"
        print(f"| read path, {stage} | {secs:.3f}{unit} |")
    for n in (n_small, n_large):
        if f"memory_{n}_pages" in res:
            print(f"| peak memory, {n} pages | {res[f'memory_{n}_pages']['peak_mb']:.0f} MB |")
    if "memory_ratio_large_over_small" in res:
        print(f"| memory ratio {n_large}/{n_small} pages | "
              f"{res['memory_ratio_large_over_small']:.2f} |")
    big = res.get(f"memory_{n_large}_pages", {})
    if "rss_after_page_mb" in big:
        rss = big["rss_after_page_mb"]
        first, last = rss.get(str(n_small), float("nan")), rss.get(str(n_large), float("nan"))
        print(f"| resident after page {n_small} / {n_large} | {first:.0f} / {last:.0f} MB |")
        print(f"| resident slope past page 10 | "
              f"{big['rss_slope_mb_per_100_pages_after_10']:+.1f} MB per 100 pages |")

if __name__ == "__main__":
    main()
