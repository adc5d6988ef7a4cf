"""Typed settings: defaults < workspace settings.toml < overrides; unknown keys are errors."""

from __future__ import annotations

import pytest

from sohoa.settings import Settings, SettingsError, load_settings


def test_defaults():
    s = load_settings(None)
    assert (s.device, s.engine_print, s.engine_hand, s.batch_size, s.workers) == (
        "auto", "tesseract", "htr", 32, 1)
    assert (s.lease_seconds, s.low_confidence, s.max_image_pixels) == (600, 0.9, 200_000_000)
    assert (s.pdf_dpi, s.pdf_max_kb, s.pdf_name_rule) == (300, 100, "{so}_{year}_{name}_{sex}")


def test_file_then_overrides(tmp_path, ws):
    (tmp_path / "settings.toml").write_text(
        'device = "cpu"\nbatch_size = 64\nlow_confidence = 1\n', encoding="utf-8")
    s = load_settings(tmp_path, {"batch_size": "128", "workers": None})
    assert (s.device, s.batch_size, s.low_confidence, s.workers) == ("cpu", 128, 1.0, 1)
    (ws.path / "settings.toml").write_text("pdf_dpi = 200\n")
    assert ws.settings().pdf_dpi == 200 and ws.settings(pdf_dpi=150).pdf_dpi == 150


@pytest.mark.parametrize(("text", "message"), [
    ("batchsize = 64\n", "unknown key 'batchsize'"),
    ('batch_size = "many"\n', "batch_size must be of type int"),
    ("batch_size = 0\n", "batch_size: must be >= 1"),
    ('device = "gpu"\n', "device: 'gpu' is not one of auto, cpu, cuda"),
    ("low_confidence = 1.5\n", "low_confidence"),
    ("[ocr]\nbatch_size = 3\n", "unknown table [ocr]"),
    ("batch_size = \n", "not valid TOML"),
    ("workers = true\n", "workers must be of type int"),
])
def test_bad_files_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings(tmp_path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_bad_override_is_named():
    with pytest.raises(SettingsError, match="command line: unknown key 'bogus'"):
        load_settings(None, {"bogus": 1})
    with pytest.raises(SettingsError, match="command line: pdf_dpi = 'abc'"):
        load_settings(None, {"pdf_dpi": "abc"})


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        Settings().device = "cpu"  # type: ignore[misc]
