"""``sohoa models list|use|join``: the versioned models (shipped, fine-tuned, per-book writer
models), the one a workspace reads with, and ensembles of them."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

import typer


def _known_folder(workspace: Path | None) -> None:
    """Refuse a workspace folder that does not exist (rather than make one for the pointer)."""
    from sohoa.store import WorkspaceNotFound

    if workspace is not None and not workspace.is_dir():
        raise WorkspaceNotFound(f"{workspace}: no workspace here")


def register(app: typer.Typer) -> None:
    models_app = typer.Typer(help="Versioned handwriting models and the one in use.",
                             no_args_is_help=True)
    app.add_typer(models_app, name="models")

    @models_app.command("list")
    def models_list(
        workspace: Path = typer.Option(None, "--workspace", help="Also the workspace's models "
                                       "and its books' writer models."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Shipped and fine-tuned models (* marks the one in use), then each book's writer
        models (sohoa adapt): kept or rejected, with held-out CER before -> after."""
        from models.registry import book_models, list_models

        _known_folder(workspace)
        rows = list_models(workspace)
        books = book_models(workspace) if workspace else []
        if as_json:
            typer.echo(json.dumps({
                "models": [{**asdict(m), "path": str(m.path)} for m in rows],
                "book_models": [{"book_id": b.book_id, "version": b.version, "kept": b.kept,
                                 "path": str(b.path), "card": b.card} for b in books]},
                ensure_ascii=False, indent=2))
            return
        for m in rows:
            cer = f"{m.val_cer:.2%}" if m.val_cer is not None else "-"
            typer.echo(f"{'*' if m.in_use else ' '} {m.name:<14} {m.origin:<9} {m.arch:<6} "
                       f"val CER {cer:>7}  {m.path}")
        current = {b.book_id: b.version for b in books if b.kept}
        for b in books:
            c = b.card
            mark = "*" if current.get(b.book_id) == b.version else " "
            state = "kept" if b.kept else "rejected"
            typer.echo(f"{mark} book {b.book_id} {b.version:<5} {state:<8} held-out CER "
                       f"{c.get('cer_base', 0):.2%} -> {c.get('cer_candidate', 0):.2%} "
                       f"({c.get('crops_train', 0)} crops, {c.get('created', '')}, "
                       f"{c.get('by', '')})  {b.path}")

    @models_app.command("use")
    def models_use(
        name: str = typer.Argument(..., help="Model name from `sohoa models list`."),
        workspace: Path = typer.Option(..., "--workspace"),
    ) -> None:
        """Make the workspace read with model NAME."""
        from models.registry import use_model

        _known_folder(workspace)
        m = use_model(workspace, name)
        typer.echo(f"{workspace} now reads with {m.name} ({m.path})")

    @models_app.command("join")
    def models_join(
        name: str = typer.Argument(..., help="Name of the new ensemble model."),
        members: list[str] = typer.Option(..., "--from", help="A model name from `sohoa "
                                          "models list` or a model folder; give it 2+ times."),
        workspace: Path = typer.Option(..., "--workspace"),
    ) -> None:
        """Join single networks of one shape into an ensemble read as one (their
        log-probabilities averaged; docs/htr.md "Eighth candidate"), kept in the workspace's
        models; `sohoa models use NAME` then reads with it."""
        from models.ensemble import join_models
        from models.registry import find_model, workspace_models_dir

        _known_folder(workspace)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
            raise typer.BadParameter(f"{name!r}: use letters, digits, '.', '_' and '-'",
                                     param_hint="NAME")
        out = workspace_models_dir(workspace) / name
        if out.exists():
            raise typer.BadParameter(f"{out} exists; choose another name", param_hint="NAME")
        folders = [Path(m) if Path(m).is_dir() else find_model(m, workspace) for m in members]
        join_models(folders, out, {"joined_by": "sohoa models join"})
        typer.echo(f"{out}: ensemble of {len(folders)} networks "
                   f"({', '.join(str(f) for f in folders)})")
