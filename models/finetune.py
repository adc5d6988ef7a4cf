"""Learning from clerks: fine-tune the model in use on the field crops of confirmed entries.

Labels: for kinds written as typed (names, places, relations, notes) the confirmed value is the
text; for kinds whose value is normalised (dates, sex codes, numbers ...) the engine's text is
used when it parses to the confirmed value, else the crop is skipped (its written form is
unknown). A frozen held-out slice of confirmed entries, chosen by a hash of the entry id, is
never trained on and scores the model before and after. The new model is written as the next
``htr-ft-NNN`` in ``<workspace>/models/``; the model in use is not changed.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from models.augment import degrade
from models.data import Sample, SynthSource
from sohoa.errors import SohoaError

log = logging.getLogger(__name__)

TEXTUAL_KINDS = {"name", "place", "relation", "text"}
DONE = ("confirmed", "approved", "exported")


class FinetuneError(SohoaError, RuntimeError):
    """Not enough confirmed data, or the workspace cannot be read."""


@dataclass(frozen=True)
class ConfirmedCrop:
    entry_id: int
    field: str
    kind: str
    text: str
    image: Path


@dataclass(frozen=True)
class ConfirmedSet:
    train: tuple[ConfirmedCrop, ...]
    held_out: tuple[ConfirmedCrop, ...]
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FinetuneResult:
    name: str
    path: Path
    cer_before: float
    cer_after: float
    n_train: int
    n_held_out: int
    skipped: dict[str, int]


def is_held_out(entry_id: int, share: float = 0.2) -> bool:
    """Deterministic: the same entry is always in (or out of) the held-out slice."""
    h = hashlib.sha256(f"sohoa-heldout:{int(entry_id)}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < share


def _kinds_for(book: Any) -> dict[str, str]:
    from sohoa.template import load_template

    tid = getattr(book, "template", "") or {"KS": "ks-2006", "KT": "kt-2006",
                                              "KH": "kh-2006"}.get(str(book.register_type), "")
    try:
        return {f.name: str(f.kind) for f in load_template(tid).fields}
    except Exception:  # noqa: BLE001 - an unknown template only loses the kind labels
        return {}


def _label(kind: str, value: str, reading: Any) -> str | None:
    if kind in TEXTUAL_KINDS:
        return value
    if reading is not None and (reading.value == value or reading.text == value):
        return reading.text
    return None


def confirmed_crops(workspace: Path, held_out_share: float = 0.2,
                    book_id: int | None = None) -> ConfirmedSet:
    """Every labelled field crop of the workspace's (or one book's) confirmed/approved/exported
    entries."""
    from sohoa.store import Workspace

    train: list[Any] = []
    held: list[Any] = []
    skipped = {"illegible": 0, "empty": 0, "no_crop": 0,
                                    "normalised_value": 0}
    with Workspace.open(workspace) as ws:
        for entry in ws.entries(book_id=book_id, status=list(DONE)):
            view = ws.entry_view(int(entry.id or 0))
            kinds = _kinds_for(view.book)
            for name, path in ws.field_crop_files(int(entry.id or 0)).items():
                value = view.values.get(name, "")
                if name in view.illegible:
                    skipped["illegible"] += 1
                    continue
                if not value.strip():
                    skipped["empty"] += 1
                    continue
                if not Path(path).exists():
                    skipped["no_crop"] += 1
                    continue
                kind = kinds.get(name, "text")
                text = _label(kind, value, view.readings.get(name))
                if text is None:
                    skipped["normalised_value"] += 1
                    continue
                crop = ConfirmedCrop(int(entry.id or 0), name, kind, text, Path(path))
                (held if is_held_out(crop.entry_id, held_out_share) else train).append(crop)
    return ConfirmedSet(tuple(train), tuple(held), skipped)


def _read(path: Path) -> np.ndarray:
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise FinetuneError(f"{path}: cannot read the crop image")
    return img


class ConfirmedSource:
    """Confirmed crops (lightly re-degraded half the time) mixed with synthetic lines."""

    def __init__(self, crops: tuple[ConfirmedCrop, ...], mix_synthetic: float) -> None:
        self.crops = crops
        self.mix = mix_synthetic
        self.synth = SynthSource("train") if mix_synthetic > 0 else None
        # read now: the cells are files of the store's screen cache, which may evict them
        # an hour after they were cut (sohoa/store/crop_cache.py), and a run can be longer
        self._cache: dict[Path, np.ndarray] = {c.image: _read(c.image) for c in crops}

    def sample(self, rng: np.random.Generator) -> Sample:
        if self.synth is not None and rng.random() < self.mix:
            return self.synth.sample(rng)
        c = self.crops[int(rng.integers(len(self.crops)))]
        if c.image not in self._cache:
            self._cache[c.image] = _read(c.image)
        img = self._cache[c.image]
        if rng.random() < 0.5:
            img = degrade(img, rng)
        return Sample(c.kind, c.text, img)


def _samples(crops: tuple[ConfirmedCrop, ...]) -> list[Sample]:
    return [Sample(c.kind, c.text, _read(c.image)) for c in crops]


def finetune(workspace: Path, *, mix_synthetic: float = 0.5, epochs: int = 6,
             epoch_samples: int = 2000, minutes: float = 0.0, lr: float = 3e-4,
             device: str = "auto", threads: int = 2, workers: int = 1,
             min_crops: int = 20, name: str | None = None) -> FinetuneResult:
    """Fine-tune the workspace's model in use on its confirmed crops; returns the new model."""
    from models.checkpoint import load_model_dir
    from models.evaluate import evaluate_samples
    from models.registry import model_in_use, next_version, workspace_models_dir
    from models.train import TrainOptions, fit

    workspace = Path(workspace)
    data = confirmed_crops(workspace)
    if len(data.train) < min_crops or not data.held_out:
        raise FinetuneError(
            f"{workspace}: {len(data.train)} confirmed training crops and "
            f"{len(data.held_out)} held-out ones; need at least {min_crops} and 1 "
            f"(skipped: {data.skipped})")
    base = model_in_use(workspace)
    name = name or next_version(workspace)
    target = workspace_models_dir(workspace) / name
    if target.exists():
        raise FinetuneError(f"{target} exists already; choose another name")
    run = workspace_models_dir(workspace) / "runs" / name
    held = _samples(data.held_out)
    loaded = load_model_dir(base, "cpu")
    before = evaluate_samples(loaded.module, loaded.charset, loaded.config.height, held)
    opts = TrainOptions(out=str(run), epochs=epochs, epoch_samples=epoch_samples, lr=lr,
                        warmup_steps=20, time_budget_min=minutes, patience=epochs,
                        device=device, threads=threads, workers=workers, init_from=str(base),
                        batch_size=32)
    record = {"workspace": str(workspace), "base_model": str(base), "train_crops":
              len(data.train), "held_out_crops": len(data.held_out), "skipped": data.skipped,
              "mix_synthetic": mix_synthetic, "held_out_rule": "sha256(entry id) < 0.2"}
    fit(opts, partial(ConfirmedSource, data.train, mix_synthetic), held, record)
    after_model = load_model_dir(run / "best", "cpu")
    after = evaluate_samples(after_model.module, after_model.charset,
                             after_model.config.height, held)
    shutil.copytree(run / "best", target)
    log.info("fine-tuned %s: held-out CER %.4f -> %.4f", name, before["cer"], after["cer"])
    return FinetuneResult(name, target, before["cer"], after["cer"], len(data.train),
                          len(data.held_out), data.skipped)


class SampleSource:
    """In-memory samples (re-degraded half the time; ``distort_share`` of them also bent,
    sheared, re-inked: ``models.augment.distort``) mixed with synthetic lines."""

    def __init__(self, samples: tuple[Sample, ...], mix_synthetic: float,
                 distort_share: float = 0.0, join_share: float = 0.0) -> None:
        self.samples = samples
        self.mix = mix_synthetic
        self.distort_share = distort_share
        self.join_share = join_share
        self.synth = SynthSource("train") if mix_synthetic > 0 else None

    def sample(self, rng: np.random.Generator) -> Sample:
        if self.synth is not None and rng.random() < self.mix:
            return self.synth.sample(rng)
        s = self.samples[int(rng.integers(len(self.samples)))]
        if self.join_share and rng.random() < self.join_share:
            from models.finetune_recipe import joined

            s = joined(s, self.samples[int(rng.integers(len(self.samples)))], rng)
        img = degrade(s.image, rng) if rng.random() < 0.5 else s.image
        if self.distort_share and rng.random() < self.distort_share:
            from models.augment import distort

            img = distort(img, rng)
        return s if img is s.image else Sample(s.kind, s.text, img)


def crop_samples(crops: tuple[ConfirmedCrop, ...]) -> list[Sample]:
    """The crops as training/evaluation samples (images read from the workspace)."""
    return _samples(crops)


def _bands(img: np.ndarray, kind: object = None) -> list[np.ndarray]:
    """A crop of a field of ``kind`` cut into its written lines, as the pipeline reads it
    (``split_lines``)."""
    from preprocessing.lines import field_line_bands

    bands = field_line_bands(img, kind)
    return [img] if len(bands) <= 1 else [img[y0:y1] for y0, y1 in bands]


def read_texts(model_dir: Path, images: list[np.ndarray], stretch: bool = False,
               kinds: list[object] | None = None) -> list[str]:
    """Greedy readings of crops, each cut into its lines and joined by spaces as the pipeline
    does (a wrapped place read whole is unreadable to any model). ``stretch``: a cramped line
    is read again wider, as the ``htr`` engine reads it (``ocr.htr``: fewer than
    ``STRETCH_BELOW`` frames per character, ``STRETCH_FACTOR`` times wider)."""
    from models.checkpoint import load_model_dir
    from models.recognize import greedy, log_probs

    m = load_model_dir(model_dir, "cpu")
    parts = [_bands(img, k) for img, k in zip(images, kinds or [None] * len(images),
                                               strict=True)]
    lines = [b for p in parts for b in p]
    lps = log_probs(m.module, m.config.height, lines) if lines else []
    if stretch and lps:
        from ocr.htr import STRETCH_BELOW, STRETCH_FACTOR, greedy_frames_per_char, stretch_width

        cramped = [i for i, lp in enumerate(lps) if greedy_frames_per_char(lp) < STRETCH_BELOW]
        wide = log_probs(m.module, m.config.height,
                         [stretch_width(lines[i], STRETCH_FACTOR) for i in cramped])
        lps = list(lps)
        for i, lp in zip(cramped, wide, strict=True):
            lps[i] = lp
    flat = [greedy(lp, m.charset) for lp in lps]
    out, at = [], 0
    for p in parts:
        out.append(" ".join(d.text for d in flat[at:at + len(p)] if d.text).strip())
        at += len(p)
    return out


def held_out_cer(model_dir: Path, held: list[Sample]) -> float:
    """CER (edits / truth characters) of a model folder on samples, read like the pipeline."""
    from rapidfuzz.distance import Levenshtein

    preds = read_texts(model_dir, [s.image for s in held], kinds=[s.kind for s in held])
    edits = sum(Levenshtein.distance(p, s.text) for p, s in zip(preds, held, strict=True))
    return edits / max(1, sum(len(s.text) for s in held))


def _word_splits(words: list[str], k: int) -> list[list[str]]:
    """Every way to cut ``words`` into ``k`` non-empty runs, as texts."""
    from itertools import combinations

    return [[" ".join(words[a:b]) for a, b in zip((0, *cuts), (*cuts, len(words)),
                                                  strict=True)]
            for cuts in combinations(range(1, len(words)), k - 1)]


def line_samples(samples: list[Sample], model_dir: Path, max_cer: float = 0.5
                 ) -> tuple[list[Sample], int]:
    """Training samples one written line each (:func:`crop_lines`, flattened); returns the
    samples and how many crops were dropped."""
    per = crop_lines(samples, model_dir, max_cer)
    return [s for lines in per for s in lines], sum(not lines for lines in per)


def crop_lines(samples: list[Sample], model_dir: Path, max_cer: float = 0.5
               ) -> list[list[Sample]]:
    """Each crop as training samples of one written line each: a wrapped crop is cut into its
    lines and its label's words shared out among them in the way that best matches what
    ``model_dir`` reads on each line; a crop whose best match is poor (or with more lines than
    words) gets no sample (an empty list)."""
    from rapidfuzz.distance import Levenshtein

    out: list[list[Sample]] = []
    wrapped: list[tuple[int, Sample, list[np.ndarray]]] = []
    for s in samples:
        parts = _bands(s.image, s.kind)
        out.append([s] if len(parts) == 1 else [])
        if len(parts) > 1:
            wrapped.append((len(out) - 1, s, parts))
    reads = (read_texts(model_dir, [p for _, _, parts in wrapped for p in parts])
             if wrapped else [])
    at = 0
    for i, s, parts in wrapped:
        got, at = reads[at:at + len(parts)], at + len(parts)
        words = s.text.split()
        if len(words) < len(parts) or len(parts) > 4:
            continue
        best = min(_word_splits(words, len(parts)), key=lambda texts: sum(
            Levenshtein.distance(g, t) for g, t in zip(got, texts, strict=True)))
        dist = sum(Levenshtein.distance(g, t) for g, t in zip(got, best, strict=True))
        if dist <= max_cer * len(s.text):
            out[i] = [Sample(s.kind, t, img) for t, img in zip(best, parts, strict=True)]
    return out


def train_candidate(start: Path, train: list[Sample], run: Path, *, minutes: float,
                    lr: float = 5e-4, mix_synthetic: float = 0.25, max_epochs: int = 30,
                    device: str = "cpu", threads: int = 2, seed: int = 1,
                    record: dict[str, Any] | None = None, distort_share: float = 0.0,
                    max_steps: int | None = None, patience: int = 4,
                    train_only: tuple[str, ...] = (), keep_last: bool = False,
                    join_share: float = 0.0, l2sp: float = 0.0) -> Path:
    """Fine-tune ``start`` on ``train`` within ``minutes`` of wall time and, if given,
    ``max_steps`` steps of 16 lines (the schedule then ends at that step: a budget that means
    the same on a busy and an idle machine, the wall time only a safety cap); early stop on a
    slice of the training crops (the held-out slice that decides keep/reject is never looked
    at here; ``keep_last``: no early stop, the last weights are the result). ``train_only``:
    parameter-name prefixes to train (``models.train``), the rest frozen. ``join_share``: that
    share of the confirmed lines joined with another into one line; ``l2sp``: the weight of
    the pull toward ``start`` (``models.finetune_recipe``). Returns the run's model folder."""
    from models.train import TrainOptions, fit

    if not train:
        raise FinetuneError("no training crops")
    batch = 16
    epoch_samples = int(min(1024, max(128, 4 * len(train))))
    epochs = max_epochs
    if max_steps:  # whole epochs of equal length that add up to max_steps (or just over)
        epochs = max(1, -(-max_steps * batch // epoch_samples))
        epoch_samples = -(-max_steps // epochs) * batch
    watch = train[:: max(1, len(train) // 48)][:48]
    opts = TrainOptions(out=str(run), epochs=epochs, epoch_samples=epoch_samples, lr=lr,
                        warmup_steps=20, time_budget_min=minutes, patience=patience,
                        device=device, threads=threads, workers=0, init_from=str(start),
                        batch_size=batch, seed=seed, train_only=tuple(train_only),
                        keep_last=keep_last)
    source = partial(SampleSource, tuple(train), mix_synthetic, distort_share, join_share)
    if l2sp:  # a CRNN pulled toward its start (models.finetune_recipe.L2SPArch)
        from models.finetune_recipe import L2SPArch
        from models.train import run_training

        run_training(opts, L2SPArch(l2sp), source, watch, record or {})
    else:
        fit(opts, source, watch, record or {})
    return run / "best"
