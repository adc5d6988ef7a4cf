"""The trainers' notebook runs on a tiny reviewed workspace and shows the figures."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sohoa.store import Workspace

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "evaluate_accuracy.ipynb"


@pytest.fixture
def reviewed_workspace(demo_copy):
    """One processed page (the fake engine reads nothing) with three entries confirmed."""
    ws_path = demo_copy
    with Workspace.open(ws_path) as ws:
        ws.add_user("lan", "clerk", "pw-lan-123")
        for entry in ws.entries()[:3]:
            view = ws.entry_view(entry.id)
            values = dict(view.values, nksHoTen="Lò Văn Hùng", nksGioiTinh="1")
            ws.confirm(entry.id, "lan", values, view.version)
    return ws_path


def test_notebook_executes_on_a_reviewed_workspace(reviewed_workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_WORKSPACE", str(reviewed_workspace))
    monkeypatch.setenv("SOHOA_EVAL_OUT", str(tmp_path / "eval"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs)
    assert "fields" in text and "CER" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "plots not shown"
    assert (tmp_path / "eval" / "reliability.png").exists()
    assert os.path.getsize(tmp_path / "eval" / "reliability.png") > 1000
