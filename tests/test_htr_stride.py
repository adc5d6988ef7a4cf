"""The CRNN's width stride: stride-4 folders (model.json without the field) load as before, a
stride-2 network takes a stride-4 one's weights and emits twice the frames, training and
inference follow the saved stride; and the engine's stretch of cramped lines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.charset import Charset  # noqa: E402
from models.checkpoint import load_model_dir, save_model_dir  # noqa: E402
from models.crnn import CRNNConfig, build_crnn, model_stride, output_lengths  # noqa: E402
from models.recognize import log_probs  # noqa: E402

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "weights" / "htr-v4"


def test_config_stride_defaults_and_checks() -> None:
    old = json.loads((SHIPPED / "model.json").read_text("utf-8"))["config"]
    assert "width_stride" not in old
    assert CRNNConfig.from_dict(old).width_stride == 4
    cfg = CRNNConfig.from_dict({**old, "width_stride": 2})
    assert cfg.width_stride == 2 and cfg.to_dict()["width_stride"] == 2
    with pytest.raises(ValueError, match="width_stride"):
        CRNNConfig(num_classes=10, width_stride=3)


def test_stride2_takes_stride4_weights_and_doubles_frames(tmp_path: Path) -> None:
    m4 = load_model_dir(SHIPPED)
    cfg2 = replace(m4.config, width_stride=2)
    net2 = build_crnn(cfg2)
    net2.load_state_dict(m4.module.state_dict())  # strict: every shape the same
    net2.eval()
    x = torch.rand(2, 1, 32, 128)
    with torch.inference_mode():
        t4 = m4.module(x).shape[0]
        t2 = net2(x).shape[0]
    assert t4 == 32 == int(output_lengths(torch.tensor([128]), 4)[0])
    assert t2 == 64 == int(output_lengths(torch.tensor([128]), 2)[0])
    # saved and loaded: model.json carries the stride, the loaded module follows it
    save_model_dir(tmp_path / "s2", net2, cfg2, m4.charset, {})
    assert json.loads((tmp_path / "s2" / "model.json").read_text())["config"]["width_stride"] == 2
    loaded = load_model_dir(tmp_path / "s2")
    assert loaded.config.width_stride == 2 and model_stride(loaded.module) == 2
    img = np.full((40, 200), 230, np.uint8)
    img[:, 20:180:6] = 20  # ink from top to bottom: nothing for prepare to trim
    (lp2,) = log_probs(loaded.module, 32, [img])
    (lp4,) = log_probs(m4.module, 32, [img])
    assert lp2.shape[0] == 2 * lp4.shape[0]


def test_train_build_switches_stride_from_init(tmp_path: Path) -> None:
    from models.train import CRNNArch, TrainOptions

    charset = Charset.load(SHIPPED / "charset.json")
    arch = CRNNArch()
    opts = TrainOptions(out=str(tmp_path / "run"), init_from=str(SHIPPED), width_stride=2)
    model, described = arch.build(opts, charset)
    assert described["width_stride"] == 2 and model_stride(model) == 2
    ref = load_model_dir(SHIPPED).module.state_dict()
    got = model.state_dict()
    assert all(torch.equal(ref[k].float(), got[k].float()) for k in ref)
    # the CTC loss uses the stride's frame counts: a batch whose text needs more than
    # width/4 frames is still learnable at stride 2
    batch = {"images": torch.rand(1, 1, 32, 40), "widths": torch.tensor([40]),
             "targets": torch.tensor(charset.encode("abcdefghijklmn")),
             "target_lengths": torch.tensor([14]), "texts": ["abcdefghijklmn"]}
    loss, n = arch.loss(model, batch, "cpu", None)
    assert n == 1 and torch.isfinite(loss) and loss.item() > 0
    # the default keeps the init model's stride
    _, kept = CRNNArch().build(replace(opts, width_stride=0), charset)
    assert kept["width_stride"] == 4


def test_frames_per_char_and_stretch() -> None:
    from ocr.htr import greedy_frames_per_char, stretch_width

    lp = np.full((20, 5), -9.0, np.float32)
    lp[:, 0] = 0.0
    for t, k in ((2, 1), (3, 1), (5, 2), (8, 3), (11, 1)):  # a a . b . c . a: 4 characters
        lp[t, :] = -9.0
        lp[t, k] = 0.0
    assert greedy_frames_per_char(lp) == pytest.approx((11 - 2 + 1) / 4)
    assert greedy_frames_per_char(lp[:6]) == float("inf")  # under 3 characters
    img = np.zeros((10, 40), np.uint8)
    assert stretch_width(img, 1.5).shape == (10, 60)
    assert stretch_width(img, 1.0) is img


def test_engine_reads_cramped_lines_stretched() -> None:
    """A line under STRETCH_BELOW frames per character is read as its 1.3x-wide copy; a
    roomy line as it is; ``stretch=False`` reads both as they are."""
    from models.recognize import log_probs as lps
    from ocr.htr import (
        STRETCH_BELOW,
        STRETCH_FACTOR,
        HTREngine,
        greedy_frames_per_char,
        stretch_width,
    )
    from sohoa.records import FieldKind
    from sohoa.synth import HandStyle, render_handwriting

    rng = np.random.default_rng(5)
    style = HandStyle.sample(rng, font_role="test", size=30.0)
    roomy = render_handwriting("Lò Văn Minh", style, rng)
    cramped = np.ascontiguousarray(stretch_width(roomy, 0.5))  # squeezed to half its width
    on = HTREngine(device="cpu", model_dir=SHIPPED, stretch=True)
    off = HTREngine(device="cpu", model_dir=SHIPPED, stretch=False)
    fpc = [greedy_frames_per_char(lp) for lp in lps(on.net, 32, [roomy, cramped])]
    assert fpc[0] >= STRETCH_BELOW > fpc[1]
    kind = FieldKind.NAME
    got = on._read([roomy, cramped], [kind, kind], 64)
    plain = off._read([roomy, cramped], [kind, kind], 64)
    wide = off._read([stretch_width(cramped, STRETCH_FACTOR)], [kind], 64)
    assert got[0] == plain[0]
    assert got[1] == wide[0]


def test_engine_reads_wide_hands_squeezed_keeping_the_surer_reading(monkeypatch) -> None:
    """A whole line image written wide (over SQUEEZE_ABOVE frames per character) is read again
    at SQUEEZE_TO / its frames per character of its width; with SQUEEZE_CHOOSE the surer of
    the two readings is kept; a line of ordinary pitch is read once, as it is, and the
    pipeline's field crops (not whole lines) are never squeezed."""
    import ocr.htr as htr
    from models.recognize import log_probs as lps
    from sohoa.records import FieldKind
    from sohoa.synth import HandStyle, render_handwriting

    monkeypatch.setattr(htr, "SQUEEZE_ABOVE", 4.5)
    monkeypatch.setattr(htr, "SQUEEZE_TO", 3.0)
    rng = np.random.default_rng(5)
    style = HandStyle.sample(rng, font_role="test", size=30.0)
    roomy = render_handwriting("Lò Văn Minh", style, rng)
    wide = np.ascontiguousarray(htr.stretch_width(roomy, 2.5))
    on = htr.HTREngine(device="cpu", model_dir=SHIPPED, stretch=True)
    crops = htr.HTREngine(device="cpu", model_dir=SHIPPED, stretch=True)
    on.whole_lines = True
    fpc = [htr.greedy_frames_per_char(lp) for lp in lps(on.net, 32, [roomy, wide])]
    assert htr.STRETCH_BELOW <= fpc[0] <= 4.5 < fpc[1]
    factor = htr.width_factor(lps(on.net, 32, [wide])[0])
    assert factor == pytest.approx(max(htr.SQUEEZE_MIN, 3.0 / fpc[1]))
    kind = FieldKind.NAME
    as_is = htr.HTREngine(device="cpu", model_dir=SHIPPED, stretch=False)
    as_is.whole_lines = True
    plain = as_is._read([roomy, wide], [kind, kind], 64)
    squeezed = as_is._read([htr.stretch_width(wide, factor)], [kind], 64)[0]
    assert squeezed != plain[1]  # (so each case below can tell which one it got)
    for choose in (False, True):
        monkeypatch.setattr(htr, "SQUEEZE_CHOOSE", choose)
        got = on._read([roomy, wide], [kind, kind], 64)
        assert got[0] == plain[0]
        surer = squeezed if squeezed.confidences[0] > plain[1].confidences[0] else plain[1]
        assert got[1] == (surer if choose else squeezed)
        assert crops._read([wide], [kind], 64)[0] == \
            htr.HTREngine(device="cpu", model_dir=SHIPPED, stretch=False)._read([wide], [kind], 64)[0]
    monkeypatch.setattr(htr, "SQUEEZE_ABOVE", None)  # off: read as it is
    assert on._read([wide], [kind], 64)[0] == plain[1]
