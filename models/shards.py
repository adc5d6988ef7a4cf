"""A cache of pre-rendered training lines: shards written by a separate (nice'd) producer
process, mixed into training by :class:`ShardSource` so the network sees more samples per CPU
hour than on-the-fly synthesis alone allows.

Why: one training step of the CRNN costs ~10-14 CPU ms per sample (forward + backward, 1
thread), while drawing a training line costs ~3 CPU ms in a font and ~21 CPU ms with pen
strokes (stroke writer, pen, photo, JPEG) -- at a 45 % stroke share synthesis is about half of
a step's time (``docs/htr.md``, "Sample cache"). A cached line is reused a few times (with a
cheap width jitter), so synthesis stops bounding the step rate.

A shard is ``DIR/shard-SEED.npz`` (no pickled objects): ``kinds``, ``texts``, ``pixels`` and
``shapes`` (the grey uint8 lines, at most ``STORE_HEIGHT`` px high, flattened end to end) and
``meta`` (JSON: the data options and
``SynthSource.describe()`` of the source that drew it, its seed, count, time). Shards are
written atomically (a temporary file renamed), so a trainer reading the folder never sees a
partial one. Only TRAINING data is ever written or read: the producer draws from
``SynthSource("train", ...)`` (training fonts, training writer seeds; held-out seeds raise)
and :class:`ShardSource` refuses a shard whose meta says otherwise.

Producer: ``python -m models.shards --out DIR --stroke-share 0.6 --minutes 90`` (resumable:
existing shards are skipped). Trainer: ``sohoa train --shards DIR --shard-share 0.75 ...``.
A run that mixes shards is not bit-reproducible on resume (the folder grows while it trains).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.data import Sample
from sohoa.errors import SohoaError

log = logging.getLogger(__name__)

STORE_HEIGHT = 64  # stored lines are scaled down to this height (the network reads 32 or 48)
PATTERN = "shard-*.npz"


class ShardError(SohoaError, ValueError):
    """A shard folder or file that cannot be used for training."""


def _shrink(image: np.ndarray, height: int = STORE_HEIGHT) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    if h <= height:
        return image
    new_w = max(1, int(round(w * height / h)))
    return cv2.resize(image, (new_w, height), interpolation=cv2.INTER_AREA)


def data_options(extra_font_share: float = 0.35, mark_share: float = 0.25,
                 stroke_share: float = 0.6, distort_share: float = 0.0) -> dict[str, float]:
    """The options of :class:`models.data.SynthSource` that a shard records (those of
    :class:`models.train_options.TrainOptions` with the same names)."""
    return {"extra_font_share": extra_font_share, "mark_share": mark_share,
            "stroke_share": stroke_share, "distort_share": distort_share}


def make_source(opts: dict[str, float]) -> Any:
    """The training source the options describe (training fonts and writers only)."""
    from models.data import SynthSource

    return SynthSource("train", extra_share=opts["extra_font_share"],
                       mark_share=opts["mark_share"], stroke_share=opts["stroke_share"],
                       distort_share=opts["distort_share"])


def write_shard(folder: Path, source: Any, n: int, seed: int,
                opts: dict[str, Any]) -> Path:
    """Draw ``n`` samples from ``source`` with ``default_rng([seed])`` and write them as
    ``folder/shard-SEED.npz`` (atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([int(seed)])
    t0 = time.process_time()
    samples = [source.sample(rng) for _ in range(n)]
    images = [np.ascontiguousarray(_shrink(s.image)) for s in samples]
    meta = {"options": opts, "source": source.describe(), "seed": int(seed), "n": n,
            "cpu_s": round(time.process_time() - t0, 1),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    buf = io.BytesIO()
    np.savez_compressed(buf, kinds=np.array([s.kind for s in samples]),
                        texts=np.array([s.text for s in samples]),
                        pixels=np.concatenate([im.ravel() for im in images]),
                        shapes=np.array([im.shape[:2] for im in images], dtype=np.int64),
                        meta=np.array(json.dumps(meta, ensure_ascii=False)))
    dest = folder / f"shard-{int(seed):06d}.npz"
    tmp = folder / f".{dest.name}.tmp"
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, dest)
    return dest


def check_meta(meta: dict[str, Any], path: Path) -> None:
    """Refuse a shard not drawn from training data alone."""
    from sohoa.synth.stroke_writer import HELD_OUT_SEED0

    src = meta.get("source", {})
    if src.get("role") != "train":
        raise ShardError(f"{path}: drawn in fonts of role {src.get('role')!r}, not 'train'")
    seeds = src.get("writer_seeds")
    if src.get("stroke_share") and (not seeds or int(seeds[1]) > HELD_OUT_SEED0):
        raise ShardError(f"{path}: writer seeds {seeds} reach the held-out writers")


def read_shard(path: Path) -> tuple[list[Sample], dict[str, Any]]:
    """A shard's samples and meta (checked: training data only)."""
    try:
        data = np.load(path, allow_pickle=False)
        meta = json.loads(str(data["meta"]))
        shapes, pixels = data["shapes"], data["pixels"]
        ends = np.cumsum(shapes[:, 0] * shapes[:, 1])
        images = [pixels[e - h * w: e].reshape(h, w) for (h, w), e in zip(shapes, ends,
                                                                          strict=True)]
        samples = [Sample(str(k), str(t), im) for k, t, im in
                   zip(data["kinds"], data["texts"], images, strict=True)]
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise ShardError(f"{path}: not a readable shard ({exc})") from exc
    check_meta(meta, path)
    return samples, meta


def produce(folder: Path, opts: dict[str, float], per_shard: int = 500, shards: int = 0,
            minutes: float = 0.0, seed0: int = 1) -> list[Path]:
    """Write shards ``seed0, seed0 + 1, ...`` into ``folder`` (skipping those already there)
    until ``shards`` are there (0 = no limit) or ``minutes`` of wall time have passed."""
    source = make_source(opts)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "options.json").write_text(json.dumps(
        {"options": opts, "source": source.describe(), "per_shard": per_shard},
        ensure_ascii=False, indent=2), "utf-8")
    t_end = time.time() + minutes * 60 if minutes else float("inf")
    written: list[Path] = []
    seed = seed0
    while time.time() < t_end and (not shards or seed < seed0 + shards):
        if not (folder / f"shard-{seed:06d}.npz").exists():
            written.append(write_shard(folder, source, per_shard, seed, opts))
            log.info("wrote %s", written[-1])
        seed += 1
    return written


def jitter_width(image: np.ndarray, rng: np.random.Generator, lo: float = 0.88,
                 hi: float = 1.12) -> np.ndarray:
    """The line squeezed or stretched in width (a cached line seen again is not pixel-equal)."""
    import cv2

    h, w = image.shape[:2]
    new_w = max(2, int(round(w * float(rng.uniform(lo, hi)))))
    return cv2.resize(image, (new_w, h), interpolation=cv2.INTER_LINEAR)


class ShardSource:
    """Samples drawn from the shards in ``folder`` ``share`` of the time (half of them
    width-jittered), else from ``fresh`` (a live source). The folder is rescanned every
    ``rescan`` samples so shards a producer writes meanwhile join in; at most ``max_samples``
    cached lines are held (the oldest shards leave first). With no shard yet, every sample is fresh.
    """

    def __init__(self, fresh: Any, folder: Path | str, share: float = 0.75,
                 rescan: int = 2000, max_samples: int = 40_000) -> None:
        self.fresh, self.folder, self.share = fresh, Path(folder), share
        self.rescan, self.max_samples = rescan, max_samples
        if not self.folder.is_dir():
            raise ShardError(f"{self.folder}: no such shard folder")
        self.loaded: dict[str, int] = {}  # shard name -> its number of samples
        self.held: list[list[Sample]] = []  # the shards held, oldest first
        self.cache: list[Sample] = []
        self.metas: list[dict[str, Any]] = []
        self.until_scan = 0
        self.drawn = {"shard": 0, "fresh": 0}

    def scan(self) -> int:
        """Load the shards not loaded yet (oldest first); when more than ``max_samples``
        lines are held, the oldest shards make room. Returns how many were added."""
        added = 0
        for p in sorted(self.folder.glob(PATTERN)):
            if p.name in self.loaded:
                continue
            samples, meta = read_shard(p)
            self.loaded[p.name] = len(samples)
            self.held.append(samples)
            self.metas.append(meta)
            added += 1
        while len(self.held) > 1 and sum(map(len, self.held)) > self.max_samples:
            self.held.pop(0)
        if added:
            self.cache = [s for group in self.held for s in group]
        return added

    def sample(self, rng: np.random.Generator) -> Sample:
        if self.until_scan <= 0:
            self.scan()
            self.until_scan = self.rescan
        self.until_scan -= 1
        if self.cache and rng.random() < self.share:
            self.drawn["shard"] += 1
            s = self.cache[int(rng.integers(len(self.cache)))]
            if rng.random() < 0.5:
                return Sample(s.kind, s.text, jitter_width(s.image, rng))
            return s
        self.drawn["fresh"] += 1
        return self.fresh.sample(rng)

    def describe(self) -> dict[str, Any]:
        self.scan()
        sources = {json.dumps(m.get("source", {}), sort_keys=True) for m in self.metas}
        return {**self.fresh.describe(),
                "shards": {"folder": str(self.folder), "share": self.share,
                           "width_jitter": [0.88, 1.12],
                           "shard_sources": [json.loads(s) for s in sorted(sources)]}}


def shard_source(fresh_factory: Any, folder: str, share: float) -> ShardSource:
    """A picklable factory's product (``functools.partial`` of this): ``fresh_factory()``
    mixed with the shards in ``folder``."""
    return ShardSource(fresh_factory(), folder, share)


def main(argv: list[str] | None = None) -> int:
    from models.train_options import TrainOptions

    d = TrainOptions(out="")
    ap = argparse.ArgumentParser(
        prog="python -m models.shards",
        description="Pre-render shards of TRAINING lines for `sohoa train --shards DIR` "
                    "(run it under nice; resumable).")
    ap.add_argument("--out", required=True, type=Path, help="Shard folder.")
    ap.add_argument("--per-shard", type=int, default=500)
    ap.add_argument("--shards", type=int, default=0, help="How many shards (0 = until "
                    "--minutes runs out).")
    ap.add_argument("--minutes", type=float, default=0.0, help="Wall-time budget (0 = none).")
    ap.add_argument("--seed", type=int, default=1, help="First shard's seed.")
    ap.add_argument("--extra-fonts", type=float, default=d.extra_font_share)
    ap.add_argument("--shifted-marks", type=float, default=d.mark_share)
    ap.add_argument("--stroke-share", type=float, default=0.6)
    ap.add_argument("--distort-share", type=float, default=d.distort_share)
    a = ap.parse_args(argv)
    if not a.shards and not a.minutes:
        ap.error("give --shards or --minutes")
    import cv2

    cv2.setNumThreads(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    opts = data_options(a.extra_fonts, a.shifted_marks, a.stroke_share, a.distort_share)
    produce(a.out, opts, a.per_shard, a.shards, a.minutes, a.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["ShardError", "ShardSource", "check_meta", "data_options", "make_source",
           "produce", "read_shard", "shard_source", "write_shard"]
