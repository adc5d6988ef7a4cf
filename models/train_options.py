"""The options of a training run, with every default in one place (light to import: the CLI
reads it for its help without loading torch)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class TrainOptions:
    """Every training default lives here; the CLI only lays the flags it is given over it."""

    out: str
    arch: str = "crnn"  # crnn or trocr
    preset: str = "small"  # trocr size: tiny, small, base
    height: int = 32
    channels: tuple[int, ...] = (12, 24, 48, 64, 96, 96)
    rnn_hidden: int = 96
    # input columns per CTC frame: 4, or 2 (twice the frames for cramped hands); 0 = the
    # ``init_from`` model's own (4 for a new model). A stride-2 model can start from a
    # stride-4 one's weights (the same shapes)
    width_stride: int = 0
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
    val_size: int = 400
    init_from: str = ""  # a model folder to start from (fine-tuning)
    name_share: float = 0.35  # lines that are name fields, the hardest kind (SynthSource)
    extra_font_share: float = 0.35  # lines written in extra installed fonts (SynthSource)
    mark_share: float = 0.25  # lines by hands that set tone marks to the right (SynthSource)
    stroke_share: float = 0.0  # lines written with pen strokes (sohoa.synth.stroke_writer)
    address_share: float = 0.0  # lines of addresses anywhere in the country (SynthSource)
    ruled_share: float = 0.0  # stroke lines on ruled or squared paper (SynthSource)
    distort_share: float = 0.0  # lines also bent, warped, re-inked (models.augment.distort)
    # lines also as a bitonal scan, with specks, at a low resolution... (models.augment.capture)
    capture_share: float = 0.0
    bend_share: float = 0.0  # lines written along a smooth curve (models.augment.curve)
    shake_share: float = 0.0  # lines photographed with the camera moving (models.augment.shake)
    # stroke writers also given letter variety: other fonts' letters mixed in, each letter's
    # own lasting twist, stroke ends cut short or run on (sohoa.synth.stroke_writer._varied)
    letter_variety: float = 0.0
    val_font_lines: int = 0  # validation also holds this many clean lines in extra fonts
    # a folder of pre-rendered training shards (models.shards) and the share of samples
    # drawn from it (the rest fresh); "" = every sample fresh
    shards: str = ""
    shard_share: float = 0.75
    # only the parameters whose names start with one of these are trained (empty: all);
    # per-book adaptation uses it to train the upper layers of a fine-tuned model
    train_only: tuple[str, ...] = ()
    # the run's model folder (``best``) holds the last epoch's weights instead of the best
    # validation's: fixed-budget fine-tuning whose validation is no guide (its own crops)
    keep_last: bool = False
    # every epoch's model is also kept as ``RUN/epochs/NNN`` (1.7 MB each for the CRNN), so a
    # run can be selected afterwards with the reading it ships with (beam, LMs, stretch),
    # not only by the greedy validation CER that picks ``best``
    keep_epochs: bool = False
    notes: dict[str, Any] = field(default_factory=dict)


def default(name: str) -> Any:
    """The default of option ``name`` (for help texts)."""
    for f in fields(TrainOptions):
        if f.name == name:
            return f.default
    raise KeyError(name)


# options a resumed run may change; the rest are the run's own and stay as saved
RESUME_MAY_CHANGE = ("device", "threads", "workers", "name_share", "extra_font_share",
                     "mark_share", "stroke_share", "distort_share", "address_share",
                     "ruled_share", "capture_share", "bend_share", "shake_share", "letter_variety",
                     "time_budget_min", "shards", "shard_share", "keep_epochs")
