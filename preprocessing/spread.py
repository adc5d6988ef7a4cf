"""Two facing pages in one scan (a book opened flat on the scanner, or photographed open):
find the gutter between them, so that each page is read as a page of its own.

Read whole, a spread is one wide "page" whose analysis finds one of its two tables and quietly
drops the other's entries (a generated spread of 7 + 10 entries was read as 5). The evidence
is the tables' row lines: a table's horizontal ruling runs across the whole table, so along the
scan's width the columns crossed by row lines form one run per table. A spread shows two long
runs (each at least ``MIN_SIDE`` of the width) with a gap between them near the middle, the
gutter, that no row line crosses. A single page, even photographed with the facing page's edge
or part of its table beside it, shows one long run (the part of a facing table is short), and
broken or missing stretches of single lines do not open a gap that every row line shares.
A portrait-shaped scan is looked at turned by a quarter (a spread scanned sideways); the
pages of a spread found upside down are turned back and put in order when the book's template
is known (``split_spread``).
"""

from __future__ import annotations

import cv2
import numpy as np

from preprocessing.clean import bed_mask, binarize, normalize_background, to_grey
from preprocessing.skew import estimate_skew
from sohoa.template import Template

WORK_WIDTH = 1600  # the scan is looked at this wide (pixels)
LINE_LEN = 0.025  # a row line's stretch kept by the opening, in scan widths
EMPTY = 0.04  # a column holds no ruling under this share of the 90th percentile (or 1 px)
MIN_SIDE = 0.3  # each page's table spans at least this share of the width
SIDE_FILL = 0.8  # ... with ruling in this share of the columns it spans
MIDDLE = (0.3, 0.7)  # the gutter's centre lies in this part of the width
MIN_GAP = 0.01  # the gutter is at least this wide (scan widths)
THICK = 0.012  # a dark band this tall (scan heights) is no ruling line
SAME_ANGLE = 0.5  # degrees: the two halves' skews closer than this are one skew


def row_line_columns(image: np.ndarray) -> np.ndarray:
    """Per column of the scan at ``WORK_WIDTH``: how many pixels of long, thin horizontal
    ruling it holds (the returned array is as wide as the working copy). Counted with the
    scan turned level by the skew of its left half and again by its right half's, the larger
    count kept: the two pages of an open book often lie at angles of their own."""
    grey = to_grey(image)
    h, w = grey.shape
    scale = min(1.0, WORK_WIDTH / w)
    if scale < 1.0:
        grey = cv2.resize(grey, (WORK_WIDTH, max(1, int(round(h * scale)))),
                          interpolation=cv2.INTER_AREA)
    # the scanner bed around the book, and its edge, hold no ruling
    ink = cv2.bitwise_and(binarize(normalize_background(grey)), cv2.bitwise_not(bed_mask(grey)))
    half = ink.shape[1] // 2
    angles = [estimate_skew(ink[:, :half]), estimate_skew(ink[:, half:])]
    if abs(angles[0] - angles[1]) < SAME_ANGLE:
        angles = [estimate_skew(ink)]
    return np.max([_level_line_counts(ink, a) for a in angles], axis=0)


def _level_line_counts(ink: np.ndarray, angle: float) -> np.ndarray:
    if abs(angle) > 0.1:  # turned level about the centre
        m = cv2.getRotationMatrix2D((ink.shape[1] / 2, ink.shape[0] / 2), -angle, 1.0)
        ink = cv2.warpAffine(ink, m, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_NEAREST)
    n = max(15, int(LINE_LEN * ink.shape[1]))
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 5), np.uint8))
    lines = cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones((1, n), np.uint8))
    # ruling is thin: a dark band as tall as THICK of the scan (the scanner bed above and below
    # the book, a shadow) runs across the gutter too, and is not counted
    k = max(5, int(THICK * ink.shape[0])) | 1
    thick = cv2.morphologyEx(lines, cv2.MORPH_OPEN, np.ones((k, 1), np.uint8))
    return np.count_nonzero(cv2.subtract(lines, thick), axis=0)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True (end exclusive)."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def find_gutter(image: np.ndarray) -> int | None:
    """The x (scan pixels) of the gutter between two facing pages, or None for one page."""
    h, w = image.shape[:2]
    if w < 1.05 * h:  # two pages side by side make a landscape scan
        return None
    counts = row_line_columns(image).astype(np.float64)
    width = len(counts)
    top = float(np.percentile(counts, 90))
    if top <= 0:
        return None
    ruled = counts > max(1.0, EMPTY * top)  # a faint table's thin lines still count
    gaps = [(a, b) for a, b in _runs(~ruled) if b - a >= MIN_GAP * width
            and MIDDLE[0] * width <= (a + b) / 2 <= MIDDLE[1] * width]
    if not gaps:
        return None
    a, b = max(gaps, key=lambda g: g[1] - g[0])
    if not (_table_side(ruled[:a], width) and _table_side(ruled[b:], width)):
        return None
    return int(round((a + b) / 2 * w / width))  # the middle of the gap: each page a margin


def _table_side(ruled: np.ndarray, total: int) -> bool:
    """Whether one side of a gap holds a page's table: ruling over at least ``MIN_SIDE`` of
    the ``total`` width, found on ``SIDE_FILL`` of the columns of its extent."""
    on = np.flatnonzero(ruled)
    if on.size == 0:
        return False
    extent = int(on[-1] - on[0] + 1)
    return extent >= MIN_SIDE * total and on.size >= SIDE_FILL * extent


SPREAD_STATUS = ("two facing pages in one scan: one table read; ingest the scan again, and "
                 "sohoa ingest stores its pages as two")
SPREAD_ASPECT = {"landscape": 2.0, "portrait": 1.1}  # width / height from which a stored
# page may be two pages (a landscape page is ~1.41, two side by side ~2.8)


def spread_shaped(width: int, height: int, template: Template) -> bool:
    """Whether a stored page is as wide as two pages of the template's shape (only such a
    page is looked at for a gutter by ``holds_two_pages``)."""
    return width >= SPREAD_ASPECT.get(template.orientation, 2.0) * height


def holds_two_pages(image: np.ndarray, template: Template) -> bool:
    """Whether a page stored whole (ingested before spreads were split, or ``--keep-spreads``)
    is two facing pages: ``spread_shaped`` and with a gutter. A page of a page's proportions
    costs nothing."""
    h, w = image.shape[:2]
    return spread_shaped(w, h, template) and find_gutter(image) is not None


def split_spread(image: np.ndarray, template: Template | None = None) -> list[np.ndarray]:
    """The scan's pages, the left page first: two when it is a spread, else the scan itself.
    A portrait-shaped scan is looked at turned by a quarter (a spread scanned sideways); with
    ``template`` a spread found upside down (which a sideways one is, one time in two) gives
    its pages back upright, left first (``_upside_down``). Without it they come as cut."""
    h, w = image.shape[:2]
    view = image if w >= h else np.rot90(image, 1)  # turned by a quarter: counter-clockwise
    x = find_gutter(view)
    if x is None:
        return [image]
    pages = [view[:, :x], view[:, x:]]
    if template is not None and _upside_down(pages, template):
        pages = [np.rot90(pages[1], 2), np.rot90(pages[0], 2)]
    return [np.ascontiguousarray(p) for p in pages]


def _upside_down(pages: list[np.ndarray], template: Template) -> bool:
    """Whether both pages together read better turned by half: the scores of 180 against 0
    degrees of each page's orientation as ``analyze_page`` finds it, summed (one page's
    judgement can be wrong on a hard photo)."""
    from preprocessing.analyze import page_orientation

    margin = 0.0
    for page in pages:
        scores = page_orientation(page, template).scores
        if 0 in scores and 180 in scores:  # else the page's writing ran the other way
            margin += scores[180] - scores[0]
    return margin > 0
