"""``sohoa user add NAME --role clerk|approver|admin -w W`` and ``sohoa user list -w W``."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer

from sohoa.errors import InputError

MIN_PASSWORD = 8


def read_password(name: str) -> str:
    """Ask twice on a terminal; otherwise read one line from standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != first:
            raise InputError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Review users of a workspace.", no_args_is_help=True)
    app.add_typer(users, name="user")

    @users.command("add")
    def add(
        name: str = typer.Argument(..., help="Login name."),
        role: str = typer.Option(..., "--role", help="clerk | approver | admin"),
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
    ) -> None:
        """Add a user; the password is asked (twice) or read from standard input."""
        from sohoa.store import Workspace

        password = read_password(name)
        if len(password) < MIN_PASSWORD:
            raise InputError(f"password must have at least {MIN_PASSWORD} characters")
        with Workspace.open(workspace, create=True) as ws:
            user = ws.add_user(name, role, password)
        typer.echo(f"added {user.name} ({user.role})")

    @users.command("list")
    def list_users(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
    ) -> None:
        """List users with their role and failed logins in a row."""
        from sohoa.store import Workspace

        with Workspace.open(workspace) as ws:
            rows = ws.users()
        if not rows:
            typer.echo("no users")
        for u in rows:
            typer.echo(f"{u.name:<20} {u.role:<9} failed logins: {u.failed_logins}  since {u.created_at}")
