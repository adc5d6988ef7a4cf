"""Two ``bench_read.py`` results side by side, every field kind named: a change's no-worse
test must name each kind, or one kind's loss hides in the average (session 25: a line
splitter that read held-out places 4.7 -> 2.8 % also read register numbers 3.3 -> 27.6 %).

    .venv/bin/python benchmarks/read_compare.py BEFORE.json AFTER.json [--engine htr]
        [--worse 0.3]

Prints per difficulty the whole CER, the share of fields at confidence >= 0.9 and their
exact rate, then each kind's CER and exact rate before and after; a kind whose CER rose by
more than ``--worse`` points is marked. Exits 1 when any kind (or the whole) is marked, so a
rule's check can be scripted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def compare(before: dict[str, Any], after: dict[str, Any], engine: str = "htr",
            worse: float = 0.3) -> tuple[list[str], list[str]]:
    """Markdown lines of the comparison and the marked ``difficulty/kind`` names (CER up by
    more than ``worse`` points; ``difficulty/all`` for the whole)."""
    lines, marked = [], []
    b_res, a_res = before["results"][engine], after["results"][engine]
    for diff in sorted(set(b_res) & set(a_res)):
        b, a = b_res[diff], a_res[diff]
        lines += [f"### {diff}", "",
                  "| kind | CER before % | CER after % | change | exact before % | exact after % |",
                  "|---|---|---|---|---|---|"]
        rows = [("all", b, a)] + [(k, b["kinds"][k], a["kinds"][k])
                                  for k in sorted(set(b["kinds"]) & set(a["kinds"]))]
        for kind, kb, ka in rows:
            delta = 100 * (ka["cer"] - kb["cer"])
            flag = delta > worse
            if flag:
                marked.append(f"{diff}/{kind}")
            lines.append(f"| {kind} | {100 * kb['cer']:.2f} | {100 * ka['cer']:.2f} | "
                         f"{delta:+.2f}{' **worse**' if flag else ''} | "
                         f"{100 * kb['exact']:.1f} | {100 * ka['exact']:.1f} |")
        lines += ["", f"fields at confidence >= 0.9: {100 * b['share_at_0.9']:.1f} → "
                  f"{100 * a['share_at_0.9']:.1f} % of fields, {100 * b['exact_at_0.9']:.2f} → "
                  f"{100 * a['exact_at_0.9']:.2f} % exact", ""]
    return lines, marked


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--engine", default="htr")
    ap.add_argument("--worse", type=float, default=0.3,
                    help="CER points a kind may rise by before it is marked")
    args = ap.parse_args()
    docs = []
    for path in (args.before, args.after):
        try:
            docs.append(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError) as exc:
            print(f"{path}: not a bench_read result ({exc})", file=sys.stderr)
            return 2
    try:
        lines, marked = compare(*docs, engine=args.engine, worse=args.worse)
    except KeyError as exc:
        print(f"{args.before} / {args.after}: no {exc} in the results (engine "
              f"{args.engine!r}?)", file=sys.stderr)
        return 2
    print("\n".join(lines))
    if marked:
        print(f"worse by more than {args.worse} point: {', '.join(marked)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
