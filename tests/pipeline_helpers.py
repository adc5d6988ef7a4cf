"""Workspaces filled with generated register pages, for pipeline tests."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from sohoa.ingest import ingest
from sohoa.records import Book, RegisterType
from sohoa.store import Workspace
from sohoa.synth import generate_page
from sohoa.template import load_template


def write_scans(folder: Path, pages: int, seed: int = 11, template_id: str = "ks-2006",
                difficulty: str = "easy") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    tpl = load_template(template_id)
    paths = []
    for n in range(1, pages + 1):
        page = generate_page(tpl, seed=seed, difficulty=difficulty, font_role="test", page_no=n)
        path = folder / f"page-{n:04d}.png"
        Image.fromarray(page.image).save(path)
        path.with_suffix(".json").write_text(json.dumps(page.truth, ensure_ascii=False))
        paths.append(path)
    return paths


def make_workspace(root: Path, pages: int, seed: int = 11, scans: list[Path] | None = None,
                   name: str = "ws") -> Path:
    """A workspace with one KS book of ``pages`` generated, ingested (not processed) pages."""
    scans = scans or write_scans(root / "scans", pages, seed)
    ws_path = root / name
    with Workspace.open(ws_path, create=True) as ws:
        book = Book(None, RegisterType.KS, 2008, "01/2008", "Chiềng Cơi", "Thành phố Sơn La",
                    "Sơn La", template="ks-2006")
        report = ingest(ws, scans, book)
        assert report.added == pages, report
    return ws_path
