"""The one training loop: a run stopped after an epoch and resumed reaches exactly the weights
and losses of a run never stopped; checkpoints are replaced atomically (a crash while writing
leaves the previous one whole); the CLI lays its flags over ``TrainOptions``."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest
import torch

from models.checkpoint import atomic_folder, atomic_save, load_model_dir, recover_folder
from models.data import SynthSource, fixed_set
from models.train import TrainOptions, fit

TINY = dict(channels=(8, 8, 16, 16, 16, 16), rnn_hidden=16, batch_size=4, epoch_samples=8,
            workers=0, threads=1, device="cpu", warmup_steps=2, lr=3e-3, epochs=3)


def _rows(run):
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]


def test_a_resumed_run_matches_one_never_interrupted_bit_for_bit(tmp_path):
    val = fixed_set(SynthSource("test"), 4, seed=3)
    source = partial(SynthSource, "train", stroke_share=0.5)
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    fit(TrainOptions(out=str(straight), **TINY), source, val, {})
    fit(TrainOptions(out=str(broken), **TINY), source, val, {}, stop_after=1)
    assert [r["epoch"] for r in _rows(broken)] == [1]
    fit(TrainOptions(out=str(broken), **TINY), source, val, {}, resume=True)
    a, b = _rows(straight), _rows(broken)
    assert [r["epoch"] for r in b] == [1, 2, 3]
    for ra, rb in zip(a, b, strict=True):
        assert ra["train_loss"] == rb["train_loss"] and ra["cer"] == rb["cer"]
    sa = torch.load(straight / "last.pt", weights_only=False)
    sb = torch.load(broken / "last.pt", weights_only=False)
    assert sa["state"]["step"] == sb["state"]["step"] == 6
    for k, v in sa["model"].items():
        assert torch.equal(v, sb["model"][k]), k
    assert set(sb) >= {"model", "optim", "scaler", "rng", "state"}


def test_a_crash_while_checkpointing_leaves_the_previous_checkpoint_whole(tmp_path,
                                                                           monkeypatch):
    path = tmp_path / "last.pt"
    atomic_save({"step": 1}, path)
    real = torch.save

    def crash(obj, f, *a, **k):
        f.write(b"half a checkp")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_save({"step": 2}, path)
    monkeypatch.setattr(torch, "save", real)
    assert torch.load(path, weights_only=False) == {"step": 1}

    best = tmp_path / "best"
    with atomic_folder(best) as f:
        (f / "model.json").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(best) as f:
        (f / "model.json").write_text("new, half")
        raise RuntimeError("killed")
    assert (best / "model.json").read_text() == "old"
    # a crash between the two renames: the old folder is put back
    best.rename(tmp_path / "best.old")
    recover_folder(best)
    assert (best / "model.json").read_text() == "old"
    assert not (tmp_path / "best.tmp").exists()


def test_cli_flags_are_laid_over_train_options(tmp_path):
    from sohoa.commands.train_cmd import _options

    fresh = _options(tmp_path, False, lr=None, epochs=3, extra_font_share=None)
    assert fresh.epochs == 3
    assert fresh.lr == TrainOptions(out="x").lr
    assert fresh.extra_font_share == TrainOptions(out="x").extra_font_share == 0.35
    (tmp_path / "config.json").write_text(json.dumps({**fresh.__dict__, "lr": 0.1,
                                                      "channels": [8] * 6}))
    again = _options(tmp_path, True, lr=0.5, epochs=5, workers=0, stroke_share=0.5,
                     name_share=0.8)
    assert again.lr == 0.1  # the run's own option stays
    assert (again.epochs, again.workers, again.stroke_share) == (5, 0, 0.5)
    assert fresh.name_share == 0.35 and again.name_share == 0.8  # a data share may change


def test_name_share_sets_the_share_of_name_lines():
    """``sohoa train --name-share``: that share of the training lines are name fields."""

    for share, lo, hi in ((0.35, 0.4, 0.55), (0.9, 0.88, 1.0)):  # fields drawn may be names too
        src = SynthSource("train", name_share=share)
        rng = np.random.default_rng(7)
        kinds = [src._text(rng)[0] for _ in range(400)]
        assert lo <= kinds.count("name") / 400 <= hi, (share, kinds.count("name"))
        assert src.describe()["name_share"] == share


def test_keep_epochs_keeps_every_epochs_model_loadable(tmp_path):
    val = fixed_set(SynthSource("test"), 4, seed=3)
    run = tmp_path / "run"
    fit(TrainOptions(out=str(run), keep_epochs=True, **TINY), partial(SynthSource, "train"),
        val, {})
    kept = sorted(p.name for p in (run / "epochs").iterdir())
    assert kept == ["001", "002", "003"]
    metas = [json.loads((run / "epochs" / k / "model.json").read_text()) for k in kept]
    assert [m["epoch"] for m in metas] == [1, 2, 3]
    a = torch.load(run / "epochs" / "001" / "weights.pt", weights_only=False)
    b = torch.load(run / "epochs" / "003" / "weights.pt", weights_only=False)
    assert any(not torch.equal(a[k], b[k]) for k in a if torch.is_tensor(a[k]))
    assert load_model_dir(run / "epochs" / "002").meta["epoch"] == 2
