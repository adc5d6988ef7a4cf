"""The ``process`` job: the workspace's unprocessed pages through the pipeline, with progress."""

from __future__ import annotations

import logging
from pathlib import Path

from sohoa.pipeline import ProcessReport, process_pages
from sohoa.recognize import EnginePlan, Recognizer
from sohoa.store import Workspace
from sohoa.template import Template, load_template, template_for_type

log = logging.getLogger(__name__)


def book_template(ws: Workspace, book_id: int) -> tuple[Template, int]:
    """The register template and year of a book (its own template, else its type's default)."""
    book = ws.book(book_id)
    tpl = load_template(book.template) if book.template else template_for_type(book.register_type)
    return tpl, book.year


def run_process(
    workspace: Path,
    *,
    engine: str | None = None,
    device: str | None = None,
    batch_size: int | None = None,
    retry_failed: bool = False,
    book: str | None = None,
    progress: bool = True,
) -> ProcessReport:
    """Process every page still in state ``ingested`` (and ``failed`` when asked)."""
    from tqdm import tqdm

    with Workspace.open(workspace) as ws:
        overrides = {k: v for k, v in (("device", device), ("batch_size", batch_size)) if v}
        settings = ws.settings(**overrides)
        states = ("ingested", "failed") if retry_failed else ("ingested",)
        pages = ws.pages_in_state(*states)
        if book:
            book_id = ws.find_book(book).id
            pages = [p for p in pages if p.book_id == book_id]
        plan = EnginePlan(default=engine or settings.engine_hand, device=settings.device,
                          batch_size=settings.batch_size, fallback=settings.engine_print)
        recognizer = Recognizer(plan)
        cache: dict[int, tuple[Template, int]] = {}

        def templates(book_id: int) -> tuple[Template, int]:
            if book_id not in cache:
                cache[book_id] = book_template(ws, book_id)
            return cache[book_id]

        with tqdm(total=len(pages), unit="page", disable=not progress, desc="process") as bar:
            return process_pages(ws, pages, recognizer, templates, on_page=lambda: bar.update(1))
