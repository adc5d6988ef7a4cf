"""The one training loop of the handwriting recognisers, for every architecture (the CRNN here,
TrOCR in :mod:`models.train_trocr`) through a small :class:`Arch` interface: on-the-fly data
(any source with a ``sample(rng)``), AdamW with warm-up and cosine decay over steps or a time
budget, mixed precision on CUDA, validation CER per epoch, early stopping, and a run folder
that resumes exactly where it stopped:

``RUN/config.json`` the options, ``RUN/charset.json``, ``RUN/data.json`` what data was used,
``RUN/metrics.jsonl`` one line per epoch, ``RUN/last.pt`` the full training state (model,
optimiser, gradient scaler, random states, step; written atomically), ``RUN/best/`` the best
model folder so far (swapped in atomically; loadable by the ``htr`` or ``trocr`` engine).
A run resumed from ``last.pt`` with the same options and workers sees the same batches and
reaches the same weights as one never interrupted.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from models.charset import Charset
from models.checkpoint import (
    atomic_folder,
    atomic_save,
    copy_reading_files,
    load_model_dir,
    recover_folder,
    resolve_device,
    save_model_dir,
)
from models.crnn import CRNNConfig, build_crnn, output_lengths
from models.data import Sample, torch_stream
from models.evaluate import evaluate_samples
from models.train_options import TrainOptions
from sohoa.errors import SohoaError

log = logging.getLogger(__name__)

__all__ = ["Arch", "CRNNArch", "TrainError", "TrainOptions", "fit", "run_training"]


class TrainError(SohoaError, RuntimeError):
    """Training cannot start or resume (bad run folder, mismatched options)."""


class Arch(Protocol):
    """What the loop needs of an architecture."""

    name: str
    clip: float  # gradient-norm clip

    def build(self, opts: TrainOptions, charset: Charset) -> tuple[Any, dict[str, Any]]:
        """A new model (in train mode) and a JSON-able description for config.json."""

    def batches(self, source_factory: Callable[[], Any], charset: Charset, opts: TrainOptions,
                start: int) -> Iterator[Any]:
        """The run's batches from batch number ``start`` on."""

    def loss(self, model: Any, batch: Any, device: str, amp: Any) -> tuple[Any, int]:
        """The batch's loss and its number of samples."""

    def evaluate(self, model: Any, val: list[Sample], device: str) -> dict[str, Any]: ...

    def save(self, model: Any, folder: Path, meta: dict[str, Any]) -> None: ...

    def amp_dtype(self, device: str) -> Any:
        """The autocast dtype on this device, or None for full precision."""


def _lr_factor(progress: float, step: int, warmup: int, floor: float = 0.03) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), "utf-8")


def _rng_state() -> dict[str, Any]:
    import torch

    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
            "python": random.getstate(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def _set_rng_state(st: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(st["torch"])
    np.random.set_state(st["numpy"])
    random.setstate(st["python"])
    if st.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(st["cuda"])


def _seed_all(seed: int) -> None:
    import torch

    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _trainable(model: Any, prefixes: tuple[str, ...] | list[str]) -> list[Any]:
    """The parameters to train: all, or those whose names start with one of ``prefixes``
    (the others are frozen: no gradient, not in the optimiser); in an ensemble, each member's
    parameters of those names."""
    if not prefixes:
        return list(model.parameters())
    out = []
    for name, p in model.named_parameters():
        # an ensemble's members have the same names under members.<i>. (models.ensemble)
        own = re.sub(r"^members\.\d+\.", "", name)
        p.requires_grad_(own.startswith(tuple(prefixes)))
        if p.requires_grad:
            out.append(p)
    if not out:
        raise TrainError(f"train_only {list(prefixes)}: no parameter of the model matches")
    return out


def run_training(opts: TrainOptions, arch: Arch, source_factory: Callable[[], Any],
                 val: list[Sample], data_record: dict[str, Any], resume: bool = False,
                 charset: Charset | None = None, stop_after: int | None = None
                 ) -> dict[str, Any]:
    """Train until the epochs, the time budget or the patience run out (or, with
    ``stop_after``, after that many epochs of this session, as if interrupted); returns the
    best validation row. ``source_factory`` builds the sample source inside each worker."""
    import torch

    run = Path(opts.out)
    last = run / "last.pt"
    if resume and not last.exists():
        raise TrainError(f"{run}: nothing to resume (no last.pt)")
    if not resume and (last.exists() or (run / "last").exists()):
        raise TrainError(f"{run}: a run exists here; pass --resume or choose another --out")
    run.mkdir(parents=True, exist_ok=True)
    recover_folder(run / "best")
    charset = charset or Charset.default()
    device = resolve_device(opts.device)
    torch.set_num_threads(opts.threads)
    _seed_all(opts.seed)
    model, described = arch.build(opts, charset)
    model.to(device)
    params = _trainable(model, opts.train_only)
    optim = torch.optim.AdamW(params, lr=opts.lr, weight_decay=opts.weight_decay)
    amp = arch.amp_dtype(device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp == torch.float16)
    state: dict[str, Any] = {"step": 0, "epoch": 0, "elapsed": 0.0, "best_cer": 1e9,
                             "bad_epochs": 0}
    if resume:
        ck = torch.load(last, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        optim.load_state_dict(ck["optim"])
        if "scaler" in ck:
            scaler.load_state_dict(ck["scaler"])
        state = ck["state"]
        log.info("resumed %s at epoch %d step %d", run, state["epoch"], state["step"])
    else:
        _write_json(run / "config.json", {**asdict(opts), "model": described})
        charset.save(run / "charset.json")
        _write_json(run / "data.json", data_record)
    total_steps = opts.epochs * opts.epoch_samples // opts.batch_size
    budget_s = opts.time_budget_min * 60.0
    # the loader draws its base seed from torch's generator: make it before the random
    # states are put back, so a resumed run's dropout continues as an unbroken one's would
    batches = arch.batches(source_factory, charset, opts, state["step"])
    if resume and "rng" in ck:
        _set_rng_state(ck["rng"])
    best: dict[str, Any] = {}
    session = 0
    while state["epoch"] < opts.epochs:
        model.train()
        t0, seen, loss_sum, n_loss = time.time(), 0, 0.0, 0
        while seen < opts.epoch_samples:
            b = next(batches)
            progress = state["step"] / max(1, total_steps)
            if budget_s:
                progress = max(progress, (state["elapsed"] + time.time() - t0) / budget_s)
            for g in optim.param_groups:
                g["lr"] = opts.lr * _lr_factor(progress, state["step"], opts.warmup_steps)
            loss, n = arch.loss(model, b, device, amp)
            optim.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optim)
            torch.nn.utils.clip_grad_norm_(params, arch.clip)
            scaler.step(optim)
            scaler.update()
            state["step"] += 1
            seen += n
            if math.isfinite(loss.item()):
                loss_sum, n_loss = loss_sum + loss.item(), n_loss + 1
            if state["step"] % 50 == 0:
                log.info("step %d: loss %.3f, %.1f samples/s", state["step"], loss.item(),
                         seen / max(1e-9, time.time() - t0))
            if budget_s and state["elapsed"] + time.time() - t0 > budget_s:
                break
        dt = time.time() - t0
        state["elapsed"] += dt
        state["epoch"] += 1
        session += 1
        metrics = arch.evaluate(model, val, device)
        row = {"epoch": state["epoch"], "step": state["step"], "train_loss": loss_sum /
               max(1, n_loss), "samples_per_s": seen / max(dt, 1e-9), "elapsed_min":
               state["elapsed"] / 60, "lr": optim.param_groups[0]["lr"], **metrics}
        with (run / "metrics.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        log.info("epoch %d: loss %.3f val CER %.4f (%.0f samples/s)", state["epoch"],
                 row["train_loss"], metrics["cer"], row["samples_per_s"])
        meta = {"val": metrics, "epoch": state["epoch"], "step": state["step"],
                "data": data_record, "train_minutes": round(state["elapsed"] / 60, 1)}
        if metrics["cer"] < state["best_cer"] or opts.keep_last:
            state["best_cer"] = min(metrics["cer"], state["best_cer"])
            state["bad_epochs"], best = 0, row
            with atomic_folder(run / "best") as folder:
                arch.save(model, folder, meta)
        else:
            state["bad_epochs"] += 1
        if opts.keep_epochs:
            with atomic_folder(run / "epochs" / f"{state['epoch']:03d}") as folder:
                arch.save(model, folder, meta)
        atomic_save({"model": model.state_dict(), "optim": optim.state_dict(),
                     "scaler": scaler.state_dict(), "rng": _rng_state(), "state": state,
                     "arch": arch.name, "config": described}, last)
        if state["bad_epochs"] >= opts.patience:
            log.info("early stop: no better validation CER for %d epochs", opts.patience)
            break
        if budget_s and state["elapsed"] >= budget_s:
            log.info("time budget of %.0f min used", opts.time_budget_min)
            break
        if stop_after is not None and session >= stop_after:
            break
    return best


class CRNNArch:
    """The CRNN + CTC recogniser (:mod:`models.crnn`)."""

    name, clip = "crnn", 5.0

    def __init__(self) -> None:
        self.cfg: CRNNConfig | None = None
        self.charset: Charset | None = None
        self.inherited: dict[str, Any] = {}  # what a fine-tune keeps of its base's meta
        self.base: Path | None = None  # the model a fine-tune started from

    def build(self, opts: TrainOptions, charset: Charset) -> tuple[Any, dict[str, Any]]:
        self.charset = charset
        if opts.init_from:
            loaded = load_model_dir(Path(opts.init_from))
            if loaded.charset != charset:
                raise TrainError(f"{opts.init_from}: its charset differs from the run's")
            # the base's decoding weights (models.decode_weights) are the best guess for a
            # network fine-tuned from it until they are tuned again on its own outputs
            self.inherited = {k: loaded.meta[k] for k in ("decoding",) if k in loaded.meta}
            self.base = Path(opts.init_from)
            self.cfg = loaded.config
            stride = opts.width_stride or loaded.config.width_stride
            if stride == loaded.config.width_stride:
                return loaded.module.train(), self.cfg.to_dict()
            # another frame rate, the same weight shapes: start from the loaded weights
            self.cfg = replace(loaded.config, width_stride=stride)
            module = build_crnn(self.cfg)
            module.load_state_dict(loaded.module.state_dict())
            return module.train(), self.cfg.to_dict()
        self.cfg = CRNNConfig(num_classes=charset.num_classes, height=opts.height,
                              channels=tuple(opts.channels), rnn_hidden=opts.rnn_hidden,
                              width_stride=opts.width_stride or 4)
        return build_crnn(self.cfg), self.cfg.to_dict()

    def batches(self, source_factory: Callable[[], Any], charset: Charset, opts: TrainOptions,
                start: int) -> Iterator[Any]:
        assert self.cfg is not None
        return iter(torch_stream(source_factory, charset, self.cfg.height, opts.batch_size,
                                 opts.seed * 1000, opts.workers, start=start))

    def loss(self, model: Any, b: dict[str, Any], device: str, amp: Any) -> tuple[Any, int]:
        import torch

        x = b["images"].to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=amp or torch.float16, enabled=amp is not None):
            logp = model(x)
        assert self.cfg is not None
        lens = output_lengths(b["widths"], self.cfg.width_stride).clamp(max=logp.shape[0])
        loss = torch.nn.functional.ctc_loss(logp.float(), b["targets"], lens,
                                            b["target_lengths"], zero_infinity=True)
        return loss, len(b["texts"])

    def evaluate(self, model: Any, val: list[Sample], device: str) -> dict[str, Any]:
        assert self.cfg is not None and self.charset is not None
        return evaluate_samples(model, self.charset, self.cfg.height, val, device)

    def save(self, model: Any, folder: Path, meta: dict[str, Any]) -> None:
        assert self.cfg is not None and self.charset is not None
        save_model_dir(folder, model, self.cfg, self.charset, {**self.inherited, **meta})
        if self.base is not None:  # and its character LMs: read as the base was read
            copy_reading_files(self.base, folder)

    def amp_dtype(self, device: str) -> Any:
        import torch

        return torch.float16 if device == "cuda" else None


def fit(opts: TrainOptions, source_factory: Callable[[], Any], val: list[Sample],
        data_record: dict[str, Any], resume: bool = False,
        charset: Charset | None = None, stop_after: int | None = None) -> dict[str, Any]:
    """Train or fine-tune (``opts.init_from``) a recogniser of ``opts.arch`` on the samples
    of ``source_factory()``: the stable entry point for every caller (CLI, fine-tuning, per
    book adaptation). See :func:`run_training`."""
    if opts.arch == "trocr":
        from models.train_trocr import TrOCRArch

        arch: Arch = TrOCRArch(opts.preset)
    elif opts.arch == "crnn":
        arch = CRNNArch()
    else:
        raise TrainError(f"unknown arch {opts.arch!r}; use crnn or trocr")
    return run_training(opts, arch, source_factory, val, data_record, resume, charset,
                        stop_after)
