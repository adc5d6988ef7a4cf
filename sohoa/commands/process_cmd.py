"""``sohoa process --workspace W``: every ingested page through segmentation and recognition."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("process")
    def process(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
        engine: str = typer.Option(None, "--engine", help="Engine for every field (default: settings engine_hand, falling back to tesseract)."),
        device: str = typer.Option(None, "--device", help="auto|cpu|cuda"),
        batch_size: int = typer.Option(None, "--batch-size"),
        workers: int = typer.Option(None, "--workers", "-j", help="Pages in parallel (processes)."),
        scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler, tcp://HOST:PORT."),
        retry_failed: bool = typer.Option(False, "--retry-failed", help="Also redo pages that failed before."),
        book: str = typer.Option(None, "--book", help="Only this book (id or volume)."),
        adapt: bool = typer.Option(False, "--adapt", help="Then adapt each book with enough "
                                   "new confirmations to its writer, and read the new pages of "
                                   "books with a writer model with it (sohoa adapt; docs/htr.md)."),
    ) -> None:
        """Segment and prefill every page not processed yet; resumable after a kill."""
        from ocr import pick_device
        from sohoa.process import run_process

        if device:
            pick_device(device)
        if adapt:
            from sohoa.store import Workspace

            with Workspace.open(workspace) as ws:
                fresh = {int(p.id or 0) for p in ws.pages_in_state("ingested", "failed")}
        report = run_process(workspace, engine=engine, device=device, batch_size=batch_size,
                             workers=workers, scheduler=scheduler, retry_failed=retry_failed, book=book)
        typer.echo(f"processed {report.processed} pages, {report.entries} entries prefilled")
        if report.book_layout or report.second_looks:
            typer.echo(f"book layout: columns of {len(report.book_layout)} weak pages placed by "
                       f"their book's other pages ({report.second_looks} analysed again)")
        for page_id, source, why in report.needs_attention:
            typer.echo(f"needs attention: page {page_id} {source}: {why}")
        for page_id, source, why in report.failed:
            typer.echo(f"FAILED: page {page_id} {source}: {why}", err=True)
        if adapt:
            from sohoa.adapt import AdaptOptions, auto_adapt

            for res in auto_adapt(workspace, fresh, AdaptOptions(device=device or "cpu")):
                typer.echo(res if isinstance(res, str) else
                           f"adapt book {res.book_id} {res.version}: "
                           f"{'kept' if res.kept else 'rejected'} ({res.reason}); "
                           f"{res.reread} entries read again")
        if report.failed:
            raise typer.Exit(1)
