"""``sohoa ingest PATH... --workspace W --type KS --year 2008 --volume 01/2008 --commune ...``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        paths: list[Path] = typer.Argument(..., help="PDF, TIFF, JPEG, PNG files or folders."),
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
        register_type: str = typer.Option(..., "--type", help="Register type: KS, KT, KH ..."),
        year: int = typer.Option(..., "--year", help="Year of the book."),
        volume: str = typer.Option(..., "--volume", help="Book number (quyenSo), e.g. 01/2008."),
        commune: str = typer.Option(..., "--commune", help="Commune (xã) that keeps the book."),
        district: str = typer.Option("", "--district", help="District (huyện)."),
        province: str = typer.Option("", "--province", help="Province (tỉnh)."),
        template: str = typer.Option(None, "--template", help="Register template, e.g. ks-2006."),
        dpi: int = typer.Option(None, "--dpi", help="PDF rendering resolution (settings pdf_dpi)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        keep_spreads: bool = typer.Option(
            False, "--keep-spreads",
            help="Store a scan of two facing pages as it is (by default each page is stored "
                 "on its own, left then right)."),
    ) -> None:
        """Add scanned pages to a book of the workspace (created if needed).

        Bad files are reported one per line on stderr as "<path>: <reason>"; the others still
        go in, and the exit status is 1 if any file failed. A scan of two facing pages (a
        book opened flat) is stored as two pages unless --keep-spreads.
        """
        from tqdm import tqdm

        from sohoa.ingest import ingest as run_ingest
        from sohoa.records import Book, RecordError, RegisterType
        from sohoa.settings import load_settings
        from sohoa.store import Workspace
        from sohoa.template import template_ids

        settings = load_settings(workspace, {"pdf_dpi": dpi})
        rtype = register_type.upper()
        tpl = template or next((t for t in template_ids() if t.startswith(rtype.lower())), "")
        if tpl and tpl not in template_ids():
            raise RecordError(f"unknown template {tpl!r}; one of {', '.join(template_ids())}")
        if rtype not in RegisterType.__members__:
            raise RecordError(f"unknown register type {register_type!r};"
                              f" one of {', '.join(RegisterType.__members__)}")
        book = Book(None, RegisterType(rtype), year, volume, commune, district, province, tpl)
        with Workspace.open(workspace, create=True) as ws:
            report = run_ingest(
                ws, paths, book, settings, progress=not quiet,
                on_failure=lambda p, r: tqdm.write(f"{p}: {r}", file=sys.stderr),
                split_spreads=not keep_spreads,
            )
            pages = len(ws.pages(report.book.id))
        b = report.book
        if report.book_removed:
            typer.echo(f"no page went in ({len(report.failures)} failed); book"
                       f" {b.register_type} {b.volume} {b.commune} was not created")
        else:
            typer.echo(
                f"book {b.id} ({b.register_type} {b.volume} {b.commune}): {report.added} pages"
                f" added, {report.duplicates} already there, {len(report.failures)} failed;"
                f" the book now has {pages} pages"
                + (f" ({report.spreads} scan{'s' if report.spreads != 1 else ''} of two"
                   " facing pages, each stored as two pages)" if report.spreads else "")
            )
        if report.failures:
            raise typer.Exit(1)
