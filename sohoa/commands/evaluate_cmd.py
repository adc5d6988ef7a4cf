"""``sohoa evaluate``: accuracy of prefill against confirmed values or generated ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate(
        workspace: Path = typer.Option(None, "--workspace", "-w", help="Reviewed workspace."),
        pages: Path = typer.Option(None, "--pages", help="Folder of generated pages + truth JSON."),
        book: str = typer.Option(None, "--book", help="Only this book (workspace mode)."),
        engine: str = typer.Option(None, "--engine", help="Engine for --pages mode."),
        device: str = typer.Option("auto", "--device"),
        out: Path = typer.Option(Path("evaluation"), "--out", help="Report folder."),
        fmt: str = typer.Option("md", "--format", help="md|html"),
        as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    ) -> None:
        """CER/WER per field, kind, engine, book and clerk; tone-mark errors; confusions;
        calibration; auto-accept curve; reviewing effort."""
        from sohoa.errors import InputError
        from sohoa.evaluation.run import evaluate_pages, evaluate_workspace, write_report

        if (workspace is None) == (pages is None):
            raise InputError("give exactly one of --workspace or --pages")
        if fmt not in ("md", "html"):
            raise InputError(f"--format must be md or html, not {fmt!r}")
        summary = (evaluate_workspace(workspace, book) if workspace
                   else evaluate_pages(pages, engine=engine, device=device))
        path = write_report(summary, out, fmt)
        if as_json:
            typer.echo(json.dumps(summary.to_json(), ensure_ascii=False, indent=1))
        else:
            o = summary.overall
            typer.echo(f"{o.n} fields: CER {100 * o.cer:.2f} %, exact {100 * o.exact:.1f} %, "
                       f"ECE {summary.ece:.3f}; report: {path}")
