"""``sohoa synth``: render a synthetic register book (page images + ground-truth JSON)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        template: str = typer.Option("ks-2006", "--template", help="Template id or .toml path."),
        pages: int = typer.Option(1, "--pages", min=1, help="Number of pages."),
        seed: int = typer.Option(0, "--seed", help="Book seed (same seed, same bytes)."),
        out: Path = typer.Option(..., "--out", help="Output folder."),
        fmt: str = typer.Option("png", "--format", help="png, jpg or pdf (one book.pdf)."),
        difficulty: str = typer.Option("easy", "--difficulty", help="easy or hard."),
        font_role: str = typer.Option("test", "--font-role", help="train, test or bench."),
        dpi: int = typer.Option(200, "--dpi", min=72, max=600, help="Resolution."),
        first_page: int = typer.Option(1, "--first-page", min=1, help="Page number to start."),
        rotation: int = typer.Option(0, "--rotation", help="Scan turned 0/90/180/270 degrees."),
        workers: int = typer.Option(1, "--workers", min=1, help="Processes drawing pages."),
        layout: str = typer.Option(
            "default", "--layout",
            help="Layout family: default, proportions, two-level, hand-ruled, photo, mixed; "
                 "held out for benchmarks only: ho-ministry, ho-handbook (docs/synth.md)."),
    ) -> None:
        """Write page-0001.png + page-0001.json ... (or book.pdf + JSON) for one book."""
        from tqdm import tqdm

        from sohoa.synth.book import write_book

        with tqdm(total=pages, unit="page", disable=pages < 2) as bar:
            files = write_book(template, pages, seed, out, fmt, difficulty, font_role, dpi,
                               first_page, progress=bar.update, rotation=rotation,
                               workers=workers, layout=layout)
        typer.echo(f"wrote {len(files)} files to {out}")
