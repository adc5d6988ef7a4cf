"""``sohoa status --workspace W [--json]``: books, pages and entries by status."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        originals: bool = typer.Option(
            False, "--originals", help="List the files received per book, with their sha256."),
    ) -> None:
        """How far each book is: pages, pages needing attention, entries per status."""
        from sohoa.store import Workspace
        from sohoa.store.status import format_originals, format_status, workspace_status

        with Workspace.open(workspace) as ws:
            report = workspace_status(ws)
            received = ws.originals() if originals else None
        if as_json:
            out = report.to_dict()
            if received is not None:
                out["originals"] = received
            typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        else:
            typer.echo(format_status(report))
            if received is not None:
                typer.echo(format_originals(received))
