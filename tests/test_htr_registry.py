"""Versioned models: shipped and workspace models, the in-use pointer, ``sohoa models``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from models import registry
from models.charset import Charset
from models.checkpoint import ModelError, load_model_dir, save_model_dir
from models.crnn import CRNNConfig, build_crnn
from sohoa.cli import app


def _tiny_model(folder, cer=0.5):
    cs = Charset.default()
    cfg = CRNNConfig(num_classes=cs.num_classes, channels=(8, 8, 8, 8, 8, 8), rnn_hidden=8)
    return save_model_dir(folder, build_crnn(cfg), cfg, cs, {"val": {"cer": cer}}, half=True)


def test_workspace_models_pointer_and_versions(tmp_path):
    ws = tmp_path / "ws"
    assert registry.in_use_name(ws) == registry.DEFAULT_SHIPPED
    assert registry.next_version(ws) == "htr-ft-001"
    _tiny_model(registry.workspace_models_dir(ws) / "htr-ft-001", cer=0.04)
    assert registry.next_version(ws) == "htr-ft-002"
    names = {m.name: m for m in registry.list_models(ws)}
    assert names["htr-ft-001"].origin == "workspace"
    assert names["htr-ft-001"].val_cer == pytest.approx(0.04)
    assert not names["htr-ft-001"].in_use

    info = registry.use_model(ws, "htr-ft-001", user="admin")
    assert info.in_use
    pointer = json.loads((ws / "models" / "in_use.json").read_text("utf-8"))
    assert pointer["name"] == "htr-ft-001" and pointer["by"] == "admin"
    assert registry.model_in_use(ws) == ws / "models" / "htr-ft-001"
    # fp16 weights load back as a float32 model
    m = load_model_dir(registry.model_in_use(ws))
    assert next(m.module.parameters()).dtype.is_floating_point
    with pytest.raises(ModelError, match="no model named 'nope'"):
        registry.use_model(ws, "nope")
    (ws / "models" / "in_use.json").write_text("{", "utf-8")
    with pytest.raises(ModelError, match="malformed model pointer"):
        registry.in_use_name(ws)


def test_models_cli_lists_and_switches(tmp_path):
    ws = tmp_path / "ws"
    _tiny_model(registry.workspace_models_dir(ws) / "htr-ft-001")
    runner = CliRunner()
    res = runner.invoke(app, ["models", "use", "htr-ft-001", "--workspace", str(ws)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["models", "list", "--workspace", str(ws)])
    assert res.exit_code == 0
    line = [x for x in res.output.splitlines() if "htr-ft-001" in x][0]
    assert line.startswith("*")
    res = runner.invoke(app, ["models", "use", "missing", "--workspace", str(ws)])
    assert res.exit_code == 2 and "no model named" in res.output
    res = runner.invoke(app, ["train", "--from-confirmed"])
    assert res.exit_code != 0 and "--workspace" in res.output
