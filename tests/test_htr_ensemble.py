"""Ensembles of CRNN model folders (models/ensemble.py): joined from single networks, read as
one (each frame the members' log-probabilities averaged), written back out member by member
for per-book adaptation, refused when the networks do not fit together."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from models.charset import Charset
from models.checkpoint import MODEL_JSON, ModelError, load_model_dir, save_model_dir
from models.crnn import CRNNConfig, build_crnn
from models.ensemble import join_models, member_folder
from models.recognize import log_probs
from models.registry import DEFAULT_SHIPPED

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "weights"
TINY = dict(height=32, channels=(4, 4, 8, 8, 8, 8), rnn_hidden=8, rnn_layers=1)


def _net(folder: Path, seed: int, charset: Charset, sharp: float = 1.0,  # type: ignore[no-untyped-def]
         **over) -> Path:
    """A tiny random network; ``sharp`` scales its output layer (a random network's outputs
    are nearly uniform, whatever it reads)."""
    torch.manual_seed(seed)
    cfg = CRNNConfig(num_classes=charset.num_classes, **{**TINY, **over})
    module = build_crnn(cfg).eval()
    last = [m for m in module.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.mul_(sharp)
    save_model_dir(folder, module, cfg, charset, {"epoch": seed})
    (folder / "name_lm.json").write_text("{}", "utf-8")  # a reading file travels along
    return folder


def _line() -> np.ndarray:
    rng = np.random.default_rng(3)
    img = np.full((40, 160), 235, np.uint8)
    for x in range(10, 150, 14):
        img[12:30, x:x + 3] = rng.integers(10, 60)
    return img


@pytest.fixture()
def charset() -> Charset:
    return Charset.load(SHIPPED / "htr-v4" / "charset.json")


def test_an_ensemble_reads_the_average_of_its_members(tmp_path, charset):
    a, b = _net(tmp_path / "a", 1, charset), _net(tmp_path / "b", 2, charset)
    out = join_models([a, b], tmp_path / "ab", {"note": "test"}, half=False)
    meta = json.loads((out / MODEL_JSON).read_text("utf-8"))
    assert meta["config"]["members"] == 2 and meta["note"] == "test"
    assert [m["epoch"] for m in meta["members"]] == [1, 2]
    assert (out / "name_lm.json").exists()
    ens, ma, mb = (load_model_dir(p) for p in (out, a, b))
    img = [_line()]
    got = log_probs(ens.module, 32, img)[0]
    pa, pb = log_probs(ma.module, 32, img)[0], log_probs(mb.module, 32, img)[0]
    mean = (pa + pb) / 2
    want = mean - np.logaddexp.reduce(mean, axis=1, keepdims=True)
    assert got.shape == pa.shape and np.allclose(got, want, atol=1e-5)
    assert not np.allclose(got, pa, atol=1e-3)  # not just the first member


def test_member_folder_writes_one_network_back_out(tmp_path, charset):
    a, b = _net(tmp_path / "a", 1, charset), _net(tmp_path / "b", 2, charset)
    assert member_folder(a, tmp_path / "x") == a  # one network: itself, nothing written
    assert not (tmp_path / "x").exists()
    ens = join_models([a, b], tmp_path / "ab", half=False)
    first = member_folder(ens, tmp_path / "m0")
    m0 = load_model_dir(first)
    assert m0.config.members == 1 and (first / "name_lm.json").exists()
    img = [_line()]
    assert np.allclose(log_probs(m0.module, 32, img)[0],
                       log_probs(load_model_dir(a).module, 32, img)[0], atol=1e-6)
    second = load_model_dir(member_folder(ens, tmp_path / "m1", index=1))
    assert np.allclose(log_probs(second.module, 32, img)[0],
                       log_probs(load_model_dir(b).module, 32, img)[0], atol=1e-6)
    with pytest.raises(ModelError, match="no member 2"):
        member_folder(ens, tmp_path / "m2", index=2)


def test_join_refuses_networks_that_do_not_fit_together(tmp_path, charset):
    a = _net(tmp_path / "a", 1, charset)
    wide = _net(tmp_path / "wide", 2, charset, rnn_hidden=12)
    with pytest.raises(ModelError, match=r"wide: its network shape differs"):
        join_models([a, wide], tmp_path / "x")
    other = Charset(charset.chars[:-1])  # one character fewer
    odd = tmp_path / "odd"
    torch.manual_seed(3)
    cfg = CRNNConfig(num_classes=other.num_classes, **TINY)
    save_model_dir(odd, build_crnn(cfg).eval(), cfg, other, {})
    with pytest.raises(ModelError, match="odd: its charset differs"):
        join_models([a, odd], tmp_path / "y")
    with pytest.raises(ModelError, match="at least two"):
        join_models([a], tmp_path / "z")
    ens = join_models([a, _net(tmp_path / "b", 2, charset)], tmp_path / "ab")
    with pytest.raises(ModelError, match="already an ensemble"):
        join_models([ens, a], tmp_path / "w")


def test_config_without_members_is_one_network():
    cfg = CRNNConfig.from_dict({"num_classes": 10, "height": 32})
    assert cfg.members == 1 and cfg.to_dict()["members"] == 1
    with pytest.raises(ValueError, match="members must be >= 1"):
        replace(cfg, members=0)
    old = load_model_dir(SHIPPED / "htr-v4")  # written before ensembles existed
    assert old.config.members == 1
    assert load_model_dir(SHIPPED / DEFAULT_SHIPPED).config.members >= 1


def test_the_engine_asks_the_other_members_only_where_the_first_is_unsure(tmp_path, charset):
    from models.ctc_decode import greedy, greedy_confidence
    from ocr.htr import HTREngine

    a, b = _net(tmp_path / "a", 1, charset), _net(tmp_path / "b", 2, charset)
    ens = join_models([a, b], tmp_path / "ab", half=False)
    eng = HTREngine(model_dir=ens, device="cpu", char_lms=False, lexicons=False,
                    precision="fp32")  # compared with the float32 modules to 1e-4
    rng = np.random.default_rng(5)
    images = [_line(), np.roll(_line(), 40, axis=1), rng.integers(0, 255, (40, 120), np.uint8)]
    first = log_probs(load_model_dir(a).module, 32, images)
    both = log_probs(load_model_dir(ens).module, 32, images)
    def same(got: list[np.ndarray], want: list[np.ndarray]) -> list[bool]:
        return [bool(np.allclose(g, w, atol=1e-4)) for g, w in zip(got, want, strict=True)]

    eng.ensemble_below = 1.0  # every crop read by both
    lps, firsts = eng._log_probs(images, 8)
    assert same(lps, both) == [True] * 3 and same(firsts, first) == [True] * 3
    eng.ensemble_below = 0.0  # none unsure: the first member alone
    assert same(eng._log_probs(images, 8)[0], first) == [True] * 3
    conf = [greedy(lp, charset).confidence for lp in first]
    assert [greedy_confidence(lp) for lp in first] == pytest.approx(conf, rel=1e-5)
    assert len(set(conf)) == 3
    eng.ensemble_below = sorted(conf)[1]  # the least sure crop alone is read by both
    low = int(np.argmin(conf))
    assert same(eng._log_probs(images, 8)[0], both) == [i == low for i in range(3)]
    assert same(eng._log_probs(images, 8)[0], first) == [i != low for i in range(3)]
    # a crop whose reading will not be used (a cramped line read again wider) is not asked
    eng.ensemble_below = max(conf) + 1e-6  # every crop unsure...
    lps, _ = eng._log_probs(images, 8, unused=lambda lp: abs(greedy_confidence(lp) - conf[low]) < 1e-8)
    assert same(lps, both) == [i != low for i in range(3)]  # ...but the unused one
    assert same(lps, first) == [i == low for i in range(3)]


def test_an_unsure_name_is_also_read_one_row_lower(tmp_path, charset):
    """ocr.htr.SHIFTED_KINDS: an unsure crop flagged ``shifted`` gets the four readings (two
    members, as prepared and one row lower) averaged; a sure one, or one not flagged, not."""
    from models.ensemble import mean_log_probs
    from models.preprocess import prepare
    from models.recognize import prepared_log_probs
    from ocr.htr import SHIFTED_KINDS, HTREngine, shifted_down
    from sohoa.records import FieldKind

    assert SHIFTED_KINDS == (FieldKind.NAME,)
    arr = np.arange(12, dtype=np.float32).reshape(4, 3)
    low = shifted_down(arr)
    assert low.shape == arr.shape and not low[0].any() and (low[1:] == arr[:-1]).all()
    a, b = (_net(tmp_path / n, i, charset, sharp=1000.0) for i, n in ((1, "a"), (2, "b")))
    ens = join_models([a, b], tmp_path / "ab", half=False)
    eng = HTREngine(model_dir=ens, device="cpu", char_lms=False, lexicons=False,
                    precision="fp32")
    rng = np.random.default_rng(8)  # noise: bars alone look the same a row lower
    images = [rng.integers(0, 255, (40, 120), np.uint8) for _ in range(2)]
    arrays = [prepare(im, 32) for im in images]
    ma, mb = (load_model_dir(p).module for p in (a, b))
    four = [mean_log_probs([prepared_log_probs(m, 32, [x])[0] for m in (ma, mb)
                            for x in (arr, shifted_down(arr))]) for arr in arrays]
    both = log_probs(load_model_dir(ens).module, 32, images)
    assert not np.allclose(four[0], both[0], atol=1e-2)
    eng.ensemble_below = 1.0
    lps, _ = eng._log_probs(images, 8, shifted=[True, False])
    assert np.allclose(lps[0], four[0], atol=1e-4)
    assert np.allclose(lps[1], both[1], atol=1e-4)
    eng.ensemble_below = 0.0  # sure crops: the first member alone, shifted or not
    first = log_probs(ma, 32, images)
    lps, _ = eng._log_probs(images, 8, shifted=[True, True])
    assert all(np.allclose(g, w, atol=1e-4) for g, w in zip(lps, first, strict=True))


def test_models_join_makes_a_workspace_ensemble(tmp_path, charset):
    from typer.testing import CliRunner

    from sohoa.cli import app

    a, b = _net(tmp_path / "a", 1, charset), _net(tmp_path / "b", 2, charset)
    ws = tmp_path / "ws"
    ws.mkdir()
    run = CliRunner().invoke
    out = run(app, ["models", "join", "mine-x2", "--from", str(a), "--from", str(b),
                    "--workspace", str(ws)])
    assert out.exit_code == 0, out.output
    assert load_model_dir(ws / "models" / "mine-x2").config.members == 2
    listed = json.loads(run(app, ["models", "list", "--workspace", str(ws), "--json"]).output)
    assert {m["name"]: m["arch"] for m in listed["models"]}["mine-x2"] == "crnnx2"
    again = run(app, ["models", "join", "mine-x2", "--from", str(a), "--from", str(b),
                      "--workspace", str(ws)])
    assert again.exit_code != 0 and "exists" in again.output
    bad = run(app, ["models", "join", "../up", "--from", str(a), "--from", str(b),
                    "--workspace", str(ws)])
    assert bad.exit_code != 0 and not (tmp_path / "up").exists()
    odd = run(app, ["models", "join", "one", "--from", str(a), "--workspace", str(ws)])
    assert odd.exit_code != 0 and "at least two" in odd.output


def test_a_kind_model_reads_that_kind_only(tmp_path, charset):
    """``kind_models``: a folder's specialist network reads the crops of its kind (names), the
    folder's own ensemble every other crop, in one call and in the engine's n-best; a
    specialist that does not read like the folder's network is refused, naming the folder."""
    from models.ensemble import with_kind_model
    from ocr.base import EngineUnavailable
    from ocr.htr import HTREngine
    from sohoa.records import FieldCrop, FieldKind

    a, b = (_net(tmp_path / n, i, charset, sharp=50.0) for i, n in ((1, "a"), (2, "b")))
    c = _net(tmp_path / "c", 3, charset, sharp=50.0)
    ens = join_models([a, b], tmp_path / "ab", half=False)
    routed = with_kind_model(ens, c, "name", tmp_path / "routed")
    meta = json.loads((routed / MODEL_JSON).read_text("utf-8"))
    assert meta["kind_models"] == {"name": "names"} and (routed / "names" / MODEL_JSON).exists()
    eng = HTREngine(model_dir=routed, device="cpu", char_lms=False, lexicons=False,
                    precision="fp32")
    plain = HTREngine(model_dir=ens, device="cpu", char_lms=False, lexicons=False,
                      precision="fp32")
    rng = np.random.default_rng(4)
    images = [rng.integers(0, 255, (40, 120), np.uint8) for _ in range(3)]
    kinds = [FieldKind.NAME, FieldKind.PLACE, FieldKind.NAME]
    own = log_probs(load_model_dir(c).module, 32, images)
    lps, _ = eng._log_probs(images, 8, kinds=kinds)
    want_plain, _ = plain._log_probs(images, 8)
    assert np.allclose(lps[0], own[0], atol=1e-4) and np.allclose(lps[2], own[2], atol=1e-4)
    assert np.allclose(lps[1], want_plain[1], atol=1e-4)
    assert not np.allclose(own[1], want_plain[1], atol=1e-2)  # the two networks differ
    crops = [FieldCrop(f"f{i}", k, im, (0, 0, 1, 1))
             for i, (k, im) in enumerate(zip(kinds, images, strict=True))]
    got = [r.text for r in eng.recognize_kinds(crops, kinds)]
    names_alone = [r.text for r in eng.recognize([crops[0], crops[2]], FieldKind.NAME)]
    assert [got[0], got[2]] == names_alone
    assert got[1] == plain.recognize([crops[1]], FieldKind.PLACE)[0].text
    # a specialist of another input height is refused, naming its folder
    tall = _net(tmp_path / "tall", 4, charset, height=48)
    with pytest.raises(ModelError, match="tall|names"):
        with_kind_model(ens, tall, "name", tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    meta["kind_models"] = {"nom": "names"}
    (routed / MODEL_JSON).write_text(json.dumps(meta), "utf-8")
    with pytest.raises(EngineUnavailable, match="nom"):
        HTREngine(model_dir=routed, device="cpu", char_lms=False, lexicons=False)
