"""``sohoa backup --workspace W --to DIR``: a consistent copy of a workspace, safe while it is
in use (SQLite backup API for the database, then the images)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
        to: Path = typer.Option(..., "--to", help="Backup folder (new, empty or an earlier "
                                "backup of this workspace, which is brought up to date)."),
    ) -> None:
        """Copy the database (consistent snapshot), page and crop images and settings."""
        from sohoa.store import Workspace

        with Workspace.open(workspace) as ws:
            report = ws.backup(to)
        typer.echo(f"{workspace} -> {report.folder}: database {report.db_bytes} bytes (checked),"
                   f" {report.images} image files copied ({report.image_bytes} bytes)")
