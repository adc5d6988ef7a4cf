"""CPU cost of reading cramped lines again stretched (``ocr.htr`` STRETCH_*): CPU seconds per
crop of ``HTREngine._read`` with the stretch off and on, 1 torch thread, on cached crop sets
(``bench_htr.py --crops-cache`` page crops, ``htr_stretch_tune.py`` validation writers' lines).

    .venv/bin/python benchmarks/htr_stretch_cost.py runs/bench-crops/page-20261130-60-8.npz ...
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="+", help=".npz crop sets (kinds, texts, images)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from models.recognize import log_probs
    from ocr.htr import STRETCH_BELOW, HTREngine, greedy_frames_per_char
    from sohoa.records import FieldKind

    engines = {s: HTREngine(device="cpu", model_dir=args.model, stretch=s)
               for s in (False, True)}
    for path in args.sets:
        data = np.load(path, allow_pickle=True)
        images = list(data["images"])
        kinds = [FieldKind(str(k)) for k in data["kinds"]]
        eng = engines[False]
        lps = log_probs(eng.net, eng.model.config.height, images, "cpu")
        share = float(np.mean([greedy_frames_per_char(lp) < STRETCH_BELOW for lp in lps]))
        row = {}
        for s, e in engines.items():
            e._read(images, kinds, 64)  # warm
            t = time.process_time()
            for _ in range(args.repeat):
                e._read(images, kinds, 64)
            row[s] = (time.process_time() - t) / args.repeat / len(images)
        print(f"{path}: {len(images)} crops, {share:.1%} stretched; CPU ms/crop off "
              f"{row[False] * 1000:.2f}, on {row[True] * 1000:.2f} "
              f"(+{(row[True] / row[False] - 1):.0%})")


if __name__ == "__main__":
    main()
