"""Run every benchmark in this folder at its quick size (``--full`` for the documented sizes).

    .venv/bin/python benchmarks/run_all.py [--full] [--only synth,segment]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="documented sizes (slow)")
    ap.add_argument("--only", default="", help="comma-separated names, e.g. synth,export")
    args = ap.parse_args()
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        cmd = [sys.executable, str(script)] + ([] if args.full else ["--quick"])
        print(f"\n## {name}\n", flush=True)
        if subprocess.run(cmd).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
