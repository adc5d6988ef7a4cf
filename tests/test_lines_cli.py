"""``sohoa evaluate --lines`` and ``sohoa train --lines`` on line sets drawn in code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sohoa.cli import app
from tests.lines_helpers import draw_lines, write_alto, write_tsv

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lines")
    drawn = draw_lines(12, seed=11, writers=3)
    wrong = [(drawn[(i + 1) % len(drawn)][0], img, w) for i, (_, img, w) in enumerate(drawn)]
    return {"tsv": write_tsv(root / "tsv", drawn),
            "alto": write_alto(root / "alto", drawn).parent,
            "wrong": write_tsv(root / "wrong", wrong)}


def test_evaluate_lines_json_per_set(sets: dict[str, Path]) -> None:
    res = CliRunner().invoke(app, ["evaluate", "--lines", str(sets["tsv"]), "--lines",
                                   str(sets["alto"]), "--lines", str(sets["wrong"]), "--json",
                                   "--device", "cpu"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    from models.registry import DEFAULT_SHIPPED

    assert out["engine"] == "htr" and out["model"].endswith(DEFAULT_SHIPPED)
    tsv, alto, wrong = (out["sets"][k] for k in ("tsv", "alto", "wrong"))
    for r in (tsv, alto, wrong):
        assert r["n"] == 12 and set(r) >= {"cer", "exact", "ece", "confident_share",
                                           "confident_exact", "writers"}
        assert 0 <= r["ece"] <= 1 and 0 <= r["confident_share"] <= 1
    assert tsv["writers"] == 3 and alto["writers"] == 0
    # the same lines in two formats read the same; labels that do not match are punished
    assert tsv["cer"] == pytest.approx(alto["cer"]) and tsv["exact"] == alto["exact"]
    assert tsv["cer"] < 0.3 and wrong["cer"] > tsv["cer"] + 0.4 and wrong["exact"] == 0
    assert out["all"]["n"] == 36
    # each line: what it says, what was read, how sure, and the kind it was read as
    rows = tsv["lines"]
    assert len(rows) == 12 and all(r["truth"] and r["source"].endswith(".png") for r in rows)
    assert all(r["kind"] in ("text", "place", "date") and 0 <= r["confidence"] <= 1
               for r in rows)
    pairs = sorted((r["truth"], r["read"], r["kind"]) for r in rows)
    assert pairs == sorted((r["truth"], r["read"], r["kind"]) for r in alto["lines"])
    text = CliRunner().invoke(app, ["evaluate", "--lines", str(sets["tsv"]), "--device", "cpu"])
    assert text.exit_code == 0 and "tsv: 12 lines, CER" in text.output and "ECE" in text.output


def test_train_lines_writer_disjoint(tmp_path: Path, sets: dict[str, Path]) -> None:
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["train", "--lines", str(sets["tsv"]), "--out", str(out),
                                   "--epochs", "1", "--epoch-samples", "32", "--workers", "0",
                                   "--mix-synthetic", "0", "--device", "cpu",
                                   "--val-share", "0.34"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output[res.output.index("{"):])
    assert got["split"]["tsv"].startswith("writer-disjoint (1 of 3")
    assert got["val_lines"]["tsv"] == 4 and got["train_lines"] == 8
    assert (out / "best" / "model.json").exists()
    # the fine-tuned model reads with its base's character LMs (built from register values)
    from models.checkpoint import READING_FILES
    from models.registry import model_in_use

    base = model_in_use(None)
    for name in READING_FILES:
        assert (out / "best" / name).read_bytes() == (base / name).read_bytes(), name
    data = json.loads((out / "data.json").read_text("utf-8"))
    assert data["line_sets"][0]["split"].startswith("writer-disjoint")
    assert 0 <= got["cer_after"]["tsv"] <= 1 and 0 <= got["cer_before"]["tsv"] <= 1


def test_bad_set_is_one_line_error(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "sohoa.cli", "evaluate", "--lines",
                           str(tmp_path / "nope")], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        f": {tmp_path / 'nope'}: not a folder (give a folder with labels.tsv, PAGE or ALTO)")
