"""The demo job: a generated register book -> ingested -> processed -> accuracy against the
generator's truth -> demo users -> (the review screen, started by the command)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DEMO_USERS = (("can-bo", "clerk", "demo-can-bo"), ("duyet", "approver", "demo-duyet"),
              ("quan-tri", "admin", "demo-quan-tri"))


@dataclass(frozen=True)
class DemoResult:
    workspace: Path
    scans: Path
    pages: int
    entries: int
    needs_attention: int
    failed: int
    fields: int
    cer: float
    exact: float
    by_kind: dict[str, tuple[float, float]]
    users: tuple[tuple[str, str, str], ...]


def make_scans(out: Path, template_id: str, pages: int, seed: int, difficulty: str) -> dict:
    """Generate the demo book's page images and truth JSON; returns the book's metadata."""
    from PIL import Image

    from sohoa.synth import generate_page
    from sohoa.template import load_template

    out.mkdir(parents=True, exist_ok=True)
    tpl = load_template(template_id)
    book: dict = {}
    for n in range(1, pages + 1):
        page = generate_page(tpl, seed=seed, difficulty=difficulty, font_role="test", page_no=n)
        stem = out / f"page-{n:04d}"
        Image.fromarray(page.image).save(stem.with_suffix(".png"))
        stem.with_suffix(".json").write_text(json.dumps(page.truth, ensure_ascii=False),
                                             encoding="utf-8")
        book = page.truth.get("book", book)
    return book


def run_demo(workspace: Path, *, pages: int = 3, seed: int = 2008, template_id: str = "ks-2006",
             difficulty: str = "hard", engine: str | None = None) -> DemoResult:
    from sohoa.evaluation import summarize
    from sohoa.evaluation.match import pairs_against_truth
    from sohoa.ingest import ingest
    from sohoa.process import run_process
    from sohoa.records import Book
    from sohoa.store import Workspace
    from sohoa.template import load_template

    scans = workspace.parent / f"{workspace.name}-scans"
    meta = make_scans(scans, template_id, pages, seed, difficulty)
    tpl = load_template(template_id)
    book = Book(None, tpl.register_type, int(meta.get("year", 2008)),
                str(meta.get("volume", "01")), meta.get("commune", "Chiềng Cơi"),
                meta.get("district", ""), meta.get("province", ""), template=template_id)
    with Workspace.open(workspace, create=True) as ws:
        ingest(ws, sorted(scans.glob("page-*.png")), book)
        existing = {u.name for u in ws.users()}
        for name, role, password in DEMO_USERS:
            if name not in existing:
                ws.add_user(name, role, password)
    report = run_process(workspace, engine=engine)
    with Workspace.open(workspace) as ws:
        pairs = pairs_against_truth(ws)
    summary = summarize(pairs)
    return DemoResult(
        workspace=workspace, scans=scans, pages=pages, entries=report.entries,
        needs_attention=len(report.needs_attention), failed=len(report.failed),
        fields=summary.overall.n, cer=summary.overall.cer, exact=summary.overall.exact,
        by_kind={k: (s.cer, s.exact) for k, s in summary.groups["kind"].items()},
        users=DEMO_USERS,
    )
