"""Where the printed header ends when the line under it is missing (worn away in a photo,
never drawn in a hand-ruled book): from what is printed and what is handwritten.

The header's first row then runs from the table's top down to the first entry's bottom
line, and the first entry (with a row of column numbers, even two entries) would be taken
into the header. A printed row of column numbers inside the band (a small mark centred in
most cells, all on one level, nothing beside them) ends the header where it ends, when
writing follows under it. Otherwise: printed header text is set in one font, its glyphs
about one height, the same at the bottom of a header cell as at its top, on straight
baselines; a handwritten row under it has taller glyphs (ascenders, joined letters, larger
writing) or glyphs that wander about their baseline. Only when the band's lowest glyphs
are clearly taller than its top ones, or sit less evenly on their baselines, is the band
read with Tesseract (one call, ~1 CPU s): the header is where it reads the template's
header words, the entry where it reads other words under them. The boundary goes on a weak
line found there (what is left of the worn line), else on the widest blank gap between.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from preprocessing.colfit import blend
from preprocessing.columns import ColumnMap
from preprocessing.layout import RuledLine
from sohoa.template import Template

log = logging.getLogger(__name__)

TALLER = 1.35  # lowest glyphs' height / top glyphs' (medians) worth reading the band
JITTER = 0.5  # px: median baseline jitter of the band's lower half worth reading the band
MIN_BAND = 1.0  # the band must be at least this many entry rows tall to hold an entry too


def _components(crop: np.ndarray) -> np.ndarray:
    """(y centre, height, x centre, width) of the glyph-sized ink components of a binary
    cell crop, ruling
    runs taken out (a component over 0.9 of the crop's width or height is ruling)."""
    if crop.shape[0] < 6 or crop.shape[1] < 6:
        return np.zeros((0, 4))
    run = cv2.morphologyEx(crop, cv2.MORPH_OPEN,
                           np.ones((1, max(8, int(0.4 * crop.shape[1]))), np.uint8))
    clean = cv2.bitwise_and(crop, cv2.bitwise_not(run))
    _, _, st, _ = cv2.connectedComponentsWithStats(clean, connectivity=8)
    st = st[1:]
    keep = ((st[:, 3] >= 4) & (st[:, 4] >= 8) & (st[:, 2] < 0.9 * crop.shape[1])
            & (st[:, 3] < 0.9 * crop.shape[0]))
    st = st[keep]
    return np.stack([st[:, 1] + 0.5 * st[:, 3], st[:, 3], st[:, 0] + 0.5 * st[:, 2], st[:, 2]],
                    axis=1).astype(np.float64)


def _cells(ink: np.ndarray, top: RuledLine, bottom: RuledLine, cmap: ColumnMap
           ) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of each visible column's part of the band, inside its ruling."""
    h, w = ink.shape[:2]
    b = cmap.boundaries
    out = []
    for i in range(len(b) - 1):
        if i in cmap.cut:
            continue
        xa, xb = float(b[i].pos), float(b[i + 1].pos)
        xc = 0.5 * (xa + xb)
        inset = max(3.0, 0.06 * (xb - xa))
        x0, x1 = int(max(0, xa + inset)), int(min(w, xb - inset))
        y0, y1 = int(max(0, top.at(xc) + 4)), int(min(h, bottom.at(xc) - 3))
        if x1 - x0 >= 8 and y1 - y0 >= 8:
            out.append((x0, y0, x1, y1))
    return out


def lower_text_taller(ink: np.ndarray, top: RuledLine, bottom: RuledLine,
                      cmap: ColumnMap) -> float:
    """How much taller the band's lowest glyphs are than its top ones: the median height of
    the lowest 30 % of its ink components (by their centres, over all cells) over that of the
    top 30 %. Print in one font gives about 1; handwriting under print 1.5-2."""
    comps = [c + np.array([y0, 0.0, 0.0, 0.0]) for x0, y0, x1, y1 in _cells(ink, top, bottom, cmap)
             if len(c := _components(np.ascontiguousarray(ink[y0:y1, x0:x1])))]
    if not comps:
        return 0.0
    allc = np.concatenate(comps)
    if len(allc) < 20:
        return 0.0
    allc = allc[np.argsort(allc[:, 0])]
    k = max(5, int(0.3 * len(allc)))
    return float(np.median(allc[-k:, 1]) / max(1.0, np.median(allc[:k, 1])))


def sinks(ink: np.ndarray, top: RuledLine, bottom: RuledLine, cmap: ColumnMap) -> float:
    """How far the band's ink sits toward its bottom: over the cells that hold ink, the
    median of (blank above the ink - blank below it) / the cell's height. A printed header
    label is centred in its cell (about 0); writing under the print reaches down to the
    band's bottom while short labels leave their cells' tops blank (0.2 and more)."""
    out = []
    for x0, y0, x1, y1 in _cells(ink, top, bottom, cmap):
        c = _components(np.ascontiguousarray(ink[y0:y1, x0:x1]))
        if len(c) < 2:
            continue
        hh = y1 - y0
        above = float(np.min(c[:, 0] - 0.5 * c[:, 1]))
        below = hh - float(np.max(c[:, 0] + 0.5 * c[:, 1]))
        out.append((above - below) / hh)
    return float(np.median(out)) if len(out) >= 3 else 0.0


def _bottoms_jitter(comps: np.ndarray) -> list[float]:
    """Per text line (components whose bottoms lie within 4 px of each other's, three or
    more): the median distance of their bottoms from the line's median bottom."""
    if len(comps) < 3:
        return []
    bottoms = np.sort(comps[:, 0] + 0.5 * comps[:, 1])
    groups = np.split(bottoms, np.nonzero(np.diff(bottoms) > 4)[0] + 1)
    return [float(np.median(np.abs(g - np.median(g)))) for g in groups if len(g) >= 3]


def jitter(ink: np.ndarray, top: RuledLine, bottom: RuledLine, cmap: ColumnMap
           ) -> tuple[float, float]:
    """Baseline jitter of the band's top and bottom halves (median over their text lines):
    printed glyphs sit on one baseline, handwritten ones wander about it."""
    up: list[float] = []
    low: list[float] = []
    for x0, y0, x1, y1 in _cells(ink, top, bottom, cmap):
        c = _components(np.ascontiguousarray(ink[y0:y1, x0:x1]))
        mid = 0.5 * (y1 - y0)
        up += _bottoms_jitter(c[c[:, 0] < mid])
        low += _bottoms_jitter(c[c[:, 0] >= mid])
    return (float(np.median(up)) if up else -1.0, float(np.median(low)) if low else -1.0)


def number_level(ink: np.ndarray, top: RuledLine, bottom: RuledLine, cmap: ColumnMap,
                 he: float) -> float | None:
    """The bottom (y at the table's middle) of a printed row of column numbers inside the
    band, with writing under it, or None: a level where most cells hold one small mark
    centred in the cell (digits one height, their centres level) and nothing else, and most
    cells have ink below it. Handwriting never lines up a small centred mark in most cells
    with nothing beside it."""
    cells = _cells(ink, top, bottom, cmap)
    if len(cells) < 4:
        return None
    marks: list[tuple[int, float, float, float]] = []  # (cell, y centre, height, bottom)
    comps = []
    for k, (x0, y0, x1, y1) in enumerate(cells):
        c = _components(np.ascontiguousarray(ink[y0:y1, x0:x1]))
        comps.append(c + np.array([y0, 0.0, x0, 0.0]) if len(c) else c)
        if not len(c):
            continue
        cw = x1 - x0
        mid = 0.5 * cw
        small = c[(c[:, 1] <= 0.35 * he) & (np.abs(c[:, 2] - mid) <= 0.25 * cw)
                  & (c[:, 3] <= 0.45 * cw)]
        for yc, hh, _, _ in small:
            marks.append((k, y0 + yc, hh, y0 + yc + 0.5 * hh))
    if not marks:
        return None
    best: tuple[int, float] | None = None
    for _, yc, hh, _ in marks:
        level = [m for m in marks if abs(m[1] - yc) <= max(3.0, 0.4 * hh)]
        cols = {m[0] for m in level}
        # nothing else in those cells at that level: a mark beside writing is a letter
        alone = [k for k in cols
                 if np.sum(np.abs(comps[k][:, 0] - yc) <= max(4.0, 0.6 * hh)) <= 2]
        hs = np.array([m[2] for m in level])
        if (len(alone) >= 0.7 * len(cells) and np.std(hs) <= 0.3 * np.median(hs)
                and (best is None or len(alone) > best[0])):
            best = (len(alone), max(m[3] for m in level))
    if best is None:
        return None
    y = best[1]
    under = sum(bool(np.any(c[:, 0] - 0.5 * c[:, 1] > y + 2)) for c in comps if len(c))
    xm = 0.5 * (cmap.boundaries[0].pos + cmap.boundaries[-1].pos)
    if under < 0.5 * len(cells) or float(bottom.at(xm)) - y < 0.4 * he:
        return None
    return y


def _below(ink: np.ndarray, cell: tuple[int, int, int, int], y: float) -> np.ndarray:
    """Tops (page y) of the cell's ink components that start below ``y``."""
    x0, y0, x1, y1 = cell
    c = _components(np.ascontiguousarray(ink[y0:y1, x0:x1]))
    if not len(c):
        return c[:, 0]
    tops = y0 + c[:, 0] - 0.5 * c[:, 1]
    return tops[tops > y]


def header_end(ink: np.ndarray, top: RuledLine, bottom: RuledLine, cmap: ColumnMap,
               template: Template, weak: tuple[RuledLine, ...] = ()) -> RuledLine | None:
    """The line where the printed header ends inside the band from ``top`` to ``bottom``
    (a header holding handwriting under its print: its bottom line is missing), or None.
    ``weak``: other lines found across the band (a worn header line's remains)."""
    from preprocessing.header import _words, header_vocabulary, read_band

    band = read_band(ink, top, bottom, cmap, min_height=16)
    if band is None:
        return None
    data, x0, y0, x1 = band
    xm = 0.5 * (x0 + x1)
    vocab = header_vocabulary(template)
    printed: list[int] = []  # bottoms of header words
    tokens: list[tuple[int, int, int, str]] = []  # (top, bottom, x centre, text) of the rest
    for text, conf, left, wtop, width, height in zip(
            data["text"], data["conf"], data["left"], data["top"], data["width"],
            data["height"], strict=True):
        words = _words(text)
        if not words or height < 4:
            continue
        if float(conf) >= 50 and any(t in vocab for t in words if len(t) >= 2):
            printed.append(y0 + wtop + height)
        else:
            tokens.append((y0 + wtop, y0 + wtop + height, x0 + left + width // 2,
                           "".join(words)))
    if len(printed) < 3:
        return None
    end = int(np.percentile(printed, 90))  # a stray mis-read word is not the header's end
    # the printed column numbers: the first level under the header's words, with two
    # numbers or more and little else (an entry's handwritten number is alone on its level,
    # and handwritten years on one level come under a line of names or places)
    nums = sorted(0.5 * (ta + tb) for ta, tb, _, t in tokens
                  if ta > end and t.isdigit() and len(t) <= 2)
    if nums:
        c = nums[0]
        level = [o for o in tokens if abs(0.5 * (o[0] + o[1]) - c) <= 6]
        words = [o for o in tokens if end < 0.5 * (o[0] + o[1]) < c - 6 and len(o[3]) >= 3]
        if (not words and sum(o[3].isdigit() and len(o[3]) <= 2 for o in level) >= 2
                and sum(len(o[3]) <= 3 for o in level) >= 0.7 * len(level)):
            end = max(end, max(o[1] for o in level))
    other = [(ta, tb, xc) for ta, tb, xc, t in tokens if len(t) >= 2 and not t.isdigit()]
    below = [o for o in other if o[0] >= end - 2]
    if len(below) < 3 or np.ptp([o[2] for o in below]) < 0.3 * (x1 - x0):
        return None
    start = int(np.median(sorted(o[0] for o in below)[:3]))
    if start <= end:
        return None
    tb, bb = float(top.at(xm)), float(bottom.at(xm))
    if bb - start < 0.3 * (bb - tb) and bb - start < 20:
        return None
    inside = [ln for ln in weak if end <= ln.at(xm) <= start]
    if inside:
        y = float(max(inside, key=lambda ln: ln.strength).at(xm))
    else:  # the widest blank gap between the header's print and the writing
        prof = np.count_nonzero(ink[end:start, x0:x1], axis=1)
        quiet = prof <= max(2, int(0.01 * (x1 - x0)))
        idx = np.nonzero(quiet)[0]
        if len(idx):
            runs = np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)
            best = max(runs, key=len)
            y = end + float(best.mean())
        else:
            y = 0.5 * (end + start)
    log.debug("header ends at %.0f (print to %d, writing from %d)", y, end, start)
    return blend(top, bottom, (y - tb) / max(1.0, bb - tb), strength=0.6)


def split_open_header(ink: np.ndarray, lines: list[RuledLine], cmap: ColumnMap, he: float,
                      template: Template, weak: tuple[RuledLine, ...] = ()
                      ) -> list[RuledLine]:
    """``lines`` with a line put where the header's print ends when the first row (from
    the table's top) holds handwriting under it (``header_end``); unchanged otherwise."""
    if len(lines) < 3 or lines[1].pos - lines[0].pos < MIN_BAND * he:
        return lines
    numbers = number_level(ink, lines[0], lines[1], cmap, he)
    if numbers is not None:  # the printed column numbers, writing under them
        tops = [float(np.min(t)) for c in _cells(ink, lines[0], lines[1], cmap)
                if len(t := _below(ink, c, numbers + 2))]
        first = float(np.percentile(tops, 20)) if tops else numbers + 4
        xm = 0.5 * (cmap.boundaries[0].pos + cmap.boundaries[-1].pos)
        tb, bb = float(lines[0].at(xm)), float(lines[1].at(xm))
        y = 0.5 * (numbers + max(numbers, first))
        log.debug("column numbers end at %.0f, writing from %.0f", numbers, first)
        cut = blend(lines[0], lines[1], (y - tb) / max(1.0, bb - tb), strength=0.6)
        return [lines[0], cut, *lines[1:]]
    ratio = lower_text_taller(ink, lines[0], lines[1], cmap)
    up, low = jitter(ink, lines[0], lines[1], cmap) if ratio < TALLER else (0.0, 0.0)
    log.debug("first row %.0f px (%.2f rows), lowest glyphs %.2fx its top ones, baseline "
              "jitter %.2f above %.2f below", lines[1].pos - lines[0].pos,
              (lines[1].pos - lines[0].pos) / he, ratio, up, low)
    if ratio < TALLER and not (low >= JITTER and low > up):
        return lines
    end = header_end(ink, lines[0], lines[1], cmap, template, weak)
    if end is None:
        return lines
    return [lines[0], end, *lines[1:]]
