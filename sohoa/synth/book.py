"""Writing a synthetic book to disk: one image and one ground-truth JSON per page, or one
multi-page PDF plus the JSON files. Pages continue the book's ``so`` numbering."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import cv2

from sohoa.synth.page import SynthPage, generate_page
from sohoa.template import load_template

log = logging.getLogger(__name__)

FORMATS = ("png", "jpg", "pdf")


def _encode(page: SynthPage, fmt: str) -> bytes:
    bgr = cv2.cvtColor(page.image, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, 85] if fmt == "jpg" else []
    ok, buf = cv2.imencode(f".{fmt}", bgr, params)
    if not ok:
        raise RuntimeError(f"could not encode page as {fmt}")
    return buf.tobytes()


def write_book(
    template: str,
    pages: int,
    seed: int,
    out: Path,
    fmt: str = "png",
    difficulty: str = "easy",
    font_role: str = "test",
    dpi: int = 200,
    first_page: int = 1,
    progress: Callable[[int], None] | None = None,
    rotation: int = 0,
) -> list[Path]:
    """Render ``pages`` pages of one book into ``out``; returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    tpl = load_template(template)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pdf = None
    if fmt == "pdf":
        import pymupdf

        pdf = pymupdf.open()
    for page_no in range(first_page, first_page + pages):
        page = generate_page(tpl, seed, difficulty, font_role, page_no=page_no, dpi=dpi,
                             rotation=rotation)
        stem = out / f"page-{page_no:04d}"
        if pdf is not None:
            jpg = _encode(page, "jpg")
            w_pt = page.image.shape[1] * 72.0 / dpi
            h_pt = page.image.shape[0] * 72.0 / dpi
            pdf_page = pdf.new_page(width=w_pt, height=h_pt)
            pdf_page.insert_image(pdf_page.rect, stream=jpg)
            page.truth["pdf_page"] = page_no - first_page
            page.truth["dpi"] = dpi
        else:
            img_path = stem.with_suffix(f".{fmt}")
            img_path.write_bytes(_encode(page, fmt))
            written.append(img_path)
            page.truth["image"] = img_path.name
        json_path = stem.with_suffix(".json")
        json_path.write_text(json.dumps(page.truth, ensure_ascii=False, indent=1), "utf-8")
        written.append(json_path)
        if progress:
            progress(1)
    if pdf is not None:
        pdf_path = out / "book.pdf"
        pdf.save(str(pdf_path), deflate=True)
        pdf.close()
        written.insert(0, pdf_path)
    log.info("wrote %d files to %s", len(written), out)
    return written
