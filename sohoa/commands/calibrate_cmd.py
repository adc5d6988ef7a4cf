"""``sohoa calibrate``: refit the confidence map on a reviewed workspace (confirmed values as
truth, stored field crops re-read by the engine) and save it."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("calibrate")
    def calibrate(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Reviewed workspace."),
        book: str = typer.Option(None, "--book", help="Only this book."),
        engine: str = typer.Option("htr", "--engine", help="Engine that re-reads the crops."),
        model: Path = typer.Option(None, "--model", help="htr/trocr model folder (htr default: the workspace's model in use)."),
        device: str = typer.Option("auto", "--device", help="auto|cpu|cuda"),
        out: Path = typer.Option(Path("calibration.json"), "--out", help="Where to save."),
        install: bool = typer.Option(False, "--install",
                                     help="Also make it the shipped default "
                                          "(sohoa/data/calibration.json)."),
    ) -> None:
        """Fit P(correct) on confirmed fields; print held-out ECE before and after."""
        from importlib import resources

        from ocr import get_engine
        from sohoa.fields.calibration_fit import refit, workspace_pairs
        from sohoa.store import Workspace

        opts = {"model_dir": str(model)} if model else {}
        if engine == "htr" and not model:
            opts = {"workspace": str(workspace)}  # the model this workspace reads with
        eng = get_engine(engine, device=device, **opts)
        with Workspace.open(workspace) as ws:
            book_id = ws.find_book(book).id if book else None
            pairs = workspace_pairs(ws, eng, book_id)
        rep = refit(pairs, note=f"sohoa calibrate on {workspace.name} ({engine}), "
                                f"{len(pairs)} confirmed fields")
        rep.calibration.save(out)
        typer.echo(f"{rep.fields} read fields; held-out ECE {rep.ece_before:.3f} with the "
                   f"current map -> {rep.ece_after:.3f} refitted ({rep.eval_fields} fields); "
                   f"saved {out}")
        if install:
            target = Path(str(resources.files("sohoa").joinpath("data/calibration.json")))
            rep.calibration.save(target)
            typer.echo(f"installed as the default: {target}")
