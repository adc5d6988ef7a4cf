"""Writing a synthetic book to disk: one image and one ground-truth JSON per page, or one
multi-page PDF plus the JSON files. Pages continue the book's ``so`` numbering; pages can be
drawn in several processes and come out the same as in one."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from sohoa.errors import InputError
from sohoa.synth.fonts import fonts_for_role
from sohoa.synth.page import book_layout, check_args, generate_page
from sohoa.template import load_template

log = logging.getLogger(__name__)

FORMATS = ("png", "jpg", "pdf")


@dataclass(frozen=True)
class BookJob:
    """Everything one page needs (picklable, for worker processes)."""

    template: str
    seed: int
    difficulty: str
    font_role: str
    dpi: int
    rotation: int
    fmt: str
    layout: str | None = None


def _encode(image: np.ndarray, fmt: str) -> bytes:
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, 85] if fmt == "jpg" else []
    ok, buf = cv2.imencode(f".{fmt}", bgr, params)
    if not ok:
        raise RuntimeError(f"could not encode page as {fmt}")
    return buf.tobytes()


def render_encoded(job: BookJob, page_no: int) -> tuple[int, bytes, tuple[int, int], dict]:
    """One page as encoded bytes (JPEG for a PDF), its size and its truth."""
    page = generate_page(load_template(job.template), job.seed, job.difficulty, job.font_role,
                         page_no=page_no, dpi=job.dpi, rotation=job.rotation,
                         layout=job.layout)
    data = _encode(page.image, "jpg" if job.fmt == "pdf" else job.fmt)
    h, w = page.image.shape[:2]
    return page_no, data, (w, h), page.truth


def _pages(job: BookJob, numbers: list[int], workers: int) -> Iterator[tuple[Any, ...]]:
    if workers <= 1 or len(numbers) < 2:
        for n in numbers:
            yield render_encoded(job, n)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(render_encoded, [job] * len(numbers), numbers)


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
    workers: int = 1,
    layout: str | None = None,
) -> list[Path]:
    """Render ``pages`` pages of one book into ``out``; returns the files written."""
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    tpl = check_args(template, difficulty, rotation, first_page)  # fail before workers start
    book_layout(tpl, seed, layout)
    fonts_for_role(font_role)
    job = BookJob(template, seed, difficulty, font_role, dpi, rotation, fmt, layout)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pdf = None
    if fmt == "pdf":
        import pymupdf

        pdf = pymupdf.open()
    numbers = list(range(first_page, first_page + pages))
    for page_no, data, (w, h), truth in _pages(job, numbers, workers):
        stem = out / f"page-{page_no:04d}"
        if pdf is not None:
            pdf_page = pdf.new_page(width=w * 72.0 / dpi, height=h * 72.0 / dpi)
            pdf_page.insert_image(pdf_page.rect, stream=data)
            truth["pdf_page"] = page_no - first_page
            truth["dpi"] = dpi
        else:
            img_path = stem.with_suffix(f".{fmt}")
            img_path.write_bytes(data)
            written.append(img_path)
            truth["image"] = img_path.name
        json_path = stem.with_suffix(".json")
        json_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
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
