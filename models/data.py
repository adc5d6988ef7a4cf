"""Training and validation data for the line recogniser: field strings drawn from the register
value distributions, rendered as handwriting in the fonts of one role, degraded like scanned
cells, and batched by similar width so padding stays small.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import IterableDataset

from models.augment import (
    CAPTURES,
    CURVE_RANGE,
    CURVES,
    DEGRADATIONS,
    DISTORTIONS,
    SHAKE_GHOST,
    SHAKE_RANGE,
    capture,
    curve,
    degrade,
    distort,
    shake,
)
from models.charset import Charset
from models.preprocess import batch_tensor, prepare

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sample:
    kind: str
    text: str
    image: np.ndarray  # grey uint8, dark ink on light paper


_ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
           "nh", "p", "ph", "qu", "s", "t", "th", "tr", "v", "x")
_CODAS = ("", "", "c", "ch", "m", "n", "ng", "nh", "p", "t", "i", "o", "u", "y")


def random_syllables(rng: np.random.Generator) -> str:
    """Made-up syllables over every accented vowel, some capitalised or in capitals, so that
    letters rare in register values (Ỹ, Ẳ ...) are still seen in training."""
    from models.charset import vietnamese_letters

    vowels = [c for c in vietnamese_letters()[:67] if c != "đ"] + list("aeiouy")
    words = []
    for _ in range(int(rng.integers(1, 5))):
        w = _ONSETS[int(rng.integers(len(_ONSETS)))] + vowels[int(rng.integers(len(vowels)))]
        w += _CODAS[int(rng.integers(len(_CODAS)))]
        r = rng.random()
        words.append(w.capitalize() if r < 0.4 else (w.upper() if r < 0.55 else w))
    return " ".join(words)


def word_window(text: str, max_chars: int, rng: np.random.Generator) -> str:
    """A random run of whole words of at most ``max_chars`` characters (long place names cost
    training time in proportion to their width; their words are the same either way)."""
    if len(text) <= max_chars:
        return text
    words = text.split(" ")
    start = int(rng.integers(len(words)))
    out = words[start]
    for w in words[start + 1:]:
        if len(out) + 1 + len(w) > max_chars:
            break
        out += " " + w
    return out[:max_chars]


class SynthSource:
    """Field values of the shipped templates (``sohoa.synth.sample_value``) written by random
    hands (``HandStyle.sample``) in the fonts of ``role`` and degraded like register cells.

    ``name_share`` of the samples are name fields (the hard kind); ``random_share`` are random
    syllables covering the whole alphabet; the rest are fields drawn uniformly.
    ``extra_share`` of the lines are written instead in one of the extra installed fonts
    (:func:`sohoa.synth.fonts.extra_training_fonts`) that has every character of the line:
    more letter shapes, never a test or bench font. ``mark_share`` of the lines are written by
    a hand that sets its tone marks to the right of their letters (``HandStyle.mark_shift``).
    ``stroke_share`` of the lines are written with pen strokes by a writer of
    :mod:`sohoa.synth.stroke_writer` whose seed is drawn from ``writer_seeds`` (training writers
    only: held-out writers raise), photographed (:mod:`sohoa.synth.pen`), and half of them
    also degraded like register cells. ``address_share`` of the lines are addresses anywhere
    in the country (:func:`sohoa.synth.addresses.nationwide_address`: every province's units,
    towns' house numbers, lanes and streets) read as places, beyond the north-western
    commune books the register fields are drawn from. ``ruled_share`` of the stroke lines are
    written on ruled or squared ("ô ly") paper, half each (:mod:`sohoa.synth.ruled`).
    ``bend_share`` of the lines are written along a smooth curve (:func:`models.augment.curve`).
    ``shake_share`` of the lines are photographed with the camera moving (motion blur,
    sometimes a double exposure: :func:`models.augment.shake`).
    ``letter_variety`` of the stroke writers also get letter variety (other fonts' letters
    mixed in, each letter's own lasting twist, stroke ends cut short or run on:
    ``StrokeWriter.sample(variety=True)``).
    """

    def __init__(self, role: str, name_share: float = 0.35, random_share: float = 0.06,
                 size_range: tuple[float, float] = (22.0, 40.0), max_chars: int = 26,
                 extra_share: float = 0.0, mark_share: float = 0.0, stroke_share: float = 0.0,
                 writer_seeds: tuple[int, int] = (0, 900_000), distort_share: float = 0.0,
                 address_share: float = 0.0, ruled_share: float = 0.0,
                 capture_share: float = 0.0, bend_share: float = 0.0,
                 letter_variety: float = 0.0, shake_share: float = 0.0) -> None:
        from sohoa.synth import fonts_for_role
        from sohoa.template import load_template, template_ids

        self.role = role
        self.fonts = fonts_for_role(role)
        self.fields = [f for t in template_ids() for f in load_template(t).fields]
        self.names = [f for f in self.fields if str(f.kind) == "name"]
        self.name_share, self.random_share = name_share, random_share
        self.size_range = size_range
        self.max_chars = max_chars
        self.extra_share = extra_share
        self.mark_share = mark_share
        from sohoa.synth.stroke_writer import HELD_OUT_SEED0

        if stroke_share and writer_seeds[1] > HELD_OUT_SEED0:
            raise ValueError(f"writer seeds {writer_seeds} reach the held-out writers "
                             f"(seeds from {HELD_OUT_SEED0}): they are for measuring only")
        self.stroke_share = stroke_share
        self.writer_seeds = writer_seeds
        self.distort_share = distort_share
        self.address_share = address_share
        self.ruled_share = ruled_share
        self.capture_share = capture_share
        self.bend_share = bend_share
        self.letter_variety = letter_variety
        self.shake_share = shake_share

    def _text(self, rng: np.random.Generator) -> tuple[str, str]:
        from sohoa.synth import sample_value

        if self.address_share and rng.random() < self.address_share:
            from sohoa.synth.addresses import nationwide_address

            return "place", nationwide_address(rng)
        r = rng.random()
        if r < self.random_share:
            return "random", random_syllables(rng)
        pool = self.names if r < self.random_share + self.name_share else self.fields
        for _ in range(20):
            spec = pool[int(rng.integers(len(pool)))]
            value = sample_value(spec, rng)
            if value is not None and value.text.strip():
                text = value.text.upper() if spec.kind == "name" and rng.random() < 0.05 \
                    else value.text
                return str(spec.kind), text
        return "random", random_syllables(rng)

    def sample(self, rng: np.random.Generator) -> Sample:
        s = self._sample(rng)
        if self.distort_share and rng.random() < self.distort_share:
            s = Sample(s.kind, s.text, distort(s.image, rng))
        if self.capture_share and rng.random() < self.capture_share:
            s = Sample(s.kind, s.text, capture(s.image, rng))
        if self.bend_share and rng.random() < self.bend_share:
            s = Sample(s.kind, s.text, curve(s.image, rng))
        if self.shake_share and rng.random() < self.shake_share:
            s = Sample(s.kind, s.text, shake(s.image, rng))
        return s

    def _sample(self, rng: np.random.Generator) -> Sample:
        from sohoa.synth import HandStyle, render_handwriting

        kind, text = self._text(rng)
        text = word_window(text, self.max_chars, rng)
        if self.stroke_share and rng.random() < self.stroke_share:
            paper = "plain"
            if self.ruled_share and rng.random() < self.ruled_share:
                paper = "lined" if rng.random() < 0.5 else "grid"
            return Sample(kind, text, stroke_line(text, rng, self.writer_seeds, self.size_range,
                                                  paper=paper,
                                                  letter_variety=self.letter_variety))
        size = float(rng.uniform(*self.size_range))
        style = HandStyle.sample(rng, font_role=self.role, size=size)
        # a few discrete sizes keep the renderer's glyph cache warm (the crop is rescaled anyway)
        style = replace(style, size=float(max(16, 4 * round(style.size / 4))))
        if self.extra_share and rng.random() < self.extra_share:
            font = extra_font_for(text, rng)
            if font is not None:
                style = replace(style, font=font)
        if self.mark_share and rng.random() < self.mark_share:
            style = replace(style, mark_shift=float(rng.uniform(0.2, 0.9)))
        img = degrade(render_handwriting(text, style, rng), rng)
        return Sample(kind, text, img)

    def describe(self) -> dict[str, Any]:
        return {"source": "sohoa.synth (sample_value + HandStyle + render_handwriting) + "
                          "models.augment.degrade", "degradations": list(DEGRADATIONS),
                "role": self.role,
                "fonts": [p.name for p in self.fonts], "name_share": self.name_share,
                "random_share": self.random_share, "size_range": list(self.size_range),
                "max_chars": self.max_chars, "extra_share": self.extra_share,
                **({"mark_share": self.mark_share} if self.mark_share else {}),
                **({"ruled_share": self.ruled_share, "ruled_source": "sohoa.synth.ruled "
                    "(lined, grid: half each)"} if self.ruled_share else {}),
                **({"address_share": self.address_share,
                    "address_source": "sohoa.synth.addresses.nationwide_address"}
                   if self.address_share else {}),
                **({"distort_share": self.distort_share, "distortions": list(DISTORTIONS)}
                   if self.distort_share else {}),
                **({"capture_share": self.capture_share, "captures": list(CAPTURES)}
                   if self.capture_share else {}),
                **({"bend_share": self.bend_share, "curves": list(CURVES),
                    "curve_range": list(CURVE_RANGE)} if self.bend_share else {}),
                **({"shake_share": self.shake_share, "shake_range": list(SHAKE_RANGE),
                    "shake_ghost": SHAKE_GHOST} if self.shake_share else {}),
                **({"stroke_share": self.stroke_share, "writer_seeds": list(self.writer_seeds),
                    "stroke_fonts": [p.name for p in stroke_fonts(False)],
                    "stroke_source": "sohoa.synth.stroke_writer + sohoa.synth.pen"}
                   if self.stroke_share else {}),
                **({"letter_variety": self.letter_variety,
                    "variety_ranges": variety_ranges()} if self.letter_variety else {}),
                **({"extra_fonts": [p.name for group in _extra() for p in group]}
                   if self.extra_share else {})}


def variety_ranges() -> dict[str, list[float]]:
    from sohoa.synth import stroke_writer as sw

    return {"mix_fonts": list(sw.MIX_FONTS), "mix_share": list(sw.MIX_SHARE),
            "letter_warp": list(sw.LETTER_WARP), "trim": list(sw.TRIM)}


def stroke_fonts(held_out: bool) -> tuple[Path, ...]:
    from sohoa.synth.stroke_writer import stroke_fonts as fonts

    return fonts(held_out)


def stroke_line(text: str, rng: np.random.Generator, writer_seeds: tuple[int, int],
                size_range: tuple[float, float], cell_share: float = 0.5,
                paper: str = "plain", letter_variety: float = 0.0) -> np.ndarray:
    """``text`` written with pen strokes by a writer whose seed is drawn from
    ``writer_seeds`` (x-height about half the nominal size) on ``paper``
    (:mod:`sohoa.synth.ruled`), photographed; ``cell_share`` of the lines also get the
    register-cell degradations of :func:`degrade`. ``letter_variety``: the share of writers also
    given letter variety (drawn only when non-zero, so other recipes' streams stay as they
    were)."""
    from sohoa.synth.pen import render_stroke_line
    from sohoa.synth.stroke_writer import HELD_OUT_SEED0, StrokeWriter

    seed = int(rng.integers(*writer_seeds))
    x_height = float(rng.uniform(*size_range)) * 0.45
    varied = bool(letter_variety) and rng.random() < letter_variety
    writer = StrokeWriter.sample(seed, held_out=seed >= HELD_OUT_SEED0, x_height=x_height,
                                 variety=varied)
    if rng.random() >= cell_share:
        return render_stroke_line(text, writer, rng, paper=paper)
    from sohoa.synth.pen import photograph_grey

    # cut like a register cell on clean paper first, then photographed as a whole
    return photograph_grey(degrade(render_stroke_line(text, writer, rng, photo=False,
                                                      paper=paper), rng), rng)


def _extra() -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """The extra training fonts less the families kept for held-out stroke writers."""
    from sohoa.synth.fonts import extra_training_fonts
    from sohoa.synth.stroke_writer import HELD_OUT_FAMILIES

    hand, printed = extra_training_fonts()
    return tuple(p for p in hand if not p.name.startswith(HELD_OUT_FAMILIES)), printed


def extra_font_for(text: str, rng: np.random.Generator, hand_share: float = 0.65) -> Path | None:
    """An extra training font with a glyph for every character of ``text``: a handwriting
    one ``hand_share`` of the time when one covers the line, else a printed/school one."""
    from sohoa.synth.fonts import font_codepoints

    hand, printed = _extra()
    need = {ord(c) for c in text if not c.isspace()}
    pools = (hand, printed) if rng.random() < hand_share else (printed, hand)
    for pool in pools:
        fits = [p for p in pool if need <= font_codepoints(p)]
        if fits:
            return fits[int(rng.integers(len(fits)))]
    return None


def make_batch(samples: list[Sample], charset: Charset, height: int) -> dict[str, Any]:
    """Prepared, padded images and concatenated CTC targets for a list of samples."""
    import torch

    texts = [charset.normalize(s.text) for s in samples]
    arrays = [prepare(s.image, height) for s in samples]
    x, widths = batch_tensor(arrays)
    targets = [charset.encode(t) for t in texts]
    return {
        "images": torch.from_numpy(x),
        "widths": torch.from_numpy(widths),
        "targets": torch.tensor([i for t in targets for i in t], dtype=torch.long),
        "target_lengths": torch.tensor([len(t) for t in targets], dtype=torch.long),
        "texts": texts,
        "kinds": [s.kind for s in samples],
    }


def ctc_frames_needed(text: str) -> int:
    """The fewest CTC frames that can spell ``text``: one per character plus a blank between
    each pair of equal neighbours (``ng`` needs 2 frames, ``oo`` 3)."""
    return len(text) + sum(a == b for a, b in zip(text, text[1:], strict=False))


def _usable(s: Sample, charset: Charset, height: int) -> bool:
    """A sample the network can be trained on: some text, and enough output frames to spell it
    with a frame to spare. Cramped hands (narrow letters, tight spacing) give ~1.5-2 frames per
    character; the former rule (2 frames per character + 1) dropped them all, 8.7 % of the
    stroke lines, and validation writers' lines under 2 frames per character read at 33-55 %
    CER (htr-v4) against 9-12 % above 2.6."""
    text = charset.normalize(s.text)
    if not text:
        return False
    h, w = s.image.shape[:2]
    frames = (int(round(w * height / max(h, 1))) // 4) if h else 0
    return frames >= ctc_frames_needed(text) + 1


def _identity(batch: list[Sample]) -> list[Sample]:
    return batch


def stream_batches(source: Any, charset: Charset, height: int, batch_size: int, seed: int,
                   pool: int = 8, worker: int = 0, workers: int = 1, start: int = 0,
                   collate: Callable[[list[Sample]], Any] | None = None) -> Iterator[Any]:
    """Endless batches, each pool of ``pool`` batches sorted by width before splitting.

    Batch ``b`` of the run is made by worker ``b % workers`` from a pool seeded by (seed,
    worker, pool number) alone, so a run resumed at step ``start`` (with as many workers) sees
    exactly the batches an uninterrupted run would. ``collate`` turns a list of samples into
    what the model takes (default: :func:`make_batch`)."""
    per = max(1, workers)
    local = (start - worker + per - 1) // per if start > worker else 0  # batches done here
    q, skip = divmod(local, pool)
    build = collate or (lambda items: make_batch(items, charset, height))
    while True:
        rng = np.random.default_rng([seed, worker, q])
        items: list[Sample] = []
        while len(items) < batch_size * pool:
            s = source.sample(rng)
            if _usable(s, charset, height):
                items.append(s)
        items.sort(key=lambda s: s.image.shape[1] / max(1, s.image.shape[0]))
        chunks = [items[i: i + batch_size] for i in range(0, len(items), batch_size)]
        for j in rng.permutation(len(chunks))[skip:]:
            yield build(chunks[j])
        q, skip = q + 1, 0


class BatchStream(IterableDataset):  # type: ignore[type-arg]
    """An endless iterable of batches for a DataLoader worker (picklable, for ``spawn``)."""

    def __init__(self, source_factory: Any, charset: Charset, height: int, batch_size: int,
                 seed: int, workers: int = 0, start: int = 0, samples: bool = False) -> None:
        self.args = (source_factory, charset, height, batch_size, seed, workers, start, samples)

    def __iter__(self) -> Iterator[Any]:
        import cv2
        import torch
        from torch.utils.data import get_worker_info

        factory, charset, height, batch_size, seed, workers, start, samples = self.args
        info = get_worker_info()
        wid = info.id if info is not None else 0
        if info is not None:  # a rendering process: leave the cores to the trainer
            torch.set_num_threads(1)
            cv2.setNumThreads(1)
        return stream_batches(factory(), charset, height, batch_size, seed, worker=wid,
                              workers=max(1, workers), start=start,
                              collate=_identity if samples else None)


def torch_stream(source_factory: Any, charset: Charset, height: int, batch_size: int,
                 seed: int, workers: int, start: int = 0, samples: bool = False) -> Any:
    """A DataLoader over :func:`stream_batches` from batch ``start`` on, rendering in
    ``workers`` spawned processes (spawn, not fork: a forked child can hang on locks held by
    OpenCV/OpenMP threads); ``samples`` yields lists of :class:`Sample` instead of tensors."""
    from torch.utils.data import DataLoader

    ds = BatchStream(source_factory, charset, height, batch_size, seed, workers, start, samples)
    return DataLoader(ds, batch_size=None, num_workers=workers,
                      collate_fn=_identity if samples else None,
                      persistent_workers=workers > 0, prefetch_factor=4 if workers else None,
                      multiprocessing_context="spawn" if workers else None)


def fixed_set(source: Any, n: int, seed: int, cache: Path | None = None) -> list[Sample]:
    """A reproducible evaluation set, cached as .npz so every epoch scores the same crops."""
    if cache is not None and cache.exists():
        data = np.load(cache, allow_pickle=True)
        return [Sample(str(k), str(t), im) for k, t, im in
                zip(data["kinds"], data["texts"], data["images"], strict=True)]
    rng = np.random.default_rng(seed)
    out = [source.sample(rng) for _ in range(n)]
    if cache is not None:
        images = np.empty(len(out), dtype=object)
        images[:] = [s.image for s in out]
        np.savez_compressed(cache, kinds=np.array([s.kind for s in out]),
                            texts=np.array([s.text for s in out]), images=images)
    return out
