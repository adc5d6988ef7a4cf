"""``sohoa review``: serve the clerks' review screen for a workspace (local, login required)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    @app.command("review")
    def review(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
        host: str = typer.Option("127.0.0.1", "--host",
                                 help="Address to bind; 127.0.0.1 keeps it on this machine."),
        port: int = typer.Option(7860, "--port", help="Port."),
        lease: int = typer.Option(600, "--lease", min=30,
                                  help="Seconds a clerk holds an entry before it returns to "
                                       "the queue."),
    ) -> None:
        """Serve the review screen: clerks confirm entries, approvers sign books off."""
        from sohoa.errors import InputError
        from sohoa.store import Workspace

        with Workspace.open(workspace) as ws:
            ws.settings()  # a bad settings.toml is refused now, not at the first login
            users = ws.users()
        if not users:
            raise InputError(
                f"{workspace}: no users yet; add one with "
                "`sohoa user add NAME --role clerk|approver|admin`")
        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.echo(f"Warning: serving on {host}: other machines on that network can reach "
                       "the login page.", err=True)
        from review_ui.app import serve

        typer.echo(f"Review screen: http://{host}:{port}/  (Ctrl+C to stop)")
        serve(workspace, host=host, port=port, lease_s=lease, block=True)
