"""The shipped handwriting model behind the ``htr`` engine: it reads generator handwriting in
fonts it never trained on, batched, with n-best alternatives and calibrated-looking
confidences, and a workspace's chosen model is the one used."""

from __future__ import annotations

import shutil

import numpy as np
from htr_helpers import SHIPPED, written

from models import registry
from models.evaluate import score
from ocr import get_engine
from ocr.htr import HTREngine
from sohoa.records import FieldCrop, FieldKind


def _crops(kind: FieldKind, pairs):
    return [FieldCrop(f"f{i}", kind, img, (0, 0, img.shape[1], img.shape[0]))
            for i, (_, img) in enumerate(pairs)]


def test_shipped_model_reads_unseen_hands_dates_and_names():
    engine = get_engine("htr", device="cpu")
    assert engine.model_dir == SHIPPED
    dates = written(FieldKind.DATE, 30, role="test", seed=11)
    names = written(FieldKind.NAME, 30, role="test", seed=12)
    rd = engine.recognize(_crops(FieldKind.DATE, dates), FieldKind.DATE)
    rn = engine.recognize(_crops(FieldKind.NAME, names), FieldKind.NAME)
    d = score([r.text for r in rd], [t for t, _ in dates], ["date"] * len(dates))
    n = score([r.text for r in rn], [t for t, _ in names], ["name"] * len(names))
    print(f"htr on unseen test-font hands: dates CER {d['cer']:.2%}, names {n['cer']:.2%}")
    assert d["cer"] < 0.15, d
    assert n["cer"] < 0.30, n
    for r in rd + rn:
        assert r.engine == "htr" and 0.0 <= r.confidence <= 1.0
        assert r.alternatives and r.alternatives[0].text == r.text
        confs = [a.confidence for a in r.alternatives]
        assert confs == sorted(confs, reverse=True)


def test_shipped_model_is_surer_of_its_right_readings():
    """A right reading is more confident than a wrong one of the same kind far more often
    than not (the rank AUC over pairs within a kind): 100 crops a kind, so that there are
    wrong readings to rank (the test above has two or three among 60, and names read less
    surely than dates, so a mean over both kinds said more about which kind erred than about
    the confidences). Pairs are pooled over kinds, so a model that misreads hardly any date
    is still judged on its names."""
    engine = get_engine("htr", device="cpu")
    wins = []
    for kind, seed in ((FieldKind.DATE, 31), (FieldKind.NAME, 32)):
        pairs = written(kind, 100, role="test", seed=seed)
        got = engine.recognize(_crops(kind, pairs), kind)
        right = [r.confidence for r, (t, _) in zip(got, pairs, strict=True) if r.text == t]
        wrong = [r.confidence for r, (t, _) in zip(got, pairs, strict=True) if r.text != t]
        assert len(right) >= 50, (kind, len(right), len(wrong))
        won = [(a > b) + 0.5 * (a == b) for a in right for b in wrong]
        print(f"{kind.value}: {len(right)} right, {len(wrong)} wrong, AUC "
              f"{np.mean(won) if won else float('nan'):.3f}")
        wins += won
    assert len(wins) >= 100, len(wins)  # at least two wrong readings to rank
    assert np.mean(wins) > 0.7, np.mean(wins)


def test_engine_keeps_order_skips_empty_crops_and_follows_the_workspace_pointer(tmp_path):
    names = written(FieldKind.NAME, 3, role="test", seed=13)
    crops = _crops(FieldKind.NAME, names)
    crops.insert(1, FieldCrop("blank", FieldKind.NAME, np.full((30, 90), 235, np.uint8),
                              (0, 0, 90, 30), empty=True))
    engine = HTREngine(device="cpu", beam=1)
    out = engine.recognize(crops, FieldKind.NAME)
    assert [r.field for r in out] == ["f0", "blank", "f1", "f2"]
    assert out[1].text == "" and out[1].confidence == 1.0
    beam = HTREngine(device="cpu", beam=8, nbest=4).recognize(crops, FieldKind.NAME)
    assert [r.field for r in beam] == [r.field for r in out]
    assert all(len(r.alternatives) <= 4 for r in beam)

    ws = tmp_path / "ws"
    shutil.copytree(SHIPPED, registry.workspace_models_dir(ws) / "htr-ft-001")
    assert HTREngine(device="cpu", workspace=ws).model_dir == SHIPPED
    registry.use_model(ws, "htr-ft-001")
    assert HTREngine(device="cpu", workspace=ws).model_name == "htr-ft-001"


def test_the_shipped_name_and_place_lms_are_hooked_by_default():
    from ocr import get_engine
    from sohoa.records import FieldKind

    engine = get_engine("htr", device="cpu")
    assert set(engine.lms) == {FieldKind.NAME, FieldKind.PLACE, FieldKind.DATE}
    hook = engine.lms[FieldKind.PLACE]
    assert hook("xã Chiền", "g") > hook("xã Chiền", "x")  # a place LM, not a no-op
    assert not get_engine("htr", device="cpu", char_lms=False).lms
