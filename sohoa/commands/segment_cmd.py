"""``sohoa segment IMAGE``: find a page's register entries and field boxes (no recognition)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("segment")
    def segment(
        image: Path = typer.Argument(..., help="Page image (PNG, JPEG, TIFF)."),
        template: str = typer.Option("ks-2006", "--template", "-t", help="Register template."),
        as_json: bool = typer.Option(False, "--json", help="Print the layout as JSON."),
        debug_dir: Path | None = typer.Option(
            None, "--debug-dir", help="Write an overlay of what was found to this folder."),
        ocr_header: bool = typer.Option(
            False, "--ocr-header", help="Also check the column order by reading the header."),
    ) -> None:
        """Deskew, turn upright, find the table grid and cut it into entries and fields.

        Boxes are in pixels of IMAGE as given. The status says what is wrong with a page
        (partial page, torn page) or why it has no entries (blank page, no table found).
        Exit code 0 when the page has entries, whatever its status; 1 when none were found;
        2 when the file or template cannot be used."""
        from preprocessing import analyze_page, draw_overlay
        from sohoa.imageio import load_image
        from sohoa.template import load_template

        tpl = load_template(template)
        img = load_image(image)
        layout = analyze_page(img, tpl, ocr_header=ocr_header)
        out = {"page": str(image), "template": tpl.id, **layout.to_json(),
               "notes": list(layout.notes)}
        if debug_dir is not None:
            from PIL import Image

            debug_dir.mkdir(parents=True, exist_ok=True)
            path = debug_dir / f"{image.stem}.segment.png"
            Image.fromarray(draw_overlay(img, layout)).save(path)
            out["overlay"] = str(path)
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False))
        else:
            typer.echo(f"{image}: {layout.status}; angle {layout.angle:.2f} deg, "
                       f"rotation {layout.rotation}; {len(layout.entries)} entries, "
                       f"{len(layout.skipped_rows)} rows skipped")
            for e in layout.entries:
                filled = sum(not f.empty for f in e.fields.values())
                typer.echo(f"  entry {e.index}: bbox {list(e.bbox)}, {filled}/{len(e.fields)} "
                           "fields written")
            for r in layout.skipped_rows:
                typer.echo(f"  row {r.row}: {r.reason}, bbox {list(r.bbox)}")
            for note in layout.notes:
                typer.echo(f"  note: {note}")
            if debug_dir is not None:
                typer.echo(f"overlay: {out['overlay']}")
        if not layout.entries:  # nothing to cut on this page; a partial page still has entries
            raise typer.Exit(1)
