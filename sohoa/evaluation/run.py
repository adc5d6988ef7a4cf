"""Drivers for ``sohoa evaluate``: a reviewed workspace, or a folder of generated pages."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sohoa.errors import SohoaError
from sohoa.evaluation.match import FieldPair, pairs_from_page, pairs_from_workspace
from sohoa.evaluation.render import to_html, to_markdown, write_plots
from sohoa.evaluation.summary import Summary, effort_from_audit, summarize

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


class EvaluationError(SohoaError, ValueError):
    """Nothing to evaluate, or the input folder is malformed."""


def evaluate_workspace(workspace: Path, book: str | None = None) -> Summary:
    """Confirmed values as truth against the first prefill, plus effort from the audit log."""
    from sohoa.store import Workspace

    with Workspace.open(workspace) as ws:
        book_id = ws.find_book(book).id if book else None
        pairs = pairs_from_workspace(ws, book_id)
        effort = effort_from_audit(ws.audit(book_id=book_id))
    if not pairs:
        raise EvaluationError(f"{workspace}: no confirmed entries to evaluate")
    return summarize(pairs, effort=effort, meta={"source": str(workspace), "fields": len(pairs)})


def truth_files(folder: Path) -> list[tuple[Path, Path]]:
    """(truth JSON, image) pairs of a generated folder (``page-0001.json`` + ``.png``)."""
    out = []
    for truth in sorted(folder.glob("*.json")):
        if truth.name.endswith(".read.json"):
            continue
        image = next((truth.with_suffix(s) for s in IMAGE_SUFFIXES
                      if truth.with_suffix(s).exists()), None)
        if image is not None:
            out.append((truth, image))
    if not out:
        raise EvaluationError(f"{folder}: no page images with ground-truth JSON beside them")
    return out


def evaluate_pages(folder: Path, *, engine: str | None = None, device: str = "auto",
                   batch_size: int | None = None) -> Summary:
    """Read every generated page (or use ``<page>.read.json`` when present) against its truth."""
    from sohoa.imageio import load_image
    from sohoa.pipeline import read_image
    from sohoa.recognize import EnginePlan, Recognizer
    from sohoa.results import PageReading
    from sohoa.template import load_template

    recognizer = Recognizer(EnginePlan.from_flags(engine, device=device, batch_size=batch_size))
    pairs: list[FieldPair] = []
    for truth_path, image_path in truth_files(folder):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        template = load_template(truth["template"])
        cached = truth_path.with_name(truth_path.stem + ".read.json")
        if cached.exists():
            predicted = PageReading.from_json(json.loads(cached.read_text(encoding="utf-8")))
        else:
            year = truth.get("book", {}).get("year")
            predicted = read_image(load_image(image_path), template, recognizer,
                                   name=str(image_path), ref_year=year).reading
        pairs += pairs_from_page(truth, predicted, template,
                                 engine=engine or ",".join(sorted(predicted.engines()))
                                 or "default",
                                 book=truth.get("book", folder.name))
    return summarize(pairs, meta={"source": str(folder), "engine": engine or "default",
                                  "fields": len(pairs)})


def write_report(summary: Summary, out_dir: Path, fmt: str = "md") -> Path:
    """Write ``report.md`` or ``report.html``, ``report.json`` and the PNG plots."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = write_plots(summary, out_dir)
    (out_dir / "report.json").write_text(
        json.dumps(summary.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    if fmt == "html":
        path = out_dir / "report.html"
        path.write_text(to_html(summary, plots), encoding="utf-8")
    else:
        path = out_dir / "report.md"
        path.write_text(to_markdown(summary, plots), encoding="utf-8")
    return path
