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
from preprocessing.layout import Grid, RuledLine
from sohoa.template import Template

log = logging.getLogger(__name__)

POOR_FIT = 1.2  # alignment cost per matched line above which the header is read
FULL = 0.7  # share of the table's width a line under the header runs across
LINE_THICK = 5  # px at analysis scale: the most a ruling line's ink runs across its path


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


def header_band(grid: Grid, he: float | None = None, ink: np.ndarray | None = None
                ) -> tuple[int, int] | None:
    """Rows y0..y1 of the header: from the table's top line to the first line at least a
    third of a row below it (a row of column numbers under it is left out). With ``ink``
    (binary, ruling kept), only a line running across most of the table (``FULL`` of its
    width) ends the header: a two-level header's inner line under its merged group cells,
    or a row of bold header words the line finder took for a line, does not."""
    ys = [ln.pos for ln in grid.h_lines if ln.strength >= 0.6]
    if len(ys) < 3:
        return None
    gaps = np.diff(ys)
    he = he or float(np.median(gaps))
    full = None
    if ink is not None:
        from preprocessing.rows import coverage

        x0, x1 = float(grid.bbox[0]), float(grid.bbox[2])
        full = {ln.pos for ln in grid.h_lines if ln.strength >= 0.6
                and coverage(ink, ln, x0, x1) >= FULL}
    for y in ys[1:]:
        if y - ys[0] >= 0.35 * he and (full is None or y in full or y == ys[-1]):
            return int(ys[0]), int(y)
    return None


def header_anchors(grey: np.ndarray, grid: Grid, template: Template,
                   ink: np.ndarray | None = None, walls: np.ndarray | None = None
                   ) -> dict[int, float]:
    """Column index -> x (page pixels) where a word only that column's header has was read.

    ``ink``: binary ink with its ruling (finds the header's bottom line, ``header_band``);
    ``walls``: binary ink without the row ruling, column lines kept: a word written in a
    merged cell (a two-level header's group label such as "Thông tin về cha mẹ" over the
    parents' columns) names no single column, so a word with a found column line or header
    separator between the strokes walling it in at its own rows is no anchor."""
    band = header_band(grid, ink=ink)
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
    inner = _inner_separators(walls, grid, band) if walls is not None else []
    found: dict[int, list[float]] = {}
    for text, left, top, width, height, conf in zip(
            data["text"], data["left"], data["top"], data["width"], data["height"],
            data["conf"], strict=True):
        if float(conf) < 40:
            continue
        xc = x0 + left + width / 2.0
        wy0 = max(0, y0 + 2) + top
        if walls is not None and _merged(walls, grid, inner, xc, wy0, wy0 + height):
            continue
        for w in _words(text):
            if w in names:
                found.setdefault(names[w], []).append(xc)
    return {c: float(np.median(xs)) for c, xs in found.items()}


def _inner_separators(walls: np.ndarray, grid: Grid, band: tuple[int, int]) -> list[float]:
    """x of the found column lines and of the separators in the header band's lower part."""
    from preprocessing.colplace import LOWER, separators

    y0, y1 = band
    ya, yb = int(round(y1 - LOWER * (y1 - y0))), y1 - 2
    xs = [float(ln.pos) for ln in grid.v_lines]
    if yb - ya >= 6:
        cover = (walls[ya:yb] > 0).mean(axis=0)
        xs += separators(cover, 0, len(cover))
    return sorted(xs)


def _merged(walls: np.ndarray, grid: Grid, inner: list[float], xc: float, wy0: float,
            wy1: float) -> bool:
    """Whether the word centred at ``xc`` over rows wy0..wy1 sits in a cell that spans a
    column line or separator lower down (a merged group cell)."""
    from preprocessing.colplace import COVER, WOBBLE

    h, w = walls.shape[:2]
    ya, yb = int(wy0 + 0.2 * (wy1 - wy0)), int(wy1 - 0.2 * (wy1 - wy0))
    if yb - ya < 2:
        return False
    ys = np.arange(max(0, ya), min(h, yb))
    if len(ys) == 0:
        return False

    def reaches(ln) -> bool:  # type: ignore[no-untyped-def]
        xs = np.round(ln.at(ys.astype(np.float64))).astype(int)
        hit = np.zeros(len(ys), bool)
        for d in range(-WOBBLE, WOBBLE + 1):
            hit |= walls[ys, np.clip(xs + d, 0, w - 1)] > 0
        return float(hit.mean()) >= COVER

    left = max((ln.pos for ln in grid.v_lines if ln.pos < xc and reaches(ln)), default=None)
    right = min((ln.pos for ln in grid.v_lines if ln.pos > xc and reaches(ln)), default=None)
    lo = left if left is not None else -np.inf
    hi = right if right is not None else np.inf
    return any(lo + 2 * WOBBLE < x < hi - 2 * WOBBLE for x in inner)


def group_line(ink: np.ndarray, ln: RuledLine, cmap: ColumnMap,
               below: RuledLine | None = None) -> bool:
    """Whether ``ln`` is a two-level header's inner line: drawn under the merged group cells
    only, so it runs clean across some columns (at least two) and is absent across whole
    others (the columns whose header cell spans both levels). A row line, even hand-drawn,
    faded or wobbly, does not stop and start at the column lines. ``ink``: binary, ruling
    kept; columns cut off or off the image are not looked at.

    With ``below`` (the next row line) a bare column must be one that the rows cross: where
    the row lines are gone too, the table is cut there (its outermost column at the image's
    edge) or its ruling lost, which says nothing of its header. (Where the line ends inside
    a column would tell a worn line's gap from a group line's end, but along the line the
    bold labels of the ungrouped columns read as 0.7-0.8 "coverage"; the print under the
    line decides instead, ``lower_level``.)"""
    from preprocessing.rows import coverage, path_coverage, traced_path
    from preprocessing.strikes import thin_share

    w = ink.shape[1]
    b = cmap.boundaries
    cov: dict[int, float] = {}
    for i in range(len(b) - 1):
        if i in cmap.cut:
            continue
        xa, xb = float(b[i].at(ln.pos)), float(b[i + 1].at(ln.pos))
        if xa < 0 or xb > w or xb - xa < 12:
            continue
        m = 0.15 * (xb - xa)
        xs, ys = traced_path(ink, ln, xa + m, xb - m)
        cov[i] = path_coverage(ink, xs, ys)
        # under half of what the path meets a thin run across it (a ruling line's, at most
        # LINE_THICK px): a label's letters along the path, no line, so bare. Along a
        # two-level header's inner line (kh-2006 1720095): the grouped columns 1.0, the bold
        # labels of the ungrouped ones 0.19-0.39 (their coverage 0.27-0.89), row lines 1.0
        if cov[i] >= 0.25 and thin_share(ink, ys, xs, thin=LINE_THICK, reach=2) < 0.5:
            cov[i] = 0.0
        if cov[i] < 0.25 and below is not None and coverage(ink, below, xa + m, xb - m) < 0.7:
            cov[i] = -1.0  # no row line across it either: no evidence
    crossed = sum(c >= 0.7 for c in cov.values())
    absent = sum(0.0 <= c < 0.25 for c in cov.values())
    return crossed >= 2 and absent >= 1


def lower_level(ink: np.ndarray, lines: list[RuledLine], cmap: ColumnMap, he: float,
                template: Template | None = None) -> bool:
    """Whether the piece between ``lines[1]`` and ``lines[2]`` is still header: the header's
    first row is short (under 0.8 of an entry row, or under half the row below it: a
    header's upper level), the line under it is a two-level header's inner line
    (``group_line``), and, with ``template``, the piece
    holds printed header words (``printed_header``: the grouped columns' own labels; a tall
    first entry under a short one-level header is handwriting). Then the printed text of the
    lower level is no entry."""
    if len(lines) < 5:
        return False
    # the upper level (the group labels, one line of print) is short: under 0.8 of an entry
    # row, or under half the level below it (a book of small rows under a tall header)
    upper, lower = lines[1].pos - lines[0].pos, lines[2].pos - lines[1].pos
    if not (upper < max(0.8 * he, 0.5 * lower) and group_line(ink, lines[1], cmap, lines[2])):
        return False
    if template is None:
        return True
    said = printed_header(ink, lines[1], lines[2], cmap, template)
    return True if said is None else said


def header_vocabulary(template: Template) -> set[str]:
    """Every word of the template's column headers and keywords (two letters or more)."""
    return {w for col in template.columns
            for w in _words(" ".join((col.header, *col.keywords))) if len(w) >= 2}


def read_band(ink: np.ndarray, top: RuledLine, bottom: RuledLine, cmap: ColumnMap,
              min_height: int) -> tuple[dict, int, int, int] | None:
    """Tesseract's words (``image_to_data``, ``vie``, sparse text) in the band between ``top``
    and ``bottom`` across the table's columns, with the band's left, top and right edges in
    the image; None when the band is under ``min_height`` px or 40 px wide, or Tesseract
    cannot run."""
    b = cmap.boundaries
    h, w = ink.shape[:2]
    x0, x1 = int(max(0.0, b[0].pos)), int(min(float(w), b[-1].pos))
    y0 = int(max(0.0, min(float(top.at(x0)), float(top.at(x1))))) + 3
    y1 = int(min(float(h), max(float(bottom.at(x0)), float(bottom.at(x1))))) - 2
    if y1 - y0 < min_height or x1 - x0 < 40:
        return None
    try:
        import pytesseract

        data = pytesseract.image_to_data(255 - ink[y0:y1, x0:x1], lang="vie",
                                         config="--psm 11",
                                         output_type=pytesseract.Output.DICT)
    except Exception as exc:  # noqa: BLE001 - Tesseract missing or failed: no evidence
        log.warning("header OCR failed: %s", exc)
        return None
    return data, x0, y0, x1


def printed_header(ink: np.ndarray, top: RuledLine, bottom: RuledLine, cmap: ColumnMap,
                   template: Template) -> bool | None:
    """Whether the band between ``top`` and ``bottom`` holds printed header labels rather than
    handwriting: Tesseract (``vie``) reads at least three words of the template's column
    headers, and they are at least 0.4 of the words it reads with confidence >= 50. Print in
    the form's font is read well and names columns; handwriting (names, places, dates) is
    read as other words or with low confidence. None when Tesseract cannot run."""
    band = read_band(ink, top, bottom, cmap, min_height=8)
    if band is None:
        return None
    data = band[0]
    vocab = header_vocabulary(template)
    read = [w for text, conf in zip(data["text"], data["conf"], strict=True)
            if float(conf) >= 50 for w in _words(text) if len(w) >= 2 and not w.isdigit()]
    hits = sum(w in vocab for w in read)
    log.debug("band read as %s: %d header words", read, hits)
    return hits >= 3 and hits >= 0.4 * len(read)
