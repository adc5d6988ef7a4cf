"""``sohoa check --workspace W``: is the database sound and is every image it points at there."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
    ) -> None:
        """Check the workspace: SQLite integrity_check, foreign keys, page and crop files."""
        from sohoa.store import Workspace
        from sohoa.store.integrity import missing_files

        with Workspace.open(workspace) as ws:
            problems = ws.integrity_problems()
            n_pages, n_crops, missing = missing_files(ws._conn(), ws.path)
        for p in problems:
            typer.echo(f"{ws.db_path}: {p}")
        for m in missing:
            typer.echo(f"{workspace}: missing file {m}")
        verdict = "sound" if not problems else f"DAMAGED ({len(problems)} problems)"
        typer.echo(f"{workspace}: database {verdict}; {n_pages} page images and {n_crops} crop"
                   f" files checked, {len(missing)} missing")
        if problems or missing:
            raise typer.Exit(1)
