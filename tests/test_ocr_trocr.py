"""The TrOCR build path (models/trocr.py) and the trocr engine, offline, on the CPU.

Models are built with random weights inside the tests and saved to a temporary folder; nothing
is downloaded (HF_HUB_OFFLINE=1, local_files_only).
"""

from __future__ import annotations

import time
import unicodedata

import pytest

torch = pytest.importorskip("torch")

from ocr_helpers import make_crop  # noqa: E402

from models.trocr import (  # noqa: E402
    PRESETS,
    TrOCRModelError,
    build_tokenizer,
    build_trocr,
    encode_batch,
    load_trocr,
    save_trocr,
)
from ocr import EngineUnavailable, get_engine  # noqa: E402
from sohoa.records import FieldKind  # noqa: E402

LINES = ["Lò Văn Hùng", "23/05/2006", "Điện Biên"]
CHARSET = "".join(sorted(set("".join(LINES)))) + "abcdeghiklmnoprstuvxy"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    torch.set_num_threads(1)  # the test machine is shared; OpenMP spinning costs 10x


def test_tokenizer_round_trips_vietnamese_nfc() -> None:
    text = "Nguyễn Thị Hồng Nhung, Lò Văn Hùng 23/05/2006"
    tok = build_tokenizer(text + "Điện")
    ids = tok(text).input_ids
    assert ids[-1] == tok.eos_token_id and len(ids) == len(text) + 1  # one token per char
    assert tok.decode(ids, skip_special_tokens=True) == text
    decomposed = unicodedata.normalize("NFD", text)
    assert tok.decode(tok(decomposed).input_ids, skip_special_tokens=True) == text
    assert tok.decode(tok("\u00d0iện").input_ids, skip_special_tokens=True) == "Điện"
    assert tok.decode(tok("Hùng€").input_ids, skip_special_tokens=True) == "Hùng"  # unknown


def test_build_checks_preset_and_sizes() -> None:
    with pytest.raises(TrOCRModelError, match="unknown TrOCR preset 'huge'"):
        build_trocr("huge", CHARSET)
    with pytest.raises(TrOCRModelError, match="not a multiple"):
        build_trocr("tiny", CHARSET, size=(60, 384))
    model, processor = build_trocr("tiny", CHARSET)
    assert model.config.encoder.image_size == [64, 384]
    assert model.config.decoder.vocab_size == len(processor.tokenizer)
    assert set(PRESETS) == {"tiny", "small", "base"}


@pytest.fixture(scope="module")
def untrained_dir(tmp_path_factory: pytest.TempPathFactory):
    model, processor = build_trocr("tiny", CHARSET, seed=1)
    return save_trocr(model, processor, tmp_path_factory.mktemp("trocr-untrained"))


def test_engine_readings_are_well_formed_and_deterministic(untrained_dir) -> None:
    engine = get_engine("trocr", device="cpu", model_dir=untrained_dir, num_beams=3,
                        max_new_tokens=12, threads=1)
    assert engine.name == "trocr" and engine.device == "cpu"
    crops = [make_crop("nksHoTen", FieldKind.NAME, LINES[0]),
             make_crop("ghiChu", FieldKind.NAME, "", empty=True),
             make_crop("nksNoiSinh", FieldKind.NAME, LINES[2], size=14)]
    first = engine.recognize(crops, FieldKind.NAME)
    assert [r.field for r in first] == ["nksHoTen", "ghiChu", "nksNoiSinh"]
    assert (first[1].text, first[1].confidence) == ("", 1.0)
    for r in (first[0], first[2]):
        assert r.engine == "trocr" and r.bbox is not None and r.value == ""
        assert 0.0 <= r.confidence <= 1.0
        confs = [a.confidence for a in r.alternatives]
        assert 1 <= len(confs) <= 3 and confs == sorted(confs, reverse=True)
        assert r.alternatives[0].text == r.text and confs[0] == r.confidence
        assert len(r.text) <= 12
    again = engine.recognize(crops, FieldKind.NAME)
    assert [r.to_dict() for r in again] == [r.to_dict() for r in first]


def test_missing_or_incomplete_folder_is_a_clear_error(tmp_path, untrained_dir) -> None:
    with pytest.raises(EngineUnavailable, match="trocr model not available.*does not exist"):
        get_engine("trocr", device="cpu", model_dir=tmp_path / "absent")
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "config.json").write_text((untrained_dir / "config.json").read_text())
    with pytest.raises(FileNotFoundError, match="lacks tokenizer_config.json, model.safetensors"):
        load_trocr(partial)


def test_overfit_round_trip_reads_trained_lines_back(tmp_path) -> None:
    """Train the tiny model on three rendered lines, save, reload as an engine, read them."""
    started = time.perf_counter()
    model, processor = build_trocr("tiny", CHARSET, seed=0)
    images = [make_crop("x", FieldKind.NAME, t).image for t in LINES]
    batch = encode_batch(processor, images, LINES)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(120):
        loss = model(**batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1
    save_trocr(model, processor, tmp_path / "trained")
    engine = get_engine("trocr", device="cpu", model_dir=tmp_path / "trained", num_beams=2,
                        max_new_tokens=len(max(LINES, key=len)) + 4, threads=1)
    crops = [make_crop(f"f{i}", FieldKind.NAME, t) for i, t in enumerate(LINES)]
    out = engine.recognize(crops, FieldKind.NAME)
    assert [r.text for r in out] == LINES
    assert all(r.confidence > 0.5 for r in out)
    assert time.perf_counter() - started < 120


def test_square_checkpoint_is_stretched_not_padded(tmp_path) -> None:
    """Original TrOCR checkpoints take square inputs; the engine stretches lines for them."""
    model, processor = build_trocr("tiny", CHARSET, size=(32, 32))
    folder = save_trocr(model, processor, tmp_path / "square")
    engine = get_engine("trocr", device="cpu", model_dir=folder, num_beams=1, max_new_tokens=5)
    assert engine.size == (32, 32) and engine.keep_aspect is False
    capped = get_engine("trocr", device="cpu", model_dir=folder, max_new_tokens=10_000)
    assert capped.max_new_tokens == PRESETS["tiny"].max_chars  # the decoder's position table
    line = get_engine("trocr", device="cpu", model_dir=folder, keep_aspect=True)
    assert line.keep_aspect is True
    (r,) = engine.recognize([make_crop("a", FieldKind.NAME, LINES[0])], FieldKind.NAME)
    assert len(r.alternatives) == 1 and 0.0 <= r.confidence <= 1.0 and len(r.text) <= 5
