"""``sohoa adapt --workspace W --book B``: learn a book's writer from its confirmed entries."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("adapt")
    def adapt(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
        book: str = typer.Option(..., "--book", help="Book id or volume."),
        minutes: float = typer.Option(None, "--minutes", help="Wall-time cap of training "
                                      "(default: setting adapt_minutes, 4)."),
        steps: int = typer.Option(None, "--steps", help="Training budget in steps of 16 "
                                  "lines (default 600: ~2 CPU min; 0: the wall-time cap only)."),
        min_confirmed: int = typer.Option(None, "--min-confirmed", help="Confirmed entries "
                                          "needed (default: setting adapt_min_confirmed, 30)."),
        lr: float = typer.Option(None, "--lr", help="Learning rate (default 1.5e-3)."),
        mix_synthetic: float = typer.Option(0.25, "--mix-synthetic",
                                            help="Share of synthetic lines in training."),
        l2sp: float = typer.Option(None, "--l2sp", help="Pull toward the start weights "
                                   "(L2-SP; default 0.01, docs/htr.md; 0: off)."),
        join_share: float = typer.Option(0.0, "--join-share", help="Share of confirmed "
                                         "lines joined two by two into one line."),
        device: str = typer.Option("cpu", "--device", help="cpu, cuda or auto."),
        threads: int = typer.Option(2, "--threads", help="Torch CPU threads."),
        no_reread: bool = typer.Option(False, "--no-reread", help="Do not read the book's "
                                       "unconfirmed entries again with a kept model."),
        reread_only: bool = typer.Option(False, "--reread-only", help="No training: read the "
                                         "unconfirmed entries again with the book's model."),
        user: str = typer.Option("adapt", "--user", help="Name written in the audit log."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Fine-tune a model for BOOK's writer on its confirmed field crops; keep it only if
        the recipe beats the book's current model on them, cross-fitted (each crop read by a
        candidate trained without it, docs/htr.md), then re-read the book's unconfirmed
        entries with it (confirmed ones are never touched)."""
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        logging.getLogger("sohoa.adapt").setLevel(logging.INFO)
        from models.registry import book_model
        from sohoa.adapt import STEPS, AdaptError, AdaptOptions, adapt_book, reread_book
        from sohoa.store import Workspace

        if reread_only:
            with Workspace.open(workspace) as ws:
                book_id = int(ws.find_book(book).id or 0)
            model = book_model(workspace, book_id)
            if model is None:
                raise AdaptError(f"book {book}: no kept writer model yet; run sohoa adapt")
            n, skipped = reread_book(workspace, book_id, model, device=device, user=user,
                                     version=model.name)
            typer.echo(f"book {book}: {n} entries read again with {model}; {skipped} pages "
                       "skipped (being reviewed)")
            return
        opts = AdaptOptions(minutes=minutes, min_confirmed=min_confirmed,
                            lr=AdaptOptions.lr if lr is None else lr,
                            steps=STEPS if steps is None else (steps or None),
                            mix_synthetic=mix_synthetic, device=device, threads=threads,
                            l2sp=AdaptOptions.l2sp if l2sp is None else l2sp,
                            join_share=join_share,
                            reread=not no_reread, user=user)
        res = adapt_book(workspace, book, opts)
        if as_json:
            typer.echo(json.dumps(res.to_dict(), ensure_ascii=False, indent=2))
            return
        verdict = "kept" if res.kept else "rejected"
        typer.echo(f"book {res.book_id} {res.version}: {verdict} ({res.reason}); "
                   f"{res.crops_train} confirmed crops, each scored out of sample; "
                   f"{res.reread} unconfirmed entries read again; {res.minutes:.1f} min")
