"""Training a TrOCR-style VisionEncoderDecoderModel (:mod:`models.trocr`) on the same synthetic
handwriting as the CRNN: the path for a GPU box (mixed precision on CUDA). The run folder has
the same shape: ``config.json``, ``charset.json``, ``data.json``, ``metrics.jsonl``, ``last/``
(model + ``optim.pt`` for ``--resume``) and ``best/`` (a ``save_pretrained`` folder the
``trocr`` engine loads).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import IterableDataset

from models.charset import Charset
from models.data import Sample
from models.evaluate import score
from models.train import TrainError, TrainOptions, _lr_factor, _write_json

log = logging.getLogger(__name__)


class SampleStream(IterableDataset):  # type: ignore[type-arg]
    """Endless lists of ``batch_size`` samples from a source built in each worker."""

    def __init__(self, factory: Callable[[], Any], batch_size: int, seed: int) -> None:
        self.factory, self.batch_size, self.seed = factory, batch_size, seed

    def __iter__(self) -> Iterator[list[Sample]]:
        from torch.utils.data import get_worker_info

        info = get_worker_info()
        rng = np.random.default_rng(self.seed * 100 + (info.id if info else 0))
        source = self.factory()
        while True:
            yield [source.sample(rng) for _ in range(self.batch_size)]


def _identity(batch: list[Sample]) -> list[Sample]:
    return batch


def _predict(model: Any, processor: Any, images: list[np.ndarray], device: str) -> list[str]:
    import torch

    from models.trocr import encode_batch

    out: list[str] = []
    for s in range(0, len(images), 64):
        px = encode_batch(processor, images[s: s + 64])["pixel_values"].to(device)
        with torch.inference_mode():
            ids = model.generate(px, num_beams=1)
        out += processor.tokenizer.batch_decode(ids, skip_special_tokens=True)
    return out


def fit_trocr(opts: TrainOptions, preset: str, source_factory: Callable[[], Any],
              val: list[Sample], data_record: dict[str, Any], resume: bool = False) -> dict:
    """Train until the epochs, time budget or patience run out; returns the best metrics."""
    import torch
    from torch.utils.data import DataLoader

    from models.checkpoint import resolve_device
    from models.trocr import build_trocr, encode_batch, load_trocr, save_trocr

    run = Path(opts.out)
    if resume and not (run / "last" / "optim.pt").exists():
        raise TrainError(f"{run}: nothing to resume (no last/optim.pt)")
    if not resume and (run / "last").exists():
        raise TrainError(f"{run}: a run exists here; pass --resume or choose another --out")
    run.mkdir(parents=True, exist_ok=True)
    charset = Charset.default()
    device = resolve_device(opts.device)
    torch.set_num_threads(opts.threads)
    if resume:
        model, processor = load_trocr(run / "last", device)
        ck = torch.load(run / "last" / "optim.pt", map_location=device, weights_only=False)
        state = ck["state"]
    else:
        model, processor = build_trocr(preset, charset.chars)
        state = {"step": 0, "epoch": 0, "elapsed": 0.0, "best_cer": 1e9, "bad_epochs": 0}
        _write_json(run / "config.json", {**asdict(opts), "arch": "trocr", "preset": preset})
        charset.save(run / "charset.json")
        _write_json(run / "data.json", data_record)
    model.to(device).train()
    optim = torch.optim.AdamW(model.parameters(), lr=opts.lr, weight_decay=opts.weight_decay)
    if resume:
        optim.load_state_dict(ck["optim"])
    amp = device == "cuda"
    dtype = torch.bfloat16 if amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=amp and dtype == torch.float16)
    loader = DataLoader(SampleStream(source_factory, opts.batch_size, opts.seed * 1000 +
                                     state["epoch"]), batch_size=None,
                        num_workers=opts.workers, collate_fn=_identity,
                        multiprocessing_context="spawn" if opts.workers else None,
                        persistent_workers=opts.workers > 0)
    batches = iter(loader)
    total_steps = opts.epochs * opts.epoch_samples // opts.batch_size
    budget_s = opts.time_budget_min * 60.0
    best: dict[str, Any] = {}
    while state["epoch"] < opts.epochs:
        model.train()
        t0, seen, loss_sum = time.time(), 0, 0.0
        while seen < opts.epoch_samples:
            samples = next(batches)
            texts = [charset.normalize(s.text) for s in samples]
            b = encode_batch(processor, [s.image for s in samples], texts)
            progress = state["step"] / max(1, total_steps)
            if budget_s:
                progress = max(progress, (state["elapsed"] + time.time() - t0) / budget_s)
            for g in optim.param_groups:
                g["lr"] = opts.lr * _lr_factor(progress, state["step"], opts.warmup_steps)
            with torch.autocast("cuda", dtype=dtype, enabled=amp):
                loss = model(pixel_values=b["pixel_values"].to(device),
                             labels=b["labels"].to(device)).loss
            optim.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optim)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optim)
            scaler.update()
            state["step"] += 1
            seen += len(samples)
            loss_sum += loss.item() if math.isfinite(loss.item()) else 0.0
            if budget_s and state["elapsed"] + time.time() - t0 > budget_s:
                break
        dt = time.time() - t0
        state["elapsed"] += dt
        state["epoch"] += 1
        model.eval()
        preds = _predict(model, processor, [s.image for s in val], device)
        metrics = score(preds, [charset.normalize(s.text) for s in val], [s.kind for s in val])
        row = {"epoch": state["epoch"], "step": state["step"], "train_loss": loss_sum /
               max(1, seen // opts.batch_size), "samples_per_s": seen / max(dt, 1e-9),
               "elapsed_min": state["elapsed"] / 60, **metrics}
        with (run / "metrics.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        log.info("epoch %d: val CER %.4f", state["epoch"], metrics["cer"])
        if metrics["cer"] < state["best_cer"]:
            state["best_cer"], state["bad_epochs"], best = metrics["cer"], 0, row
            save_trocr(model, processor, run / "best")
        else:
            state["bad_epochs"] += 1
        save_trocr(model, processor, run / "last")
        torch.save({"optim": optim.state_dict(), "state": state}, run / "last" / "optim.pt")
        if state["bad_epochs"] >= opts.patience or (budget_s and state["elapsed"] >= budget_s):
            break
    return best
