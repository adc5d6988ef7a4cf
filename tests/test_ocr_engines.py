"""The engine registry, device choice and the scripted fake engine."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from ocr_helpers import make_crop

import ocr
from ocr import Engine, EngineError, EngineUnavailable, engine_names, get_engine, pick_device
from ocr.device import DeviceError
from sohoa.records import FieldKind, Reading


def test_import_ocr_stays_light() -> None:
    """Importing the package must not pull torch/transformers (engines import them lazily)."""
    import subprocess

    code = ("import sys, ocr; heavy = [m for m in ('torch', 'transformers', 'pytesseract') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_registry_names() -> None:
    assert engine_names() == tuple(ocr.ENGINES)
    assert {"tesseract", "trocr", "htr", "fake"} <= set(engine_names())


def test_unknown_engine_and_options_are_errors() -> None:
    with pytest.raises(EngineError, match="unknown OCR engine 'easyocr'.*tesseract"):
        get_engine("easyocr")
    with pytest.raises(EngineError, match="bad options"):
        get_engine("fake", no_such_option=1)


def test_htr_missing_gives_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ocr.ENGINES, "htr", "ocr.htr_does_not_exist:HTREngine")
    with pytest.raises(EngineUnavailable, match=r"^htr model not available: .*not installed"):
        get_engine("htr")


def test_trocr_without_model_dir_is_unavailable(tmp_path) -> None:
    with pytest.raises(EngineUnavailable, match="trocr model not available"):
        get_engine("trocr", device="cpu", model_dir=tmp_path / "nothing-here")


def test_pick_device() -> None:
    import torch

    assert pick_device("cpu") == "cpu"
    assert pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        pick_device("tpu")
    with pytest.raises(DeviceError, match="unknown device 'gpu'"):
        get_engine("fake", device="gpu")  # CPU-only engines still reject typos
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="sees no CUDA GPU"):
            pick_device("cuda")
    else:
        assert pick_device("cuda") == "cuda"


def test_fake_engine_follows_script_by_field_and_index() -> None:
    engine = get_engine("fake", script={"nksHoTen": ("Lò Văn Hùng", 0.93, ["Lò Văn Hưng"]),
                                        1: ("23/05/2006", 0.8, [("28/05/2006", 0.3)])})
    assert isinstance(engine, Engine) and engine.name == "fake"
    crops = [make_crop("nksHoTen", FieldKind.NAME, "x"),
             make_crop("ngayDangKy", FieldKind.NAME, "y"),
             make_crop("nksDanToc", FieldKind.NAME, "z"),
             make_crop("ghiChu", FieldKind.NAME, "", empty=True)]
    out = engine.recognize(crops, FieldKind.NAME)
    assert [r.field for r in out] == ["nksHoTen", "ngayDangKy", "nksDanToc", "ghiChu"]
    assert all(isinstance(r, Reading) and r.engine == "fake" and r.value == "" for r in out)
    assert (out[0].text, out[0].confidence) == ("Lò Văn Hùng", 0.93)
    assert [a.text for a in out[0].alternatives] == ["Lò Văn Hùng", "Lò Văn Hưng"]
    assert [a.confidence for a in out[1].alternatives] == [0.8, 0.3]
    assert (out[2].text, out[2].confidence) == ("", 0.0)  # unscripted
    assert (out[3].text, out[3].confidence) == ("", 1.0)  # empty crop, engine not run
    assert out[0].bbox == crops[0].bbox
    assert engine.calls[-1].read == ("nksHoTen", "ngayDangKy", "nksDanToc")


def test_fake_engine_callable_strict_and_bad_input() -> None:
    engine = get_engine("fake", script=lambda crop, i: (f"{crop.field}-{i}", 0.5))
    out = engine.recognize([make_crop("a", FieldKind.TEXT, "x")] * 2, FieldKind.TEXT)
    assert [r.text for r in out] == ["a-0", "a-1"]
    strict = get_engine("fake", script={}, strict=True)
    with pytest.raises(EngineError, match="no scripted reading for field 'a'"):
        strict.recognize([make_crop("a", FieldKind.TEXT, "x")], FieldKind.TEXT)
    bad = make_crop("a", FieldKind.TEXT, "x")
    bad = type(bad)(bad.field, bad.kind, np.zeros((0, 5), np.uint8), bad.bbox)
    with pytest.raises(EngineError, match="crop 'a'.*non-empty 2-D"):
        get_engine("fake").recognize([bad], FieldKind.TEXT)
    with pytest.raises(EngineError, match="confidence 1.5"):
        over = get_engine("fake", script={"a": ("x", 1.5)})
        over.recognize([make_crop("a", FieldKind.TEXT, "x")], FieldKind.TEXT)
