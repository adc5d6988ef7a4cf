"""Two ``bench_lines.py`` results set by set, with how sure each difference is: CER before and
after, the difference, and its 95 % interval from a paired bootstrap over the set's lines (the
same lines resampled together for both readings; a line's edits and characters are kept by
``bench_lines.py`` since session 30). A rule written as "no worse than + 0.2 point" can then be
read beside the noise of a 200-line set.

    .venv/bin/python benchmarks/lines_compare.py BEFORE.json AFTER.json [--boot 2000]

Sets named with ``@bend`` are also summed up as their mean CER (``bench_lines.py --bend``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np


def interval(a: dict[str, Any], b: dict[str, Any], boot: int, seed: int = 0
             ) -> tuple[float, float] | None:
    """The 95 % interval of CER(b) - CER(a) over ``boot`` resamples of the lines (both
    readings of the same lines); None when a result has no per-line counts."""
    if "line_edits" not in a or "line_edits" not in b or len(a["line_edits"]) != len(
            b["line_edits"]):
        return None
    ea, eb = np.asarray(a["line_edits"], float), np.asarray(b["line_edits"], float)
    chars = np.asarray(a["line_chars"], float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(chars), (boot, len(chars)))
    n = chars[idx].sum(axis=1)
    diffs = (eb[idx].sum(axis=1) - ea[idx].sum(axis=1)) / np.maximum(n, 1.0)
    lo, hi = np.percentile(diffs, (2.5, 97.5))
    return float(lo), float(hi)


def compare(before: dict[str, Any], after: dict[str, Any], boot: int) -> list[str]:
    rows = ["| set | before | after | change | 95 % interval |", "|---|---|---|---|---|"]
    bent: list[tuple[float, float]] = []
    for name, a in before["sets"].items():
        b = after["sets"].get(name)
        if b is None:
            continue
        ci = interval(a, b, boot)
        span = "-" if ci is None else f"{100 * ci[0]:+.2f} .. {100 * ci[1]:+.2f}"
        rows.append(f"| {name} | {100 * a['cer']:.2f} % | {100 * b['cer']:.2f} % | "
                    f"{100 * (b['cer'] - a['cer']):+.2f} | {span} |")
        if "@bend" in name:
            bent.append((a["cer"], b["cer"]))
    if bent:
        ma, mb = (float(np.mean([x[i] for x in bent])) for i in (0, 1))
        rows.append(f"| mean of {len(bent)} bent sets | {100 * ma:.2f} % | {100 * mb:.2f} % | "
                    f"{100 * (mb - ma):+.2f} | |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--boot", type=int, default=2000, help="bootstrap resamples")
    args = ap.parse_args()
    before, after = (json.loads(p.read_text("utf-8")) for p in (args.before, args.after))
    print("\n".join(compare(before, after, args.boot)))


if __name__ == "__main__":
    main()
