"""``sohoa read IMAGE --template T --json``: read one page image (the stable contract)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("read")
    def read(
        image: Path = typer.Argument(..., help="A page image (PNG, JPEG, TIFF)."),
        template: str = typer.Option("ks-2006", "--template", "-t", help="Register template id."),
        as_json: bool = typer.Option(True, "--json/--text", help="Print the JSON contract."),
        engine: str = typer.Option(None, "--engine", help="Engine for every field (htr, tesseract, trocr, fake)."),
        device: str = typer.Option("auto", "--device", help="auto|cpu|cuda"),
        batch_size: int = typer.Option(None, "--batch-size",
                                       help="Crops per recognition batch (default: settings)."),
        year: int = typer.Option(None, "--year", help="Reference year for two-digit years."),
    ) -> None:
        """Read one page: entries, their boxes and every field's text, value and confidence."""
        from ocr import pick_device
        from sohoa.imageio import load_image
        from sohoa.pipeline import read_image
        from sohoa.recognize import EnginePlan, Recognizer
        from sohoa.template import load_template

        pick_device(device)
        tpl = load_template(template)
        img = load_image(image)
        rec = Recognizer(EnginePlan.from_flags(engine, device=device, batch_size=batch_size))
        work = read_image(img, tpl, rec, name=str(image), ref_year=year)
        out = work.reading.to_json()
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
            return
        typer.echo(f"{image}: {out['status']}, angle {out['angle']}, {len(out['entries'])} entries")
        for e in out["entries"]:
            typer.echo(f"  #{e['index']}")
            for name, f in e["fields"].items():
                typer.echo(f"    {name:<16} {f['confidence']:.2f}  {f['text']}  ->  {f['value']}")


__all__ = ["register"]
