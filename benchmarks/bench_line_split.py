"""The line splitter (``preprocessing.lines.text_line_bands``) on pen-stroke writing by
TRAINING writers (seeds below 900,000, the wide training ranges; never the held-out writers or
families): how often a single written line is cut into several bands (should be never), and
how often the lines of a two- or three-line cell are kept apart, each band holding its line.

Sets (``n`` crops each, the same for every run with one seed):
- ``single``: one field value as drawn, photographed;
- ``single-cell``: cut like a register cell (margins, ruling remnants, neighbouring ink,
  stamps: ``models.augment.degrade``), then photographed;
- ``single-hard``: drifting, leaning baseline, tone marks loose and far above, a tall cell,
  small hands (x-height 7-10 px) half of the time;
- ``single-marks``: words with few ascenders and stacked marks (hat + tone: ``nần xẫm trấn``)
  set high above the letters, big or small hands, photographed or clean;
- ``two``/``three``: a long value wrapped on 2 or 3 lines by one writer (the middle line of
  three often short: "đa khoa"), the lines' ink boxes 1 px to 0.8 x-height apart,
  each line starting within 1.5 x-heights of the left edge (anywhere, one time in five: a
  short value centred), photographed, half of them cut like a cell; ``three-small``: the
  same with x-height 7-10.5 px;
- ``two-touching``/``three-touching``: the same, but the lines written so close that they
  touch: each line's ink box starts 0-0.5 x-height above the bottom of the one above
  (descenders reach into the next line's ascenders and tone marks; no empty row between
  them, as in a crowded cell of a real register); ``four``: a value wrapped on 4 lines of a
  narrow cell, the gaps of ``two``;
- ``single-numbers``: a register number or a year alone, cut as the pipeline cuts it: one
  band (``preprocessing.lines.field_line_bands``; a digit's thin middle, "1", "27", is no gap
  between two lines).

    .venv/bin/python benchmarks/bench_line_split.py [--n 200] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from models.augment import degrade
from sohoa.synth.pen import photograph_grey, render_stroke_line
from sohoa.synth.stroke_writer import StrokeWriter

TRAIN_SEEDS = (0, 900_000)


def _values(rng: np.random.Generator, kinds: tuple[str, ...]) -> str:
    from sohoa.synth import sample_value
    from sohoa.template import load_template

    fields = [f for t in ("ks-2006", "kt-2006", "kh-2006") for f in load_template(t).fields
              if str(f.kind) in kinds]
    while True:
        v = sample_value(fields[int(rng.integers(len(fields)))], rng)
        if v is not None and v.text.strip():
            return v.text


def _writer(rng: np.random.Generator, small: bool = False) -> StrokeWriter:
    seed = int(rng.integers(*TRAIN_SEEDS))
    xh = float(rng.uniform(7, 10.5)) if small else float(rng.uniform(22, 40)) * 0.45
    return StrokeWriter.sample(seed, x_height=xh)


def _ink_rows(img: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero((img < 160).any(axis=1))
    return img[rows[0]: rows[-1] + 1] if rows.size else img


_ONSETS = ("", "c", "m", "n", "r", "s", "v", "x", "nh", "tr", "ch")
_VOWELS = "ầấậẩẫếềểễệốồổỗộươăắằẳẵặơớờởỡợ"
_CODAS = ("", "n", "m", "c", "u", "i")


def _low_words(rng: np.random.Generator) -> str:
    """Syllables with few ascenders and stacked marks: the marks make a row of their own."""
    return " ".join(_ONSETS[int(rng.integers(len(_ONSETS)))] +
                    _VOWELS[int(rng.integers(len(_VOWELS)))] +
                    _CODAS[int(rng.integers(len(_CODAS)))] for _ in range(rng.integers(2, 6)))


def single(rng: np.random.Generator, how: str) -> tuple[np.ndarray, list[int]]:
    if how == "marks":
        w = StrokeWriter.sample(int(rng.integers(*TRAIN_SEEDS)),
                                x_height=float(rng.uniform(8, 40)))
        w = replace(w, mark_dy=float(rng.uniform(-0.8, -0.1)),
                    mark_scale=float(rng.uniform(1.0, 1.7)), ascender=1.0, descender=1.0)
        return render_stroke_line(_low_words(rng), w, rng, photo=rng.random() < 0.5), []
    if how == "numbers":  # register numbers and years: a digit's thin middle is no gap
        return render_stroke_line(_values(rng, ("number", "year")), _writer(rng), rng), []
    text = _values(rng, ("name", "place", "date", "text", "relation", "ethnicity"))
    if how == "hard":
        w = replace(_writer(rng, small=rng.random() < 0.5),
                    drift=float(rng.uniform(0.15, 0.35)), wave=float(rng.uniform(0.2, 0.45)),
                    word_tilt=float(rng.uniform(2, 7)), mark_dy=float(rng.uniform(-0.7, -0.2)),
                    mark_scale=float(rng.uniform(1.1, 1.7)), mark_jitter=float(rng.uniform(
                        0.08, 0.2)), mark_dx=float(rng.uniform(0.1, 0.5)))
        img = render_stroke_line(text, w, rng, photo=False)
        extra = int(img.shape[0] * rng.uniform(0.2, 1.0))
        top = int(rng.integers(0, extra + 1))
        img = np.pad(img, ((top, extra - top), (0, 0)), constant_values=255)
        return photograph_grey(img, rng), [img.shape[0] // 2]
    w = _writer(rng)
    if how == "cell":
        return photograph_grey(degrade(render_stroke_line(text, w, rng, photo=False), rng),
                               rng), []
    return render_stroke_line(text, w, rng), []


def wrapped(rng: np.random.Generator, lines: int, small: bool = False, touch: bool = False
            ) -> tuple[np.ndarray, list[int]]:
    """A place (or a long note) wrapped on ``lines`` lines; returns the crop and each line's
    middle row. ``touch``: each line's ink box overlaps the one above by 0-0.5 x-height."""
    while True:  # words, a dash kept with the word before it ("Tô Mạy -")
        words = _values(rng, ("place",)).replace(",", ", ").replace(" - ", "- ").split()
        if len(words) >= lines + 1:
            break
    if lines == 3 and rng.random() < 0.6:  # a short middle line of one or two words
        k = int(rng.integers(1, 3))
        a = int(rng.integers(1, len(words) - k)) if len(words) - k > 1 else 1
        parts = [words[:a], words[a: a + k], words[a + k:]]
        if not parts[2]:
            parts = [words[:1], words[1:2], words[2:]]
    else:
        cuts = sorted(rng.choice(np.arange(1, len(words)), lines - 1, replace=False))
        parts = [words[i:j] for i, j in zip([0, *cuts], [*cuts, len(words)], strict=True)]
    w = _writer(rng, small)
    imgs = [_ink_rows(render_stroke_line(" ".join(p), w, rng, photo=False)) for p in parts]
    width = max(x.shape[1] for x in imgs) + 4
    placed, mids, y = [], [], 0  # (line, top, indent), drawn in the order they always were
    for i, x in enumerate(imgs):
        if i:
            y += -int(round(w.x_height * float(rng.uniform(0.0, 0.5)))) if touch else \
                max(1, int(round(w.x_height * float(rng.uniform(0.05, 0.8)))))
        slack = width - x.shape[1]  # a wrapped line goes on near the cell's left edge;
        indent = int(rng.integers(0, slack + 1)) if rng.random() < 0.2 else \
            int(rng.integers(0, min(slack, int(1.5 * w.x_height)) + 1))  # some are centred
        placed.append((x, y, indent))
        mids.append(y + x.shape[0] // 2)
        y += x.shape[0]
    canvas = np.full((y, width), 255, np.uint8)
    for x, top, indent in placed:
        region = canvas[top: top + x.shape[0], indent: indent + x.shape[1]]
        np.minimum(region, x, out=region)  # touching lines: the darker ink wins
    pad = int(w.x_height * rng.uniform(0.3, 1.2))
    img = np.pad(canvas, ((pad, pad), (3, 3)), constant_values=255)
    mids = [m + pad for m in mids]
    if rng.random() < 0.5:
        img = degrade(img, rng)  # margins change: find the lines' middles again below
        mids = []
    return photograph_grey(img, rng), mids


def _crops(name: str, n: int, seed: int, s: int, make, cache: str | None
           ) -> list[tuple[np.ndarray, list[int]]]:
    """The set's crops, drawn or (with ``cache``) loaded from / saved to an .npz."""
    path = Path(cache) / f"{name}-{seed}-{n}.npz" if cache else None
    if path is not None and path.exists():
        d = np.load(path, allow_pickle=True)
        return [(im, [int(m) for m in ms]) for im, ms in zip(d["images"], d["mids"],
                                                               strict=True)]
    out = [make(np.random.default_rng([seed, s, i])) for i in range(n)]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        images, mids = np.empty(n, dtype=object), np.empty(n, dtype=object)
        images[:] = [o[0] for o in out]
        mids[:] = [np.array(o[1], np.int64) for o in out]
        np.savez_compressed(path, images=images, mids=mids)
    return out


def run(n: int, seed: int, cache: str | None = None) -> dict[str, dict[str, float]]:
    from preprocessing.lines import field_line_bands, text_line_bands

    res: dict[str, dict[str, float]] = {}
    makers = {
        "single": (1, lambda r: single(r, "photo")),
        "single-cell": (1, lambda r: single(r, "cell")),
        "single-hard": (1, lambda r: single(r, "hard")),
        "single-marks": (1, lambda r: single(r, "marks")),
        "two": (2, lambda r: wrapped(r, 2)),
        "three": (3, lambda r: wrapped(r, 3)),
        "three-small": (3, lambda r: wrapped(r, 3, small=True)),
        "two-touching": (2, lambda r: wrapped(r, 2, touch=True)),
        "three-touching": (3, lambda r: wrapped(r, 3, touch=True)),
        "four": (4, lambda r: wrapped(r, 4)),
        "single-numbers": (1, lambda r: single(r, "numbers")),
    }
    for s, (name, (lines, make)) in enumerate(makers.items()):
        ok = ok_count = 0
        dt = 0.0
        for img, mids in _crops(name, n, seed, s, make, cache):
            t0 = time.process_time()
            # as the pipeline cuts them: a number or a year is one band (field_line_bands)
            bands = field_line_bands(img, "number") if name == "single-numbers" else \
                text_line_bands(img)
            dt += time.process_time() - t0
            right_count = len(bands) == lines
            ok_count += right_count
            if right_count and mids:  # each band holds its own line's middle row
                right_count = all(y0 <= m < y1 for (y0, y1), m in zip(bands, mids, strict=True))
            ok += right_count
        res[name] = {"n": n, "lines": lines, "right": ok / n, "right_count": ok_count / n,
                     "cpu_ms_per_crop": 1000 * dt / n}
        print(f"| {name} | {lines} | {n} | {ok / n:.1%} | {ok_count / n:.1%} | "
              f"{1000 * dt / n:.2f} |", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--out", default=None)
    ap.add_argument("--cache", default=None, help="folder keeping the drawn crops (.npz)")
    args = ap.parse_args()
    print("| set | lines | n | right | right count | CPU ms/crop |\n|---|---|---|---|---|---|")
    res = run(args.n, args.seed, args.cache)
    if args.out:
        Path(args.out).write_text(json.dumps({"seed": args.seed, "sets": res}, indent=2),
                                  "utf-8")


if __name__ == "__main__":
    main()
