"""Workspaces filled with generated register pages, for pipeline tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sohoa.demo import make_scans
from sohoa.ingest import ingest
from sohoa.records import Book, RegisterType
from sohoa.store import Workspace


def write_scans(folder: Path, pages: int, seed: int = 11, template_id: str = "ks-2006",
                difficulty: str = "easy") -> list[Path]:
    """Generated page images with their truth JSON beside them (the demo's own writer)."""
    make_scans(folder, template_id, pages, seed, difficulty)
    return sorted(folder.glob("page-*.png"))


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


def processed_pages(ws: Path) -> int:
    """Pages past ingest in ``ws``'s database, read by a connection of its own (a run may be
    writing)."""
    con = sqlite3.connect(ws / "sohoa.db", timeout=30)
    try:
        return con.execute("SELECT count(*) FROM pages WHERE state != 'ingested'").fetchone()[0]
    finally:
        con.close()
