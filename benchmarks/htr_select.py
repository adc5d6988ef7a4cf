"""Choose a training run's checkpoint with the reading the product ships with (beam, character
LMs, the stretch, the input steps), on training-side crops only: the run's greedy validation
CER picked checkpoints whose beam reading was worse (docs/htr.md, sixth candidate).

Three sets, none of them measuring data (no held-out writer, no bench font):
- ``strokes``: training-side stroke writers (seeds from ``TRAINING_WRITER_SEED0``, in the
  validation range no training run draws), as ``bench_htr.py --writers training``;
- ``lines``: field values in the "test" fonts (validation role), degraded like cells;
- ``page``: single-line fields cut from generated pages written in the "test" fonts.

    .venv/bin/python benchmarks/htr_select.py --run runs/htr-v6 [--every 4] [--base htr-v4]

Each kept epoch (``sohoa train --keep-epochs``) and the base model are read; prints a table and
writes ``RUN/select.json``. The rule that picks (fixed before any held-out measurement): the
lowest ``strokes`` CER among the epochs whose ``lines`` and ``page`` CER are each at most the
base's + 0.1 point.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_htr import _cached, _run, line_crops, page_crops, stroke_crops  # noqa: E402

from models.evaluate import score  # noqa: E402

SEED = 20261204
SLACK = 0.001  # lines / page may be at most this much worse than the base's


def read_sets(model_dir: str, sets: dict[str, list]) -> dict[str, float]:
    from ocr import get_engine

    eng = get_engine("htr", device="cpu", model_dir=model_dir)
    out = {}
    for name, crops in sets.items():
        preds, _ = _run(eng, crops)
        out[name] = score(preds, [t for _, t, _ in crops], [k for k, _, _ in crops])["cer"]
    return out


def choose(rows: dict[str, dict[str, float]], base: str) -> str:
    """The rule above: the epoch with the lowest strokes CER whose lines and page CER are no
    worse than the base's + SLACK; the base itself when none qualifies."""
    b = rows[base]
    ok = [k for k, r in rows.items() if k != base and r["lines"] <= b["lines"] + SLACK
          and r["page"] <= b["page"] + SLACK]
    return min(ok, key=lambda k: rows[k]["strokes"], default=base)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="a training run folder with epochs/")
    ap.add_argument("--every", type=int, default=4, help="read every n-th epoch (and the last)")
    ap.add_argument("--base", default="models/weights/htr-v4", help="the model to beat")
    ap.add_argument("--crops-cache", default="runs/select-crops")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    sets = {
        "strokes": _cached(args.crops_cache, f"strokes-training-{SEED}", lambda: stroke_crops(
            40, SEED, held_out=False)),
        "lines": _cached(args.crops_cache, f"lines-test-{SEED}",
                         lambda: line_crops(30, SEED, font_role="test")),
        "page": _cached(args.crops_cache, f"page-test-{SEED}",
                        lambda: page_crops(6, SEED, font_role="test")),
    }
    run = Path(args.run)
    epochs = sorted((run / "epochs").iterdir())
    picked = [p for i, p in enumerate(epochs) if (i + 1) % args.every == 0 or p == epochs[-1]]
    out_file = run / "select.json"
    rows: dict[str, dict[str, Any]] = json.loads(out_file.read_text()) if out_file.exists() else {}
    for key, folder in [(args.base, Path(args.base)), *[(p.name, p) for p in picked]]:
        if key not in rows:
            rows[key] = read_sets(str(folder), sets)
            out_file.write_text(json.dumps(rows, indent=2), "utf-8")
        r = rows[key]
        print(f"{key}: strokes {r['strokes']:.2%}  lines {r['lines']:.2%}  page {r['page']:.2%}",
              flush=True)
    print(f"chosen: {choose(rows, args.base)}  (crops: " +
          ", ".join(f"{k} {len(v)}" for k, v in sets.items()) + ")")


if __name__ == "__main__":
    main()
