"""The training loop for the CRNN recogniser: on-the-fly synthetic data (or any source with a
``sample(rng)``), CTC loss, AdamW with warm-up and cosine decay over steps or a time budget,
validation CER per epoch, early stopping, and a resumable run folder:

``RUN/config.json`` the options, ``RUN/charset.json``, ``RUN/data.json`` what data was used,
``RUN/metrics.jsonl`` one line per epoch, ``RUN/last.pt`` the full training state (resume),
``RUN/best/`` the best model folder so far (loadable by the ``htr`` engine).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from models.charset import Charset
from models.checkpoint import load_model_dir, resolve_device, save_model_dir
from models.crnn import CRNNConfig, build_crnn, output_lengths
from models.data import Sample, torch_stream
from models.evaluate import evaluate_samples

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    out: str
    height: int = 32
    channels: tuple[int, ...] = (12, 24, 48, 64, 96, 96)
    rnn_hidden: int = 96
    batch_size: int = 32
    epochs: int = 30
    epoch_samples: int = 8000
    lr: float = 1.5e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 300
    time_budget_min: float = 0.0  # 0 = no budget; else the schedule ends at this time
    patience: int = 6
    device: str = "auto"
    threads: int = 2
    workers: int = 1
    seed: int = 1
    init_from: str = ""  # a model folder to start from (fine-tuning)
    extra_font_share: float = 0.0  # lines written in extra installed fonts (SynthSource)
    mark_share: float = 0.0  # lines by hands that set tone marks to the right (SynthSource)
    stroke_share: float = 0.0  # lines written with pen strokes (sohoa.synth.stroke_writer)
    notes: dict[str, Any] = field(default_factory=dict)


class TrainError(RuntimeError):
    """Training cannot start or resume (bad run folder, mismatched options)."""


def _lr_factor(progress: float, step: int, warmup: int, floor: float = 0.03) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), "utf-8")


def _new_model(opts: TrainOptions, charset: Charset) -> tuple[Any, CRNNConfig]:
    if opts.init_from:
        loaded = load_model_dir(Path(opts.init_from))
        if loaded.charset != charset:
            raise TrainError(f"{opts.init_from}: its charset differs from the run's")
        return loaded.module.train(), loaded.config
    cfg = CRNNConfig(num_classes=charset.num_classes, height=opts.height,
                     channels=tuple(opts.channels), rnn_hidden=opts.rnn_hidden)
    return build_crnn(cfg), cfg


def fit(opts: TrainOptions, source_factory: Callable[[], Any], val: list[Sample],
        data_record: dict[str, Any], resume: bool = False,
        charset: Charset | None = None) -> dict[str, Any]:
    """Train until the epochs, the time budget or the patience run out; returns the best
    validation metrics. ``source_factory`` builds the sample source inside each worker."""
    import torch

    run = Path(opts.out)
    last = run / "last.pt"
    if resume and not last.exists():
        raise TrainError(f"{run}: nothing to resume (no last.pt)")
    if not resume and last.exists():
        raise TrainError(f"{run}: a run exists here; pass --resume or choose another --out")
    run.mkdir(parents=True, exist_ok=True)
    charset = charset or Charset.default()
    device = resolve_device(opts.device)
    torch.set_num_threads(opts.threads)
    torch.manual_seed(opts.seed)
    model, cfg = _new_model(opts, charset)
    model.to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=opts.lr, weight_decay=opts.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=device == "cuda")
    state: dict[str, Any] = {"step": 0, "epoch": 0, "elapsed": 0.0, "best_cer": 1e9,
                             "bad_epochs": 0}
    if resume:
        ck = torch.load(last, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        optim.load_state_dict(ck["optim"])
        state = ck["state"]
        log.info("resumed %s at epoch %d step %d", run, state["epoch"], state["step"])
    else:
        _write_json(run / "config.json", {**asdict(opts), "model": cfg.to_dict()})
        charset.save(run / "charset.json")
        _write_json(run / "data.json", data_record)
    total_steps = opts.epochs * opts.epoch_samples // opts.batch_size
    budget_s = opts.time_budget_min * 60.0
    loader = torch_stream(source_factory, charset, cfg.height, opts.batch_size,
                          opts.seed * 1000 + state["epoch"], opts.workers)
    batches = iter(loader)
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    best: dict[str, Any] = {}
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
            x = b["images"].to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.float16, enabled=device == "cuda"):
                logp = model(x)
            lens = output_lengths(b["widths"]).clamp(max=logp.shape[0])
            loss = ctc(logp.float(), b["targets"], lens, b["target_lengths"])
            optim.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optim)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            scaler.step(optim)
            scaler.update()
            state["step"] += 1
            seen += len(b["texts"])
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
        metrics = evaluate_samples(model, charset, cfg.height, val, device)
        row = {"epoch": state["epoch"], "step": state["step"], "train_loss": loss_sum /
               max(1, n_loss), "samples_per_s": seen / max(dt, 1e-9), "elapsed_min":
               state["elapsed"] / 60, "lr": optim.param_groups[0]["lr"], **metrics}
        with (run / "metrics.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        log.info("epoch %d: loss %.3f val CER %.4f (%.0f samples/s)", state["epoch"],
                 row["train_loss"], metrics["cer"], row["samples_per_s"])
        if metrics["cer"] < state["best_cer"]:
            state["best_cer"], state["bad_epochs"] = metrics["cer"], 0
            save_model_dir(run / "best", model, cfg, charset,
                           {"val": metrics, "epoch": state["epoch"], "step": state["step"],
                            "train_minutes": round(state["elapsed"] / 60, 1),
                            "data": data_record})
            best = row
        else:
            state["bad_epochs"] += 1
        tmp = run / "last.pt.tmp"
        torch.save({"model": model.state_dict(), "optim": optim.state_dict(), "state": state,
                    "config": cfg.to_dict()}, tmp)
        tmp.replace(last)
        if state["bad_epochs"] >= opts.patience:
            log.info("early stop: no better validation CER for %d epochs", opts.patience)
            break
        if budget_s and state["elapsed"] >= budget_s:
            log.info("time budget of %.0f min used", opts.time_budget_min)
            break
    return best
