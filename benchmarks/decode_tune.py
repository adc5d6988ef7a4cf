"""Tuning the field decoder on TRAINING-side stroke writers only (never held-out ones).

Draws field values written by stroke writers of the training families (seeds below
``HELD_OUT_SEED0``, by default the validation range 930,000+ that no training run drew),
runs the network once (the engine's stretch rule included) and keeps each crop's CTC
log-probabilities in a cache, so decoder variants are compared on the same frames in
seconds:

    nice -n 5 .venv/bin/python benchmarks/decode_tune.py --cache runs/tune-lp.npz \
        [--per-kind 120] [--kinds name,place] [--show 20]

Prints CER / exact per kind of the decoder's best reading and of ``choose_reading``, and the
misreads of names and places by category (tone/diacritic only, one syllable, split/merge,
other). ``benchmarks/bench_htr.py --writers training`` gives the same crops' bench figures.

A new network's decoding weights (``models.decode_weights``: name, place, closed, lm, arpa)
are searched on its own cached outputs with ``--grid`` (every combination of the values
given; the one with the lowest mean CER over the cache's kinds wins) and written into its
model folder with ``--write`` (the ``decoding`` entry of its ``model.json``):

    benchmarks/decode_tune.py --model runs/x/best --cache runs/tune-x.npz --kinds name,place \
        --grid name=0.5,1,1.5 --grid place=2,3,4,6 --grid lm=0.25,0.5,1 --write
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

TUNE_SEED0 = 930_000  # training families, validation seed range, never trained on
VALUE_SEED = 7_151_515  # the held-out bench draws its values from 20261130


def draw(per_kind: int, kinds: tuple[str, ...], writers: int = 60, value_seed: int = VALUE_SEED):
    """(kind, truth, grey crop) of training-side stroke writers."""
    import bench_htr

    from models.data import stroke_line

    def write(text: str, rng: np.random.Generator, i: int) -> np.ndarray:
        w = TUNE_SEED0 + i % writers
        return stroke_line(text, rng, (w, w + 1), (22.0, 40.0))

    return bench_htr._value_crops(per_kind, value_seed, write, kinds=kinds)


def log_probs_of(engine, images, plain=None):  # type: ignore[no-untyped-def]
    """Each image's (T, C) log-probabilities as the engine decodes them (stretch included);
    ``plain``, a list, also gets the unstretched ones (None where not stretched)."""
    from models.recognize import log_probs
    from ocr.htr import STRETCH_BELOW, STRETCH_FACTOR, greedy_frames_per_char, stretch_width

    h = engine.model.config.height
    lps = log_probs(engine.net, h, images, engine.device, 64)
    if engine.stretch:
        cramped = [i for i, lp in enumerate(lps) if greedy_frames_per_char(lp) < STRETCH_BELOW]
        wide = log_probs(engine.net, h, [stretch_width(images[i], STRETCH_FACTOR)
                                         for i in cramped], engine.device, 64)
        if plain is not None:
            plain[:] = [None] * len(lps)
            for i in cramped:
                plain[i] = lps[i]
        for i, lp in zip(cramped, wide, strict=True):
            lps[i] = lp
    return lps


def load_or_make(cache: Path, per_kind: int, kinds: tuple[str, ...], engine,  # type: ignore[no-untyped-def]
                 value_seed: int = VALUE_SEED):
    if cache.exists():
        z = np.load(cache, allow_pickle=True)
        return list(z["kinds"]), list(z["texts"]), list(z["lps"])
    t0 = time.process_time()
    crops = draw(per_kind, kinds, value_seed=value_seed)
    print(f"drew {len(crops)} crops in {time.process_time() - t0:.0f} CPU s")
    plain: list = []
    lps = log_probs_of(engine, [c[2] for c in crops], plain)
    arr = np.empty(len(lps), dtype=object)
    arr[:] = lps
    arr0 = np.empty(len(lps), dtype=object)
    arr0[:] = plain or [None] * len(lps)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, kinds=np.array([c[0] for c in crops]),
                        texts=np.array([c[1] for c in crops]), lps=arr, plain=arr0)
    return [c[0] for c in crops], [c[1] for c in crops], lps


def _plain(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s)
                   if unicodedata.category(c) != "Mn").replace("đ", "d").replace("Đ", "D")


def category(truth: str, read: str) -> str:
    """What kind of misread: marks only, one word wrong, split/merge, or more."""
    if _plain(truth).lower() == _plain(read).lower():
        return "marks/case only"
    tw, rw = truth.split(), read.split()
    if "".join(tw) == "".join(rw) or _plain("".join(tw)) == _plain("".join(rw)):
        return "split/merge"
    if len(tw) == len(rw):
        bad = sum(a != b for a, b in zip(tw, rw, strict=True))
        return "one word" if bad == 1 else f"{bad} words"
    return "words added/lost"


def parse_grid(specs: list[str]) -> dict[str, list[float]]:
    """``name=0.5,1`` entries -> {"name": [0.5, 1.0]}; the names are DecodeWeights fields."""
    from dataclasses import fields

    from models.decode_weights import DecodeWeights

    known = {f.name for f in fields(DecodeWeights)}
    grid: dict[str, list[float]] = {}
    for spec in specs:
        key, _, values = spec.partition("=")
        if key not in known or not values:
            raise SystemExit(f"--grid {spec!r}: expected WEIGHT=v1,v2,... with WEIGHT one of "
                             f"{sorted(known)}")
        grid[key] = [float(v) for v in values.split(",")]
    return grid


def search(engine, lps, texts, kinds, grid: dict[str, list[float]]):  # type: ignore[no-untyped-def]
    """Every combination's per-kind CER, best (lowest mean over kinds) first."""
    from dataclasses import replace

    from models.evaluate import score
    from models.field_decoder import FieldDecoder
    from ocr.htr import fix_word_case
    from sohoa.records import FieldKind

    base = engine.decoder
    rows = []
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        w = replace(base.weights, **dict(zip(keys, values, strict=True)))
        dec = FieldDecoder(base.charset, beam=base.beam, nbest=base.nbest, arpa=base.arpa,
                           hooks=base.hooks, lexicons=base.lexicons, weights=w)
        preds = []
        for lp, k in zip(lps, kinds, strict=True):
            pairs = dec.decode(lp, FieldKind(k))
            preds.append(fix_word_case(pairs[0][0]) if pairs else "")
        m = score(preds, texts, kinds)
        by = {k: km["cer"] for k, km in m["by_kind"].items()}
        rows.append((sum(by.values()) / len(by), w, by))
        print(f"  {dict(zip(keys, values, strict=True))}: mean {rows[-1][0]:.2%} " +
              " ".join(f"{k} {v:.2%}" for k, v in sorted(by.items())), flush=True)
    return sorted(rows, key=lambda r: r[0])


def write_weights(model_dir: Path, weights) -> None:  # type: ignore[no-untyped-def]
    """The ``decoding`` entry of the folder's model.json, replaced atomically."""
    from models.checkpoint import MODEL_JSON
    from sohoa.store.files import write_atomic

    meta_file = model_dir / MODEL_JSON
    meta = json.loads(meta_file.read_text("utf-8"))
    meta["decoding"] = weights.to_meta()
    write_atomic(meta_file, json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8"))
    print(f"wrote decoding weights {weights.to_meta()} into {meta_file}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", default="runs/tune-lp.npz")
    ap.add_argument("--per-kind", type=int, default=120)
    ap.add_argument("--kinds", default="name,place,date,ethnicity,relation")
    ap.add_argument("--model", default=None)
    ap.add_argument("--value-seed", type=int, default=VALUE_SEED)
    ap.add_argument("--show", type=int, default=0, help="print this many misreads per kind")
    ap.add_argument("--choose", action="store_true", help="also score choose_reading")
    ap.add_argument("--grid", action="append", default=[], metavar="WEIGHT=v1,v2,...",
                    help="search these decoding weights (repeatable; models.decode_weights)")
    ap.add_argument("--write", action="store_true",
                    help="write the grid's best weights into --model's model.json")
    args = ap.parse_args()
    grid = parse_grid(args.grid)
    if args.write and not (grid and args.model):
        raise SystemExit("--write needs --grid and --model (the folder the weights are for)")
    import torch

    torch.set_num_threads(1)
    from models.evaluate import score
    from ocr import get_engine
    from ocr.htr import fix_word_case
    from sohoa.records import FieldKind

    engine = get_engine("htr", device="cpu", model_dir=args.model)
    kinds, texts, lps = load_or_make(Path(args.cache), args.per_kind,
                                     tuple(args.kinds.split(",")), engine, args.value_seed)
    if grid:
        print(f"{len(lps)} crops, weights now {engine.decoder.weights.to_meta()}")
        rows = search(engine, lps, texts, kinds, grid)
        mean, best, by = rows[0]
        print(f"best: {best.to_meta()} mean CER {mean:.2%} " +
              " ".join(f"{k} {v:.2%}" for k, v in sorted(by.items())))
        if args.write:
            write_weights(Path(args.model), best)
        return
    t0 = time.process_time()
    nbest = [engine.decoder.decode(lp, FieldKind(k)) for lp, k in zip(lps, kinds, strict=True)]
    dt = time.process_time() - t0
    nbest = [[(fix_word_case(t), p) for t, p in pairs] for pairs in nbest]
    preds = [pairs[0][0] if pairs else "" for pairs in nbest]
    m = score(preds, texts, kinds)
    print(f"decoder: {len(lps)} crops, {dt:.2f} CPU s ({len(lps) / max(dt, 1e-9):.0f}/s); "
          f"CER {m['cer']:.2%} exact {m['exact']:.0%}")
    for k, km in sorted(m["by_kind"].items()):
        print(f"  {k:10s} n={km['n']:4d} CER {km['cer']:.2%} exact {km['exact']:.0%}")
    if args.choose:
        from sohoa.fields import choose_reading
        from sohoa.records import Alternative

        chosen = [choose_reading("f", FieldKind(k), [Alternative(t, p) for t, p in pairs],
                                 "htr").text if pairs else ""
                  for pairs, k in zip(nbest, kinds, strict=True)]
        mc = score(chosen, texts, kinds)
        print(f"choose_reading: CER {mc['cer']:.2%} exact {mc['exact']:.0%}")
        for k, km in sorted(mc["by_kind"].items()):
            print(f"  {k:10s} CER {km['cer']:.2%} exact {km['exact']:.0%}")
    for kind in ("name", "place"):
        cats = Counter(category(t, p) for t, p, k in zip(texts, preds, kinds, strict=True)
                       if k == kind and t != p)
        if cats:
            print(f"{kind} misreads: {dict(cats.most_common())}")
    if args.show:
        for kind in sorted(set(kinds)):
            shown = 0
            for t, p, k, pairs in zip(texts, preds, kinds, nbest, strict=True):
                if k == kind and t != p and shown < args.show:
                    inb = any(a == t for a, _ in pairs)
                    print(f"[{kind}] {t!r} -> {p!r} ({category(t, p)}; truth in n-best: {inb})")
                    shown += 1


if __name__ == "__main__":
    main()
