"""``sohoa calibrate``: refitting the confidence map on a reviewed workspace, with the stored
field crops re-read by a scripted engine that knows each crop by its pixels."""

from __future__ import annotations

import hashlib
import json

import numpy as np
from htr_helpers import confirmed_workspace, written
from typer.testing import CliRunner

import ocr
from ocr.fake import FakeEngine
from sohoa.errors import ExitCode
from sohoa.fields.calibration import Calibration
from sohoa.fields.calibration_fit import refit, workspace_pairs
from sohoa.records import FieldKind

TABLE: dict[str, tuple[str, float]] = {}
IMAGES: dict[str, np.ndarray] = {}  # key -> the crop's grey pixels as written


def key(img: np.ndarray) -> str:
    arr = np.asarray(img)
    if arr.ndim == 3:
        arr = arr[:, :, :3].mean(axis=2).astype(np.uint8)
    return hashlib.sha1(arr.tobytes()).hexdigest()


def _grey(img: np.ndarray) -> np.ndarray:
    arr = np.asarray(img)
    return arr[:, :, :3].mean(axis=2) if arr.ndim == 3 else arr.astype(float)


def nearest(img: np.ndarray) -> str | None:
    """The key of the written crop these pixels are: the field cells are cached lossy (WebP),
    so a stored crop is matched to the closest written one of its size."""
    g = _grey(img)
    best = min(((float(np.abs(_grey(v) - g).mean()), k) for k, v in IMAGES.items()
                if v.shape[:2] == g.shape[:2]), default=None)
    return best[1] if best is not None and best[0] < 12 else None


class PixelEngine(FakeEngine):
    """Reads what ``TABLE`` says for a crop's pixels."""

    def __init__(self, *, device: str = "auto") -> None:
        super().__init__(device=device,
                         script=lambda crop, i: TABLE.get(nearest(crop.image) or ""))


def _workspace(tmp_path):
    names = written(FieldKind.NAME, 60, seed=3, noisy=False)
    rng = np.random.default_rng(5)
    for text, img in names:
        right = rng.random() < 0.6
        conf = float(rng.uniform(0.45, 1.0) if right else rng.uniform(0.0, 0.75))
        TABLE[key(img)] = (text if right else text[:-1] + "x", conf)
        IMAGES[key(img)] = np.asarray(img)
    return confirmed_workspace(tmp_path / "ws", names), names


def test_workspace_refit_learns_from_confirmed_values(tmp_path, monkeypatch):
    ws, names = _workspace(tmp_path)
    with ws:
        pairs = workspace_pairs(ws, PixelEngine())
    assert len(pairs) == 60
    # a field is right exactly when the scripted reading was the written text
    right = sum(p.pair.correct for p in pairs)
    expected = sum(TABLE[key(img)][0] == text for text, img in names)
    assert right == expected
    bad = Calibration({"logit_conf": -1.0}, 2.0)
    rep = refit(pairs, current=bad)
    assert rep.fields == 60 and rep.eval_fields == 30
    assert rep.ece_after < rep.ece_before / 2
    assert rep.calibration.weights["logit_conf"] > 0

    monkeypatch.setitem(ocr.ENGINES, "pixel", "test_read_calibrate:PixelEngine")
    from sohoa.cli import app

    out = tmp_path / "cal.json"
    res = CliRunner().invoke(app, ["calibrate", "-w", str(tmp_path / "ws"), "--engine", "pixel",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "60 read fields" in res.output
    saved = json.loads(out.read_text("utf-8"))
    assert saved["n_samples"] == 60 and Calibration.load(out).weights["logit_conf"] > 0


def test_calibrate_refuses_a_missing_workspace(tmp_path):
    from sohoa.cli import app

    res = CliRunner().invoke(app, ["calibrate", "-w", str(tmp_path / "nope"), "--engine", "fake"])
    assert res.exit_code == ExitCode.NOT_FOUND and "no workspace" in res.output
