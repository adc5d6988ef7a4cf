"""``sohoa check --workspace W``: is the database sound and is every image it points at there."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
    ) -> None:
        """Check the workspace: SQLite integrity_check, foreign keys, page and crop files, and
        each kept scan's sha256 against the one recorded when it was received."""
        from sohoa.ingest import printable
        from sohoa.store import Workspace
        from sohoa.store.integrity import kept_file_problems, missing_files

        with Workspace.open(workspace) as ws:
            problems = ws.integrity_problems()
            n_pages, n_crops, missing = missing_files(ws._conn(), ws.path)
            hashed, unrecorded, changed = kept_file_problems(ws._conn(), ws.path)
        for p in problems:
            typer.echo(f"{ws.db_path}: {p}")
        for m in missing:
            typer.echo(f"{printable(str(workspace))}: missing file {m}")
        for m in changed:
            typer.echo(f"{printable(str(workspace))}: changed file {m}")
        verdict = "sound" if not problems else f"DAMAGED ({len(problems)} problems)"
        old = f" ({unrecorded} ingested before hashes were kept)" if unrecorded else ""
        typer.echo(f"{printable(str(workspace))}: database {verdict}; {n_pages} page images and"
                   f" {n_crops} crop files checked, {len(missing)} missing; {hashed} kept scans"
                   f" hashed{old}, {len(changed)} differ from their sha256 at ingest")
        if problems or missing or changed:
            raise typer.Exit(1)
