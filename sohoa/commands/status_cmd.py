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
    ) -> None:
        """How far each book is: pages, pages needing attention, entries per status."""
        from sohoa.store import Workspace
        from sohoa.store.status import format_status, workspace_status

        with Workspace.open(workspace) as ws:
            report = workspace_status(ws)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(format_status(report))
