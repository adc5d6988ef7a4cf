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

from sohoa.errors import InputError

log = logging.getLogger(__name__)


def _options(out: Path, resume: bool, **given: object):  # type: ignore[no-untyped-def]
    """The run's options: ``TrainOptions`` with the flags given laid over it, or, when
    resuming, the saved ones (only ``RESUME_MAY_CHANGE`` and more epochs may change)."""
    from models.train_options import RESUME_MAY_CHANGE, TrainOptions

    given = {k: v for k, v in given.items() if v is not None}
    cfg_file = out / "config.json"
    if resume and cfg_file.exists():
        saved = json.loads(cfg_file.read_text("utf-8"))
        saved = {k: v for k, v in saved.items() if k in TrainOptions.__dataclass_fields__}
        saved["channels"] = tuple(saved["channels"])
        saved.update({k: v for k, v in given.items() if k in RESUME_MAY_CHANGE})
        if "epochs" in given:
            saved["epochs"] = max(int(given["epochs"]), int(saved["epochs"]))  # type: ignore[call-overload]
        saved["out"] = str(out)
        return TrainOptions(**saved)
    return TrainOptions(out=str(out), **given)  # type: ignore[arg-type]


def _synthetic(out: Path, resume: bool, **given: object) -> dict:
    from models.data import SynthSource, fixed_set
    from models.train import fit

    opts = _options(out, resume, **given)
    out.mkdir(parents=True, exist_ok=True)
    val_source = SynthSource("test")
    val = fixed_set(val_source, opts.val_size, seed=12345, cache=out / "val.npz")
    if opts.stroke_share:  # and lines of validation stroke writers (never held-out ones)
        stroke_val = SynthSource("test", stroke_share=1.0, writer_seeds=(900_000, 1_000_000))
        val += fixed_set(stroke_val, opts.val_size // 2, seed=12346,
                         cache=out / "val_strokes.npz")
    if opts.address_share:  # and addresses anywhere in the country by those writers
        address_val = SynthSource("test", stroke_share=1.0, writer_seeds=(900_000, 1_000_000),
                                  address_share=1.0)
        val += fixed_set(address_val, opts.val_size // 4, seed=12348,
                         cache=out / "val_addresses.npz")
    if opts.ruled_share:  # and their lines on ruled and squared paper
        ruled_val = SynthSource("test", stroke_share=1.0, writer_seeds=(900_000, 1_000_000),
                                ruled_share=1.0)
        val += fixed_set(ruled_val, opts.val_size // 4, seed=12349, cache=out / "val_ruled.npz")
    if opts.val_font_lines:  # clean font lines (extra training fonts, never bench/test ones)
        val += fixed_set(SynthSource("test", extra_share=1.0), opts.val_font_lines,
                         seed=12347, cache=out / "val_fonts.npz")
    source = partial(SynthSource, "train", name_share=opts.name_share,
                     extra_share=opts.extra_font_share,
                     mark_share=opts.mark_share, stroke_share=opts.stroke_share,
                     distort_share=opts.distort_share, address_share=opts.address_share,
                     ruled_share=opts.ruled_share, capture_share=opts.capture_share,
                     bend_share=opts.bend_share, letter_variety=opts.letter_variety,
                     shake_share=opts.shake_share)
    if opts.shards:  # pre-rendered training lines mixed in (models.shards)
        from models.shards import shard_source

        source = partial(shard_source, source, opts.shards, opts.shard_share)
    record = {"train": source().describe(), "val": val_source.describe(),
              "val_size": len(val)}
    record = _record_data(out, record, resume)
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
        given = {k: v for k, v in opts.items() if v is not None}  # unset flags: the defaults
        return train_on_lines(sets, out, base=base_dir, **given)  # type: ignore[arg-type]
    except (ModelError, TrainError) as exc:
        raise LinesError(f"train --lines: {exc}") from exc


def register(app: typer.Typer) -> None:
    from models.train_options import default as d

    @app.command("train")
    def train(
        out: Path = typer.Option(Path("runs/htr"), "--out", help="Run folder."),
        resume: bool = typer.Option(False, "--resume", help="Continue the run in --out."),
        arch: str = typer.Option(None, "--arch", help=f"crnn (ours) or trocr (default {d('arch')})."),
        preset: str = typer.Option(None, "--preset",
                                   help=f"trocr size: tiny, small, base (default {d('preset')})."),
        device: str = typer.Option(None, "--device", help=f"auto, cpu or cuda (default {d('device')})."),
        epochs: int = typer.Option(None, "--epochs", help=f"(default {d('epochs')})"),
        epoch_samples: int = typer.Option(None, "--epoch-samples",
                                          help=f"(default {d('epoch_samples')})"),
        batch_size: int = typer.Option(None, "--batch-size", help=f"(default {d('batch_size')})"),
        lr: float = typer.Option(None, "--lr", help=f"(default {d('lr')})"),
        height: int = typer.Option(None, "--height",
                                   help=f"CRNN input height (multiple of 16) (default {d('height')})."),
        width_stride: int = typer.Option(
            None, "--width-stride", help="CRNN input columns per CTC frame, 4 or 2; a stride-2 "
            "model can start from a stride-4 one (--init-from) (default: the --init-from "
            "model's, else 4)."),
        minutes: float = typer.Option(None, "--minutes", help="Time budget; 0 = none (default 0)."),
        patience: int = typer.Option(None, "--patience",
                                     help=f"Epochs without a better CER (default {d('patience')})."),
        workers: int = typer.Option(None, "--workers",
                                    help=f"Rendering processes (default {d('workers')})."),
        threads: int = typer.Option(None, "--threads", help=f"Torch CPU threads (default {d('threads')})."),
        extra_fonts: float = typer.Option(
            None, "--extra-fonts", help="Share of lines written in extra installed fonts "
            "(fontpkg-* handwriting, Debian print fonts; never test/bench fonts) "
            f"(default {d('extra_font_share')})."),
        shifted_marks: float = typer.Option(
            None, "--shifted-marks", help="Share of lines by hands that set tone marks to the "
            f"right of their letters, over the gap or the next letter (default {d('mark_share')})."),
        name_share: float = typer.Option(
            None, "--name-share", help="Share of lines that are name fields (the hardest kind; "
            f"the rest drawn from every field kind) (default {d('name_share')})."),
        stroke_share: float = typer.Option(
            None, "--stroke-share", help="Share of lines written with pen strokes by synthetic "
            "writers (skeleton letters, joins, hand-placed marks, pens, photo light) "
            f"(default {d('stroke_share')})."),
        distort_share: float = typer.Option(
            None, "--distort-share", help="Share of lines also bent (elastic), baseline-warped, "
            "sheared, re-inked thinner/thicker, blurred, faded and JPEG-compressed "
            f"(models.augment.distort) (default {d('distort_share')})."),
        address_share: float = typer.Option(
            None, "--address-share", help="Share of lines that are addresses anywhere in the "
            "country (every province's units; towns' house numbers, lanes, streets) "
            f"(default {d('address_share')})."),
        ruled_share: float = typer.Option(
            None, "--ruled-share", help="Share of the pen-stroke lines written on ruled "
            f"notebook paper or squared 'ô ly' paper, half each (default {d('ruled_share')})."),
        capture_share: float = typer.Option(
            None, "--capture-share", help="Share of lines also captured badly: a bitonal "
            "(black-and-white) scan, dust specks, a low resolution, thinner or bolder ink, weak "
            f"contrast (models.augment.capture) (default {d('capture_share')})."),
        bend_share: float = typer.Option(
            None, "--bend-share", help="Share of lines written along a smooth curve (an arc, "
            "a drift up or down, a wave) instead of a straight baseline (models.augment.curve) "
            f"(default {d('bend_share')})."),
        shake_share: float = typer.Option(
            None, "--shake-share", help="Share of lines photographed with the camera moving: "
            "a smear along one direction, sometimes a double exposure (models.augment.shake) "
            f"(default {d('shake_share')})."),
        letter_variety: float = typer.Option(
            None, "--letter-variety", help="Share of the pen-stroke writers also given letter "
            "variety: letters of other fonts mixed in (each letter always the same), each "
            "letter's own lasting twist, stroke ends cut short or run on "
            f"(default {d('letter_variety')})."),
        init_from: str = typer.Option(None, "--init-from", help="Model folder to start from."),
        shards: str = typer.Option(
            None, "--shards", help="Folder of pre-rendered training lines (`python -m "
            "models.shards`, run beside training under nice) mixed into the fresh samples."),
        shard_share: float = typer.Option(
            None, "--shard-share", help="Share of samples drawn from --shards "
            f"(default {d('shard_share')})."),
        val_font_lines: int = typer.Option(
            None, "--val-font-lines", help="Validation also holds this many clean lines in the "
            "extra training fonts (so the run selects on font lines too; never bench fonts) "
            f"(default {d('val_font_lines')})."),
        keep_epochs: bool = typer.Option(
            None, "--keep-epochs", help="Also keep every epoch's model as RUN/epochs/NNN (to "
            "select the run afterwards with the reading it ships with)."),
        val_size: int = typer.Option(None, "--val-size", help=f"(default {d('val_size')})"),
        seed: int = typer.Option(None, "--seed", help=f"(default {d('seed')})"),
        workspace: Path = typer.Option(None, "--workspace", help="Workspace (fine-tuning)."),
        from_confirmed: bool = typer.Option(False, "--from-confirmed",
                                            help="Fine-tune on the workspace's confirmed crops."),
        mix_synthetic: float = typer.Option(0.5, "--mix-synthetic",
                                            help="Share of synthetic lines when fine-tuning."),
        lines: list[Path] = typer.Option(
            None, "--lines", help="Fine-tune on labelled lines: a folder with labels.tsv, PAGE "
            "XML or ALTO (docs/htr.md); repeat for several sets."),
        base: str = typer.Option(None, "--base", help="--lines: model name or folder to start "
                                 "from (default: the workspace's model in use, else the shipped default)."),
        val_share: float = typer.Option(0.2, "--val-share", help="--lines: share of writers "
                                        "(or lines, without writer ids) held out."),
    ) -> None:
        """Train the handwriting line recogniser (CRNN + CTC, or TrOCR with --arch trocr)."""
        # idle OpenMP threads sleep instead of spinning: on shared cores spinning threads
        # burned ~10x the CPU of the actual work (measured); set before torch is imported
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        logging.getLogger("models").setLevel(logging.INFO)
        if arch not in (None, "crnn", "trocr"):
            raise InputError(f"unknown --arch {arch!r}; use crnn or trocr")
        if lines:
            res = _lines(lines, out, base, workspace, resume=resume, val_share=val_share,
                         mix_synthetic=mix_synthetic, minutes=minutes, epochs=epochs,
                         epoch_samples=epoch_samples, lr=lr, batch_size=batch_size,
                         device=device, threads=threads, workers=workers, seed=seed)
            typer.echo(json.dumps(res, ensure_ascii=False, indent=2))
            return
        if from_confirmed:
            if workspace is None:
                raise InputError("--from-confirmed needs --workspace")
            from models.finetune import finetune

            res = finetune(workspace, mix_synthetic=mix_synthetic,
                           device=device or d("device"), threads=threads or d("threads"),
                           workers=d("workers") if workers is None else workers,
                           minutes=minutes or 0.0, epochs=min(epochs or d("epochs"), 8),
                           epoch_samples=min(epoch_samples or d("epoch_samples"), 1000))
            typer.echo(json.dumps({**asdict(res), "path": str(res.path)}, ensure_ascii=False,
                                  indent=2))
            typer.echo(f"held-out CER {res.cer_before:.2%} -> {res.cer_after:.2%}. The model in "
                       f"use is unchanged; to switch: sohoa models use {res.name} "
                       f"--workspace {workspace}")
            return
        given = dict(arch=arch, preset=preset, device=device, epochs=epochs,
                     epoch_samples=epoch_samples, batch_size=batch_size, lr=lr, height=height,
                     width_stride=width_stride,
                     time_budget_min=minutes, patience=patience, workers=workers,
                     threads=threads, seed=seed, extra_font_share=extra_fonts,
                     mark_share=shifted_marks, stroke_share=stroke_share, init_from=init_from,
                     name_share=name_share,
                     val_size=val_size, distort_share=distort_share, address_share=address_share,
                     ruled_share=ruled_share, capture_share=capture_share, bend_share=bend_share,
                     shake_share=shake_share,
                     letter_variety=letter_variety, val_font_lines=val_font_lines, shards=shards,
                     shard_share=shard_share,
                     keep_epochs=keep_epochs)
        best = _synthetic(out, resume, **given)
        typer.echo(json.dumps(best, ensure_ascii=False, indent=2))
