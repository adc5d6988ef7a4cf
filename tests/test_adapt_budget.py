"""The adaptation's training budget and recipe pieces: a budget in steps that is kept exactly,
only the named layers trained, the last weights kept when asked, and the bench's tuning
writers never the held-out ones."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import torch
from htr_helpers import SHIPPED, written

from models.checkpoint import load_model_dir
from models.data import Sample
from models.finetune import train_candidate
from models.train import TrainError, _trainable
from sohoa.records import FieldKind


@pytest.fixture(scope="module")
def samples() -> list[Sample]:
    return [Sample("name", t, img) for t, img in written(FieldKind.NAME, 10, role="bench",
                                                          seed=3)]


def _state(path: Path) -> dict[str, torch.Tensor]:
    return {k: v.float() for k, v in load_model_dir(path, "cpu").module.state_dict().items()}


def test_step_budget_frozen_layers_and_last_weights(tmp_path, samples):
    out = train_candidate(SHIPPED, samples, tmp_path / "run", minutes=10, max_steps=12,
                          mix_synthetic=0.0, keep_last=True, train_only=("rnn.", "head."),
                          threads=1)
    log = (tmp_path / "run" / "metrics.jsonl").read_text("utf-8")
    rows = [json.loads(r) for r in log.splitlines()]
    assert [r["step"] for r in rows] == [6, 12]  # two epochs of 6 steps: the budget exactly
    meta = json.loads((out / "model.json").read_text("utf-8"))
    assert meta["step"] == 12  # the last weights, whatever the validation said
    before, after = _state(SHIPPED), _state(out)
    # an ensemble's (the shipped htr-v5) members: the same names under members.<i>.
    changed = {re.sub(r"^members\.\d+\.", "", k).split(".")[0] for k in before
               if not torch.equal(before[k], after[k]) and "running" not in k
               and "num_batches" not in k}
    assert changed == {"rnn", "head"}, changed


def test_train_only_names_no_parameter_is_an_error():
    model = load_model_dir(SHIPPED, "cpu").module
    assert len(_trainable(model, ())) == len(list(model.parameters()))
    with pytest.raises(TrainError, match="no parameter"):
        _trainable(model, ("nothing.",))


def test_bench_tunes_only_on_training_family_writers():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_adapt.py"
    spec = importlib.util.spec_from_file_location("bench_adapt", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert all(bench.is_tuning_writer(w) for w in bench.TUNING_WRITERS.split(","))
    assert not any(bench.is_tuning_writer(w) for w in bench.HELD_OUT_WRITERS.split(","))
    assert not bench.is_tuning_writer("stroke:1000001")


def test_joined_lines_and_l2sp_pull_toward_the_start(tmp_path, samples):
    import numpy as np

    from models.finetune_recipe import joined

    a, b = samples[0], samples[1]
    j = joined(a, b, np.random.default_rng(0), max_chars=200)
    assert j.text == f"{a.text} {b.text}" and j.image.dtype == np.uint8
    assert j.image.shape[0] == max(a.image.shape[0], b.image.shape[0])
    assert j.image.shape[1] > a.image.shape[1] + b.image.shape[1] * 0.5
    assert joined(a, b, np.random.default_rng(0), max_chars=3) is a  # too long: a alone

    def drift(l2sp: float) -> float:
        out = train_candidate(SHIPPED, samples, tmp_path / f"run-{l2sp}", minutes=10,
                              max_steps=8, mix_synthetic=0.0, keep_last=True, threads=1,
                              lr=3e-3, l2sp=l2sp)
        before, after = _state(SHIPPED), _state(out)
        return sum(float(((after[k] - before[k]) ** 2).sum()) for k in before
                   if "running" not in k and "num_batches" not in k)

    free, pulled = drift(0.0), drift(50.0)
    assert 0 < pulled < 0.5 * free, (pulled, free)


def test_l2sp_weight_by_the_number_of_crops():
    """A table of (crops, weight) anchors: the anchors exactly, log-log in between (a weight
    that falls with the crops falls monotonically), flat beyond the ends; the shipped table
    is the one measured on tuning writers (0.01 at 10 to 300 crops, docs/htr.md)."""
    from models.finetune_recipe import L2SP_BY_CROPS, l2sp_for

    falling = ((30, 0.03), (100, 0.01), (300, 0.003))
    for n, a in falling:
        assert l2sp_for(n, falling) == pytest.approx(a)
    ns = [1, 5, 10, 30, 45, 60, 100, 150, 300, 1000, 5000]
    weights = [l2sp_for(n, falling) for n in ns]
    assert all(a >= b for a, b in zip(weights, weights[1:], strict=False))
    assert l2sp_for(10, falling) > l2sp_for(100, falling) > l2sp_for(300, falling) > 0
    assert l2sp_for(1, falling) == 0.03 and l2sp_for(5000, falling) == 0.003
    assert 0.01 < l2sp_for(55, falling) < 0.03 and 0.003 < l2sp_for(173, falling) < 0.01
    for n, a in L2SP_BY_CROPS:
        assert l2sp_for(n) == pytest.approx(a)
    assert [l2sp_for(n) for n in (10, 30, 100, 300)] == [0.01] * 4  # as measured
