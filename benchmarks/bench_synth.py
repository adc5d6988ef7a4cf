"""Synthetic register generator speed: pages per second (easy and hard, 200 and 300 dpi) and
handwritten training lines per second, on one process.

    .venv/bin/python benchmarks/bench_synth.py [--quick]

Reports wall-clock and CPU time per page (this machine is shared; CPU time is what the
generator itself costs) and the load average during the run. Prints a Markdown table and
writes ``benchmarks/results/synth.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from sohoa.synth import HandStyle, generate_page, render_handwriting

RESULTS = Path(__file__).parent / "results" / "synth.json"
LINES = ("Lò Thị Ươi", "05/03/2008", "Bản Nà Sản, xã Chiềng Mung", "Giàng A Páo", "1987",
         "ngày 5 tháng 3 năm 2008", "Trạm y tế xã Mường Bú", "Ông nội", "Thái", "Việt Nam")


def _pages(difficulty: str, dpi: int, n: int) -> dict:
    generate_page("ks-2006", 999, difficulty, dpi=dpi)  # warm font caches
    wall0, cpu0 = time.perf_counter(), time.process_time()
    shapes = []
    for i in range(n):
        p = generate_page("ks-2006", 1000 + i, difficulty, dpi=dpi, page_no=1 + i % 3)
        shapes.append(p.image.shape[:2])
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "difficulty": difficulty, "dpi": dpi, "pages": n,
        "size": f"{int(np.mean([s[1] for s in shapes]))}x{int(np.mean([s[0] for s in shapes]))}",
        "wall_s_per_page": round(wall / n, 3), "cpu_s_per_page": round(cpu / n, 3),
        "pages_per_s_wall": round(n / wall, 2), "pages_per_s_cpu": round(n / cpu, 2),
    }


def _lines(n: int) -> dict:
    rng = np.random.default_rng(0)
    styles = [HandStyle.sample(rng, "train") for _ in range(20)]
    for s in styles:  # warm glyph caches, as a trainer's steady state
        render_handwriting(LINES[0], s, rng)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(n):
        render_handwriting(LINES[i % len(LINES)], styles[i % len(styles)], rng)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"lines": n, "lines_per_s_wall": round(n / wall, 1),
            "lines_per_s_cpu": round(n / cpu, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 pages per setting, 300 lines")
    args = ap.parse_args()
    n = 3 if args.quick else 10
    load0 = os.getloadavg()[0]
    rows = [_pages("easy", 200, n), _pages("hard", 200, n), _pages("easy", 300, max(2, n // 2))]
    lines = _lines(300 if args.quick else 2000)
    out = {
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, load avg {load0:.1f} -> "
                   f"{os.getloadavg()[0]:.1f} (shared with other jobs)",
        "pages": rows, "handwriting": lines, "quick": args.quick,
    }
    print("| difficulty | dpi | size (px) | pages | wall s/page | CPU s/page | pages/s (CPU) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['difficulty']} | {r['dpi']} | {r['size']} | {r['pages']} | "
              f"{r['wall_s_per_page']} | {r['cpu_s_per_page']} | {r['pages_per_s_cpu']} |")
    print(f"\nhandwritten lines: {lines['lines_per_s_cpu']} /s CPU, "
          f"{lines['lines_per_s_wall']} /s wall; {out['machine']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1), "utf-8")


if __name__ == "__main__":
    main()
