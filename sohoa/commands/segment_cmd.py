"""``sohoa segment IMAGE...``: find a page's (or a book's pages') register entries and field
boxes (no recognition)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("segment")
    def segment(
        images: list[Path] = typer.Argument(  # noqa: B008
            ..., help="Page image(s) (PNG, JPEG, TIFF); several: one book's pages, in order."),
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
        Several images are one book's pages: analysed as ``process`` does, the book's layout
        learnt from its strong pages repairs a page whose own lines are weak ("book_layout":
        true; with --json one line per page). Exit code 0 when every page has entries,
        whatever its status; 1 when a page has none; 2 when a file or template cannot be
        used."""
        from preprocessing import draw_overlay
        from preprocessing.book import analyze_book
        from preprocessing.spread import SPREAD_STATUS, holds_two_pages, spread_shaped
        from sohoa.imageio import load_image
        from sohoa.template import load_template

        tpl = load_template(template)
        for image in images:  # a bad file fails before any work
            if not image.is_file():
                load_image(image)
        layouts = analyze_book(lambda i: load_image(images[i]), tpl, count=len(images),
                               ocr_header=ocr_header)
        for image, layout in zip(images, layouts, strict=True):
            geo = layout.geometry
            notes = list(layout.notes)
            # read whole, one page is missing (decoded again only when it has a spread's shape)
            if spread_shaped(layout.width, layout.height, tpl) and \
                    holds_two_pages(load_image(image), tpl):
                notes.append(SPREAD_STATUS)
            out = {"page": str(image), "template": tpl.id, **layout.to_json(),
                   "book_layout": bool(geo is not None and geo.prior_used),
                   "notes": notes}
            if debug_dir is not None:
                from PIL import Image

                debug_dir.mkdir(parents=True, exist_ok=True)
                path = debug_dir / f"{image.stem}.segment.png"
                Image.fromarray(draw_overlay(load_image(image), layout)).save(path)
                out["overlay"] = str(path)
            if as_json:
                typer.echo(json.dumps(out, ensure_ascii=False))
                continue
            typer.echo(f"{image}: {layout.status}; angle {layout.angle:.2f} deg, "
                       f"rotation {layout.rotation}; {len(layout.entries)} entries, "
                       f"{len(layout.skipped_rows)} rows skipped"
                       + ("; columns from the book's layout" if out["book_layout"] else ""))
            for e in layout.entries:
                filled = sum(not f.empty for f in e.fields.values())
                typer.echo(f"  entry {e.index}: bbox {list(e.bbox)}, {filled}/{len(e.fields)} "
                           "fields written")
            for r in layout.skipped_rows:
                typer.echo(f"  row {r.row}: {r.reason}, bbox {list(r.bbox)}")
            for note in notes:
                typer.echo(f"  note: {note}")
            if debug_dir is not None:
                typer.echo(f"overlay: {out['overlay']}")
        if any(not layout.entries for layout in layouts):  # a partial page still has entries
            raise typer.Exit(1)
