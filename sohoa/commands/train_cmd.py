"""``sohoa train``: train the handwriting recogniser on synthetic handwriting, or fine-tune it
from a workspace's clerk-confirmed crops, or on trainers' labelled line sets (``--lines``).
``sohoa models list|use`` lives in ``models_cmd``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from functools import partial
from pathlib import Path

import typer

log = logging.getLogger(__name__)


def _options(out: Path, resume: bool, **given: object):  # type: ignore[no-untyped-def]
    """The run's options: the saved ones when resuming (device/threads/workers/budget may change)."""
    from models.train import TrainOptions

    cfg_file = out / "config.json"
    if resume and cfg_file.exists():
        saved = json.loads(cfg_file.read_text("utf-8"))
        saved = {k: v for k, v in saved.items() if k in TrainOptions.__dataclass_fields__}
        saved["channels"] = tuple(saved["channels"])
        for key in ("device", "threads", "workers", "extra_font_share", "mark_share",
                    "stroke_share"):
            saved[key] = given[key]
        saved["epochs"] = max(int(given["epochs"]), int(saved["epochs"]))  # type: ignore[call-overload]
        if given["time_budget_min"]:
            saved["time_budget_min"] = given["time_budget_min"]
        saved["out"] = str(out)
        return TrainOptions(**saved)
    return TrainOptions(out=str(out), **given)  # type: ignore[arg-type]


def _synthetic(out: Path, resume: bool, arch: str, preset: str, val_size: int,
               **given: object) -> dict:
    from models.data import SynthSource, fixed_set
    from models.train import fit

    opts = _options(out, resume, **given)
    out.mkdir(parents=True, exist_ok=True)
    val_source = SynthSource("test")
    val = fixed_set(val_source, val_size, seed=12345, cache=out / "val.npz")
    if opts.stroke_share:  # and lines of validation stroke writers (never held-out ones)
        stroke_val = SynthSource("test", stroke_share=1.0, writer_seeds=(900_000, 1_000_000))
        val += fixed_set(stroke_val, val_size // 2, seed=12346, cache=out / "val_strokes.npz")
    source = partial(SynthSource, "train", extra_share=opts.extra_font_share,
                     mark_share=opts.mark_share, stroke_share=opts.stroke_share)
    record = {"train": source().describe(), "val": val_source.describe(),
              "val_size": len(val)}
    record = _record_data(out, record, resume)
    if arch == "trocr":
        from models.train_trocr import fit_trocr

        return fit_trocr(opts, preset, source, val, record, resume)
    return fit(opts, source, val, record, resume=resume)


def _record_data(out: Path, record: dict, resume: bool) -> dict:
    """On resume with other training data (say, more fonts), keep what each leg used; returns
    the record with the earlier legs."""
    data_file = out / "data.json"
    if not (resume and data_file.exists()):
        return record
    saved = json.loads(data_file.read_text("utf-8"))
    legs = saved.pop("legs", [])
    if saved != record:
        legs.append(saved)
        data_file.write_text(json.dumps({**record, "legs": legs}, ensure_ascii=False,
                                        indent=2), "utf-8")
    return {**record, "legs": legs} if legs else record


def _known_folder(workspace: Path | None) -> None:
    """Refuse a workspace folder that does not exist (rather than make one for the pointer)."""
    from sohoa.store import WorkspaceNotFound

    if workspace is not None and not workspace.is_dir():
        raise WorkspaceNotFound(f"{workspace}: no workspace here")


def _lines(folders: list[Path], out: Path, base: str | None, workspace: Path | None,
           **opts: object) -> dict:
    """``train --lines``: fine-tune on trainers' labelled line sets."""
    from models.checkpoint import ModelError
    from models.lines import LinesError, read_line_sets
    from models.lines_run import train_on_lines
    from models.registry import find_model, model_in_use
    from models.train import TrainError

    try:
        if base:
            base_dir = Path(base) if Path(base).is_dir() else find_model(base, workspace)
        else:
            base_dir = model_in_use(workspace)
        sets = read_line_sets(folders)
        return train_on_lines(sets, out, base=base_dir, **opts)  # type: ignore[arg-type]
    except (ModelError, TrainError) as exc:
        raise LinesError(f"train --lines: {exc}") from exc


def register(app: typer.Typer) -> None:
    @app.command("train")
    def train(
        out: Path = typer.Option(Path("runs/htr"), "--out", help="Run folder."),
        resume: bool = typer.Option(False, "--resume", help="Continue the run in --out."),
        arch: str = typer.Option("crnn", "--arch", help="crnn (ours) or trocr."),
        preset: str = typer.Option("small", "--preset", help="trocr size: tiny, small, base."),
        device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
        epochs: int = typer.Option(30, "--epochs"),
        epoch_samples: int = typer.Option(8000, "--epoch-samples"),
        batch_size: int = typer.Option(32, "--batch-size"),
        lr: float = typer.Option(1.5e-3, "--lr"),
        height: int = typer.Option(32, "--height", help="CRNN input height (multiple of 16)."),
        minutes: float = typer.Option(0.0, "--minutes", help="Time budget; 0 = none."),
        patience: int = typer.Option(6, "--patience", help="Epochs without a better CER."),
        workers: int = typer.Option(1, "--workers", help="Rendering processes."),
        threads: int = typer.Option(2, "--threads", help="Torch CPU threads."),
        extra_fonts: float = typer.Option(
            0.35, "--extra-fonts", help="Share of lines written in extra installed fonts "
            "(fontpkg-* handwriting, Debian print fonts; never test/bench fonts)."),
        shifted_marks: float = typer.Option(
            0.25, "--shifted-marks", help="Share of lines by hands that set tone marks to the "
            "right of their letters, over the gap or the next letter."),
        stroke_share: float = typer.Option(
            0.0, "--stroke-share", help="Share of lines written with pen strokes by synthetic "
            "writers (skeleton letters, joins, hand-placed marks, pens, photo light)."),
        init_from: str = typer.Option("", "--init-from", help="Model folder to start from."),
        val_size: int = typer.Option(400, "--val-size"),
        seed: int = typer.Option(1, "--seed"),
        workspace: Path = typer.Option(None, "--workspace", help="Workspace (fine-tuning)."),
        from_confirmed: bool = typer.Option(False, "--from-confirmed",
                                            help="Fine-tune on the workspace's confirmed crops."),
        mix_synthetic: float = typer.Option(0.5, "--mix-synthetic",
                                            help="Share of synthetic lines when fine-tuning."),
        lines: list[Path] = typer.Option(
            None, "--lines", help="Fine-tune on labelled lines: a folder with labels.tsv, PAGE "
            "XML or ALTO (docs/htr.md); repeat for several sets."),
        base: str = typer.Option(None, "--base", help="--lines: model name or folder to start "
                                 "from (default: the workspace's model in use, else htr-v3)."),
        val_share: float = typer.Option(0.2, "--val-share", help="--lines: share of writers "
                                        "(or lines, without writer ids) held out."),
    ) -> None:
        """Train the handwriting line recogniser (CRNN + CTC, or TrOCR with --arch trocr)."""
        # idle OpenMP threads sleep instead of spinning: on shared cores spinning threads
        # burned ~10x the CPU of the actual work (measured); set before torch is imported
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        logging.getLogger("models").setLevel(logging.INFO)
        if arch not in ("crnn", "trocr"):
            raise typer.BadParameter(f"unknown --arch {arch!r}; use crnn or trocr")
        if lines:
            res = _lines(lines, out, base, workspace, resume=resume, val_share=val_share,
                         mix_synthetic=mix_synthetic, minutes=minutes, epochs=epochs,
                         epoch_samples=epoch_samples, lr=lr, batch_size=batch_size,
                         device=device, threads=threads, workers=workers, seed=seed)
            typer.echo(json.dumps(res, ensure_ascii=False, indent=2))
            return
        if from_confirmed:
            if workspace is None:
                raise typer.BadParameter("--from-confirmed needs --workspace")
            from models.finetune import finetune

            res = finetune(workspace, mix_synthetic=mix_synthetic, device=device,
                           threads=threads, workers=workers, minutes=minutes,
                           epochs=min(epochs, 8), epoch_samples=min(epoch_samples, 1000))
            typer.echo(json.dumps({**asdict(res), "path": str(res.path)}, ensure_ascii=False,
                                  indent=2))
            typer.echo(f"held-out CER {res.cer_before:.2%} -> {res.cer_after:.2%}. The model in "
                       f"use is unchanged; to switch: sohoa models use {res.name} "
                       f"--workspace {workspace}")
            return
        given = dict(device=device, epochs=epochs, epoch_samples=epoch_samples,
                     batch_size=batch_size, lr=lr, height=height, time_budget_min=minutes,
                     patience=patience, workers=workers, threads=threads, seed=seed,
                     extra_font_share=extra_fonts, mark_share=shifted_marks,
                     stroke_share=stroke_share, init_from=init_from)
        best = _synthetic(out, resume, arch, preset, val_size, **given)
        typer.echo(json.dumps(best, ensure_ascii=False, indent=2))
