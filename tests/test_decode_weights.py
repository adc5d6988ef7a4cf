"""A network's decoding weights travel with it in its model folder (models.decode_weights):
the engine decodes with the weights its ``model.json`` names, a bad entry is an error naming
the file, and a fine-tune keeps its base's weights."""

from __future__ import annotations

import json
import shutil

import pytest
from htr_helpers import SHIPPED

from models.decode_weights import DecodeWeights, DecodeWeightsError
from ocr import EngineUnavailable, get_engine


def _copy_with(tmp_path, decoding):
    folder = tmp_path / "htr-tuned"
    shutil.copytree(SHIPPED, folder)
    meta = json.loads((folder / "model.json").read_text("utf-8"))
    meta["decoding"] = decoding
    (folder / "model.json").write_text(json.dumps(meta), "utf-8")
    return folder


def test_weights_from_meta_fill_defaults_and_reject_bad_entries():
    assert DecodeWeights.from_meta({}) == DecodeWeights()
    w = DecodeWeights.from_meta({"decoding": {"place": 2.5, "lm": 0}})
    assert (w.place, w.lm, w.name, w.closed) == (2.5, 0.0, 1.0, 8.0)
    assert DecodeWeights.from_meta({"decoding": w.to_meta()}) == w
    with pytest.raises(DecodeWeightsError, match=r"m/model.json.*'plac'"):
        DecodeWeights.from_meta({"decoding": {"plac": 2.0}}, "m/model.json")
    for bad in (-1, "2", True, float("nan")):
        with pytest.raises(DecodeWeightsError, match="'name' must be a number"):
            DecodeWeights.from_meta({"decoding": {"name": bad}})
    with pytest.raises(DecodeWeightsError, match="must be an object"):
        DecodeWeights.from_meta({"decoding": [1.0]})


def test_engine_decodes_with_its_folders_weights(tmp_path):
    shipped = get_engine("htr", device="cpu", model_dir=SHIPPED)
    assert shipped.decoder.weights == DecodeWeights.from_meta(shipped.model.meta)
    folder = _copy_with(tmp_path, {"place": 2.0, "name": 1.5, "lm": 0.25})
    tuned = get_engine("htr", device="cpu", model_dir=folder)
    assert (tuned.decoder.weights.place, tuned.decoder.weights.name) == (2.0, 1.5)
    assert tuned.lm_weight == tuned.decoder.lm_weight == 0.25
    # an explicit lm_weight still wins over the folder's
    assert get_engine("htr", device="cpu", model_dir=folder, lm_weight=0.7).lm_weight == 0.7


def test_a_bad_decoding_entry_makes_the_model_unusable_with_its_file_named(tmp_path):
    folder = _copy_with(tmp_path, {"place": "four"})
    with pytest.raises(EngineUnavailable, match=r"htr-tuned/model.json.*'place'"):
        get_engine("htr", device="cpu", model_dir=folder)


def test_a_fine_tune_keeps_its_bases_weights(tmp_path):
    from models.train import CRNNArch
    from models.train_options import TrainOptions

    folder = _copy_with(tmp_path, {"place": 2.0})
    arch = CRNNArch()
    module, _ = arch.build(TrainOptions(out=str(tmp_path / "run"), init_from=str(folder)),
                           get_engine("htr", device="cpu", model_dir=folder).model.charset)
    arch.save(module, tmp_path / "child", {"epoch": 1})
    meta = json.loads((tmp_path / "child" / "model.json").read_text("utf-8"))
    assert meta["decoding"] == {"place": 2.0} and meta["epoch"] == 1
