"""Read the printed header to place columns when the ruling leaves doubt.

When column lines are missing or extra, or the page's lines fit the template poorly, the
header band is read with Tesseract ``vie`` (one call, word boxes). Each column is known by the
words of its header that no other column's header has ("giới", "tộc", "mẹ", "khai" on a birth
register); where such a word is read, that column lies. These anchors then enter the column
alignment (preprocessing.colfit): an assignment that puts a column away from its header word
pays for it. Tesseract missing or failing leaves the alignment to the lines alone.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from preprocessing.columns import ColumnMap
from preprocessing.layout import Grid
from sohoa.template import Template

log = logging.getLogger(__name__)

POOR_FIT = 1.2  # alignment cost per matched line above which the header is read


def _words(text: str) -> list[str]:
    from sohoa.records import nfc

    return [w for w in re.split(r"[^\w]+", nfc(text).lower()) if w]


def distinctive_words(template: Template) -> dict[str, int]:
    """Header words that name exactly one column (word -> column index)."""
    seen: dict[str, set[int]] = {}
    for ci, col in enumerate(template.columns):
        for w in _words(" ".join((col.header, *col.keywords))):
            seen.setdefault(w, set()).add(ci)
    return {w: next(iter(cs)) for w, cs in seen.items() if len(cs) == 1 and len(w) >= 2}


def in_doubt(cmap: ColumnMap | None) -> bool:
    """Lines missing, extra, or a poor fit: worth reading the header."""
    return cmap is None or bool(cmap.placed) or cmap.extra > 0 or (
        cmap.cost / max(1, cmap.matched) > POOR_FIT)


def header_band(grid: Grid, he: float | None = None) -> tuple[int, int] | None:
    """Rows y0..y1 of the header: from the table's top line to the first line at least a
    third of a row below it (a row of column numbers under it is left out)."""
    ys = [ln.pos for ln in grid.h_lines if ln.strength >= 0.6]
    if len(ys) < 3:
        return None
    gaps = np.diff(ys)
    he = he or float(np.median(gaps))
    for y in ys[1:]:
        if y - ys[0] >= 0.35 * he:
            return int(ys[0]), int(y)
    return None


def header_anchors(grey: np.ndarray, grid: Grid, template: Template) -> dict[int, float]:
    """Column index -> x (page pixels) where a word only that column's header has was read."""
    band = header_band(grid)
    if band is None or not grid.v_lines:
        return {}
    y0, y1 = band
    x0 = max(0, int(grid.v_lines[0].pos) - 20)
    x1 = min(grey.shape[1], int(grid.v_lines[-1].pos) + 20)
    crop = grey[max(0, y0 + 2):y1 - 1, x0:x1]
    if crop.size == 0 or min(crop.shape) < 8:
        return {}
    try:
        import pytesseract

        data = pytesseract.image_to_data(crop, lang="vie", config="--psm 11",
                                         output_type=pytesseract.Output.DICT)
    except Exception as exc:  # noqa: BLE001 - Tesseract missing or failed: lines alone
        log.warning("header OCR failed: %s", exc)
        return {}
    names = distinctive_words(template)
    found: dict[int, list[float]] = {}
    for text, left, width, conf in zip(data["text"], data["left"], data["width"],
                                       data["conf"], strict=True):
        if float(conf) < 40:
            continue
        for w in _words(text):
            if w in names:
                found.setdefault(names[w], []).append(x0 + left + width / 2.0)
    return {c: float(np.median(xs)) for c, xs in found.items()}
