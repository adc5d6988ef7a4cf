"""Evaluating and training the recogniser on trainers' labelled line sets (``models.lines``).

``evaluate_lines``: each line read whole (no line splitting: the sets are single lines) by an
engine, the n-best chosen and calibrated as in the pipeline (``choose_reading``), scored per set:
CER, exact match, ECE, and the share and exactness of readings with confidence >= 0.9.

``train_on_lines``: fine-tunes a model (the one in use by default) on the lines with the one
training loop (``models.train.fit``), validating on a writer-disjoint slice when the lines
carry writer ids; reports CER per set before and after.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from models.augment import degrade
from models.data import Sample, SynthSource
from models.lines import LabelledLine, LinesError, LineSet, split_lines

log = logging.getLogger(__name__)

CONFIDENT = 0.9


def _engine(engine: str, model: Path | None, workspace: Path | None, device: str) -> Any:
    from ocr import get_engine

    opts: dict[str, Any] = {}
    if engine == "htr":
        if model is not None:
            opts["model_dir"] = str(model)
        elif workspace is not None:
            opts["workspace"] = str(workspace)
    return get_engine(engine, device=device, **opts)


AUTO = "auto"


def read_lines(eng: Any, lines: list[LabelledLine], kind: str = AUTO,
               batch_size: int = 64) -> list[tuple[str, float]]:
    """(text, calibrated confidence) of each line, as the pipeline would choose it.
    ``kind="auto"``: each line is read as text first and read again as the kind that reading
    looks like: a place or a date (:func:`sohoa.fields.kind_guess.guess_kind`)."""
    return [(text, conf) for text, conf, _ in read_lines_as(eng, lines, kind, batch_size)]


def read_lines_as(eng: Any, lines: list[LabelledLine], kind: str = AUTO,
                  batch_size: int = 64) -> list[tuple[str, float, str]]:
    """:func:`read_lines` with the kind each line was read as."""
    if kind != AUTO:
        return [(t, c, kind) for t, c in _read_as(eng, lines, kind, batch_size)]
    from sohoa.fields.kind_guess import guess_kind

    out = [(t, c, "text") for t, c in _read_as(eng, lines, "text", batch_size)]
    guessed = [str(guess_kind(text)) for text, _, _ in out]
    for kind_ in sorted(set(guessed) - {"text"}):
        again = [i for i, g in enumerate(guessed) if g == kind_]
        for i, (t, c) in zip(again, _read_as(eng, [lines[i] for i in again], kind_,
                                             batch_size), strict=True):
            out[i] = (t, c, kind_)
    return out


def _read_as(eng: Any, lines: list[LabelledLine], kind: str,
             batch_size: int) -> list[tuple[str, float]]:
    from sohoa.fields import choose_reading
    from sohoa.records import Alternative, FieldCrop, FieldKind

    fk = FieldKind(kind)
    # whole line images: a neighbour's writing cut in by the image's top or bottom edge is
    # cut off before reading (models.preprocess.trim_rows); the engine is left as it was
    whole = getattr(eng, "whole_lines", None)
    if whole is not None:
        eng.whole_lines = True
    out: list[tuple[str, float]] = []
    try:
        for start in range(0, len(lines), batch_size):
            chunk = lines[start:start + batch_size]
            crops = [FieldCrop("line", fk, ln.image,
                               (0, 0, ln.image.shape[1], ln.image.shape[0])) for ln in chunk]
            for r in eng.recognize(crops, fk):
                alts = list(r.alternatives) or [Alternative(r.text, r.confidence)]
                chosen = choose_reading("line", fk, alts, r.engine)
                out.append((chosen.text, float(chosen.confidence)))
    finally:
        if whole is not None:
            eng.whole_lines = whole
    return out


def line_scores(preds: list[tuple[str, float]], truths: list[str]) -> dict[str, Any]:
    """CER, exact, ECE and the confident share (conf >= 0.9) with its exactness."""
    from rapidfuzz.distance import Levenshtein

    from sohoa.evaluation.metrics import expected_calibration_error

    edits = sum(Levenshtein.distance(p, t) for (p, _), t in zip(preds, truths, strict=True))
    chars = sum(len(t) for t in truths)
    ok = [p == t for (p, _), t in zip(preds, truths, strict=True)]
    conf = [c for _, c in preds]
    sure = [o for o, c in zip(ok, conf, strict=True) if c >= CONFIDENT]
    n = len(truths)
    return {"n": n, "chars": chars, "cer": edits / max(1, chars),
            "exact": sum(ok) / max(1, n), "ece": expected_calibration_error(conf, ok),
            "confident_share": len(sure) / max(1, n),
            "confident_exact": (sum(sure) / len(sure)) if sure else None}


def evaluate_lines(sets: list[LineSet], *, engine: str = "htr", model: Path | None = None,
                   workspace: Path | None = None, device: str = "auto",
                   kind: str = AUTO) -> dict[str, Any]:
    """Scores per set and over all sets, with what was read of each line and as which kind
    (JSON-ready)."""
    eng = _engine(engine, model, workspace, device)
    result: dict[str, Any] = {"engine": engine,
                              "model": str(getattr(eng, "model_dir", "") or ""),
                              "kind": kind, "sets": {}}
    all_preds: list[tuple[str, float]] = []
    all_truths: list[str] = []
    for s in sets:
        read = read_lines_as(eng, list(s.lines), kind)
        preds = [(t, c) for t, c, _ in read]
        truths = [ln.text for ln in s.lines]
        result["sets"][s.name] = {
            "folder": str(s.folder), "format": s.format, "writers": len(s.writers),
            "skipped": s.skipped, **line_scores(preds, truths),
            "lines": [{"source": ln.source, "truth": ln.text, "read": t,
                       "confidence": round(c, 4), "kind": k}
                      for ln, (t, c, k) in zip(s.lines, read, strict=True)]}
        all_preds += preds
        all_truths += truths
    result["all"] = line_scores(all_preds, all_truths)
    return result


class LinesSource:
    """Labelled lines (re-degraded half the time) mixed with synthetic lines."""

    def __init__(self, lines: tuple[LabelledLine, ...], mix_synthetic: float) -> None:
        self.lines = lines
        self.mix = mix_synthetic
        self.synth = SynthSource("train") if mix_synthetic > 0 else None

    def sample(self, rng: np.random.Generator) -> Sample:
        if self.synth is not None and rng.random() < self.mix:
            return self.synth.sample(rng)
        ln = self.lines[int(rng.integers(len(self.lines)))]
        img = degrade(ln.image, rng) if rng.random() < 0.5 else ln.image
        return Sample(ln.kind, ln.text, img)


def _samples(lines: list[LabelledLine]) -> list[Sample]:
    return [Sample(ln.kind, ln.text, ln.image) for ln in lines]


def _score_model(path: Path, parts: dict[str, list[LabelledLine]]) -> dict[str, float]:
    from models.checkpoint import load_model_dir
    from models.evaluate import evaluate_samples

    m = load_model_dir(path, "cpu")
    return {name: float(evaluate_samples(m.module, m.charset, m.config.height,
                                         _samples(lines))["cer"])
            for name, lines in parts.items() if lines}


def train_on_lines(sets: list[LineSet], out: Path, *, base: Path, val_share: float = 0.2,
                   mix_synthetic: float = 0.3, minutes: float = 0.0, epochs: int = 20,
                   epoch_samples: int = 2000, lr: float = 5e-4, batch_size: int = 32,
                   device: str = "auto", threads: int = 2, workers: int = 0,
                   resume: bool = False, seed: int = 1) -> dict[str, Any]:
    """Fine-tune ``base`` on the sets' lines; returns the split, CER per set before and after,
    and the path of the best model (``out/best``)."""
    from models.train import TrainOptions, fit

    train: list[LabelledLine] = []
    val: dict[str, list[LabelledLine]] = {}
    how: dict[str, str] = {}
    for s in sets:
        # writer ids are per set: prefix them so two sets' "w1" stay two writers
        lines = [replace(ln, writer=f"{s.name}:{ln.writer}") if ln.writer else ln
                 for ln in s.lines]
        tr, va, how[s.name] = split_lines(lines, val_share)
        train += tr
        val[s.name] = va
    if not train:
        raise LinesError("no training lines left after the validation split")
    if not any(val.values()):
        raise LinesError("no validation lines: give more lines or writers (or a larger "
                         "--val-share)")
    before = _score_model(base, val)
    held = [smp for lines in val.values() for smp in _samples(lines)]
    opts = TrainOptions(out=str(out), epochs=epochs, epoch_samples=epoch_samples, lr=lr,
                        warmup_steps=50, time_budget_min=minutes, patience=max(3, epochs // 3),
                        device=device, threads=threads, workers=workers, init_from=str(base),
                        batch_size=batch_size, seed=seed)
    record = {"base_model": str(base), "line_sets": [
        {"name": s.name, "folder": str(s.folder), "format": s.format, "lines": len(s.lines),
         "writers": len(s.writers), "split": how[s.name],
         "val_lines": len(val[s.name])} for s in sets],
        "train_lines": len(train), "mix_synthetic": mix_synthetic,
        "licence": "the trainer's own data: check its licence before shipping this model"}
    fit(opts, partial(LinesSource, tuple(train), mix_synthetic), held, record, resume=resume)
    best = Path(out) / "best"
    after = _score_model(best, val) if (best / "model.json").exists() else {}
    return {"model": str(best), "base": str(base), "train_lines": len(train),
            "val_lines": {k: len(v) for k, v in val.items()}, "split": how,
            "cer_before": before, "cer_after": after}
