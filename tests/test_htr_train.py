"""Training loop and run folder of the handwriting model, with a tiny network on real
synthetic handwriting: files written, resume continues, the result loads as an engine."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest

from models.checkpoint import ModelError, load_model_dir
from models.data import SynthSource, fixed_set
from models.train import TrainError, TrainOptions, fit
from ocr.htr import HTREngine
from sohoa.records import FieldCrop, FieldKind

TINY = dict(channels=(8, 8, 16, 16, 16, 16), rnn_hidden=16, batch_size=8, epoch_samples=48,
            workers=0, threads=1, device="cpu", warmup_steps=2, lr=3e-3)


def test_fit_writes_a_resumable_run_folder_and_a_loadable_model(tmp_path):
    val = fixed_set(SynthSource("test"), 8, seed=3, cache=tmp_path / "val.npz")
    assert (tmp_path / "val.npz").exists()
    again = fixed_set(SynthSource("test"), 8, seed=3, cache=tmp_path / "val.npz")
    assert [s.text for s in again] == [s.text for s in val]
    run = tmp_path / "run"
    opts = TrainOptions(out=str(run), epochs=1, **TINY)
    best = fit(opts, partial(SynthSource, "train"), val, {"what": "tiny"})
    for name in ("config.json", "charset.json", "data.json", "metrics.jsonl", "last.pt",
                 "best/model.json", "best/weights.pt", "best/charset.json"):
        assert (run / name).exists(), name
    assert json.loads((run / "data.json").read_text())["what"] == "tiny"
    assert best["epoch"] == 1 and 0.0 <= best["cer"]
    with pytest.raises(TrainError, match="--resume"):
        fit(opts, partial(SynthSource, "train"), val, {})
    more = TrainOptions(out=str(run), epochs=2, **TINY)
    fit(more, partial(SynthSource, "train"), val, {}, resume=True)
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[1]["step"] == 2 * rows[0]["step"]
    assert set(rows[0]["by_kind"]) <= {"name", "date", "year", "place", "sex", "ethnicity",
                                        "nationality", "number", "relation", "text", "random"}

    model = load_model_dir(run / "best")
    assert model.config.channels == TINY["channels"]
    engine = HTREngine(model_dir=run / "best", device="cpu", beam=4, nbest=3)
    img = np.full((30, 120), 240, np.uint8)
    img[10:20, 10:100] = 20
    crops = [FieldCrop("a", FieldKind.NAME, img, (0, 0, 120, 30)),
             FieldCrop("b", FieldKind.NAME, img, (0, 0, 120, 30), empty=True)]
    readings = engine.recognize(crops, FieldKind.NAME)
    assert [r.field for r in readings] == ["a", "b"]
    assert readings[1].text == "" and readings[1].confidence == 1.0
    assert all(0.0 <= r.confidence <= 1.0 for r in readings)
    confs = [a.confidence for a in readings[0].alternatives]
    assert confs == sorted(confs, reverse=True)


def test_resume_without_a_run_and_bad_model_folders_are_clear_errors(tmp_path):
    opts = TrainOptions(out=str(tmp_path / "none"), epochs=1, **TINY)
    with pytest.raises(TrainError, match="nothing to resume"):
        fit(opts, partial(SynthSource, "train"), [], {}, resume=True)
    with pytest.raises(ModelError, match="model.json"):
        load_model_dir(tmp_path)
    (tmp_path / "model.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_model_dir(tmp_path)


def test_trocr_arch_trains_the_same_way_and_loads_in_the_trocr_engine(tmp_path):
    from models.train_trocr import fit_trocr
    from ocr.trocr import TrOCREngine

    val = fixed_set(SynthSource("test"), 4, seed=4)
    run = tmp_path / "trocr"
    opts = TrainOptions(out=str(run), epochs=1, epoch_samples=8, batch_size=4, workers=0,
                        threads=1, device="cpu", warmup_steps=1)
    best = fit_trocr(opts, "tiny", partial(SynthSource, "train"), val, {"what": "tiny"})
    assert best["epoch"] == 1 and best["n"] == 4
    for name in ("config.json", "charset.json", "data.json", "metrics.jsonl",
                 "best/config.json", "last.pt"):
        assert (run / name).exists(), name
    fit_trocr(TrainOptions(**{**opts.__dict__, "epochs": 2}), "tiny",
              partial(SynthSource, "train"), val, {}, resume=True)
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2
    engine = TrOCREngine(device="cpu", model_dir=run / "best", num_beams=2)
    img = val[0].image
    out = engine.recognize([FieldCrop("x", FieldKind.NAME, img, (0, 0, 1, 1))], FieldKind.NAME)
    assert len(out) == 1 and out[0].engine == "trocr"


def test_cramped_lines_are_trained_on_when_ctc_can_spell_them():
    """A narrow, tightly spaced hand gives ~1.5-2 frames per character: such a line is kept for
    training as long as CTC can align it (a frame per character, one more between equal
    neighbours, one to spare), and dropped when it cannot."""
    from models.charset import Charset
    from models.data import Sample, _usable, ctc_frames_needed

    assert ctc_frames_needed("Nguyễn") == 6
    assert ctc_frames_needed("Hoàng Anh") == 9
    assert ctc_frames_needed("Hoo") == 4 and ctc_frames_needed("aaa") == 5
    cs = Charset.default()
    text = "Lò Thị Hương"  # 12 characters
    # a 32 px high crop w px wide gives w // 4 frames
    assert _usable(Sample("name", text, np.full((32, 4 * 13 + 2), 255, np.uint8)), cs, 32)
    assert not _usable(Sample("name", text, np.full((32, 4 * 12), 255, np.uint8)), cs, 32)
    # the former rule (2 frames per character + 1) dropped the first one too
    assert 13 < 2 * len(text) + 1
