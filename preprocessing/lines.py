"""Handwritten lines inside one field crop: a long value wrapped in its cell (a place written
on three lines, "Việt / Nam") is cut into line images for line recognisers."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def _bands(profile: np.ndarray, level: float) -> list[list[int]]:
    """Runs of rows whose ink is above ``level``, as [start, end) pairs."""
    on = profile > level
    bands, start = [], None
    for y, v in enumerate(on):
        if v and start is None:
            start = y
        elif not v and start is not None:
            bands.append([start, y])
            start = None
    if start is not None:
        bands.append([start, len(on)])
    return bands


def _x_extent(ink: np.ndarray) -> tuple[float, float]:
    """Where a band's ink lies across the crop (2nd to 98th percentile of its ink columns)."""
    cols = np.flatnonzero(ink.any(axis=0))
    if cols.size == 0:
        return 0.0, 0.0
    weights = ink[:, cols].sum(axis=0).astype(float)
    cum = np.cumsum(weights) / weights.sum()
    return float(cols[np.searchsorted(cum, 0.02)]), float(cols[np.searchsorted(cum, 0.98)])


def _ink(grey: np.ndarray) -> np.ndarray:
    """Ink (1) and paper (0) after dividing out the paper's light: a photo's shadow or light
    gradient across the crop is not ink (a plain Otsu threshold took it for a line)."""
    h, w = grey.shape[:2]
    size = max(3, (min(h, w) // 3) | 1)
    paper = cv2.dilate(grey, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    paper = cv2.blur(paper, (size, size))
    flat = cv2.divide(grey, np.maximum(paper, 1), scale=255)
    _, ink = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if float(flat.min()) > 200:  # nothing dark against its own paper
        return np.zeros_like(ink)
    return ink


def _writing(ink: np.ndarray) -> np.ndarray:
    """The ink that is writing: long straight rules (a cell's ruling remnant, a border down
    an edge) and specks of noise taken out, so that a row between two lines is empty (the
    rules are looked for only where a row or column holds enough ink for one: the opening
    costs more than the rest)."""
    h, w = ink.shape
    out = ink
    long_h = max(30, w // 3)
    if w > long_h and int(ink.sum(axis=1).max()) >= long_h:
        out = out.copy()
        out[cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, long_h), np.uint8)) > 0] = 0
    long_v = max(16, int(0.7 * h))
    if h > long_v and int(ink.sum(axis=0).max()) >= long_v:
        out = out.copy() if out is ink else out
        out[cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((long_v, 1), np.uint8)) > 0] = 0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(out, connectivity=8)
    specks = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] <= 2) + 1  # noise, not a mark
    if specks.size:
        out = out.copy() if out is ink else out
        out[np.isin(labels, specks)] = 0
    return out


def _core(p: np.ndarray) -> int:
    """Rows holding at least half the ink of the densest (about the x-height)."""
    return int((p >= 0.5 * p.max()).sum()) if p.size and p.max() > 0 else 0


@dataclass
class _Band:
    """Rows [y0, y1) holding ink, with an empty row above and below."""

    y0: int
    y1: int
    mass: float  # ink pixels
    core: int  # rows holding at least half the ink of its densest row (~ the x-height)
    cover: float  # share of the columns of its ink extent that hold ink
    x0: float
    x1: float

    @classmethod
    def of(cls, ink: np.ndarray, y0: int, y1: int) -> _Band:
        sub = ink[y0:y1]
        rows = sub.sum(axis=1).astype(float)
        x0, x1 = _x_extent(sub)
        cols = sub.any(axis=0)[int(x0): int(x1) + 1]
        return cls(y0, y1, float(rows.sum()), _core(rows),
                   float(cols.mean()) if cols.size else 0.0, x0, x1)


def _is_line(b: _Band, ref: _Band, min_line: int, h: int) -> bool:
    """A band of writing, not a row of loose tone marks, the tails of descenders, a stray
    stroke or a rule, judged against the crop's main line (``ref``, the band with the most
    ink): about an x-height tall, and either a good share of the main line's ink spread along
    its width, or a short line's dense ink ("đa khoa", one word) with a core (the rows most of
    its ink is in) of about the main line's. Marks are dots and ticks with paper between them,
    or one mark alone, narrow. A short band cut by the crop's top or bottom edge is the end of
    a neighbouring cell's writing."""
    if b.y1 - b.y0 < max(0.75 * min_line, 0.6 * ref.core):
        return False
    if (b.y0 <= 1 or b.y1 >= h - 1) and b.y1 - b.y0 < 0.6 * (ref.y1 - ref.y0):
        return False
    if b.core < 0.45 * ref.core:
        return False
    if b.mass >= 0.25 * ref.mass and b.cover >= 0.5:
        return True
    return b.mass >= 0.03 * ref.mass and b.cover >= 0.6 and b.x1 - b.x0 >= 1.5 * ref.core


def _under(upper: _Band, lower: _Band) -> bool:
    """The lower band is written under the upper one (a wrapped value goes on below its
    start), not beside it (the two halves of a line that drifts off its baseline)."""
    overlap = min(upper.x1, lower.x1) - max(upper.x0, lower.x0)
    return overlap >= 0.3 * max(1.0, min(upper.x1 - upper.x0, lower.x1 - lower.x0))


VALLEY = 1 / 3  # a valley this deep against the lower of its two peaks parts two lines
CORE = 0.45  # ... when the x-height rows on either side are alike (the thinner this share
# of the other's): a row of tone marks over a line is thin beside its letters
CROSSING = 0.35  # ... and at most this share of the ink lies in strokes running through it


def _wider_than_tall(rows: np.ndarray) -> bool:
    """Whether the ink of these rows spreads wider (2nd-98th percentile) than they are tall."""
    x0, x1 = _x_extent(rows)
    return x1 - x0 >= rows.shape[0]


def _valleys(profile: np.ndarray, ink: np.ndarray, a: int, b: int, min_line: int
             ) -> list[tuple[int, int]]:
    """The run of rows [a, b) cut at the deep valleys of its (lightly smoothed) ink
    ``profile``: wrapped lines written so close that no empty row parts them (descenders
    touching the next line's marks) still leave a valley far below the x-height rows on
    either side, and the two sides' x-height rows are alike (a row of tone marks set high
    over its letters is thin beside them). Most of the ink must lie in strokes on one side of
    the valley or the other (``ink``'s connected pieces): a digit's or a capital's thin
    middle ("1", "27", "E") is a valley too, but its strokes run through it. Each piece is at
    least ``min_line`` rows."""
    if b - a < 2 * min_line:
        return [(a, b)]
    p = np.convolve(profile[a:b].astype(float), np.ones(3) / 3, mode="same")
    stats: np.ndarray | None = None
    cuts: list[int] = []
    lo = 0
    for m in range(min_line, len(p) - min_line):
        if m - lo < min_line or not p[m] <= p[m - 1] or not p[m] <= p[m + 1]:
            continue
        # the next line only: up to where the profile falls to this valley's level again
        low = np.flatnonzero(p[m + min_line:] <= p[m])
        left, right = p[lo:m], p[m: m + min_line + int(low[0]) if low.size else len(p)]
        if p[m] > VALLEY * min(float(left.max()), float(right.max())):
            continue
        cl, cr = _core(left), _core(right)
        if min(cl, cr) < CORE * max(cl, cr) or min(cl, cr) < min_line / 3:
            continue
        if not all(_wider_than_tall(ink[a + y0: a + y1])
                   for y0, y1 in ((lo, m), (m, m + len(right)))):
            continue  # a line of writing is; a digit "1" is not
        if stats is None:
            stats = cv2.connectedComponentsWithStats(np.ascontiguousarray(ink[a:b]),
                                                     connectivity=8)[2][1:]
        top = stats[:, cv2.CC_STAT_TOP]
        bottom = top + stats[:, cv2.CC_STAT_HEIGHT]
        area = stats[:, cv2.CC_STAT_AREA].astype(float)
        across = (top < m - 1) & (bottom > m + 2)
        if area[across].sum() > CROSSING * area.sum():
            continue
        cuts.append(m)
        lo = m
    edges = [0, *cuts, len(p)]
    return [(a + edges[i], a + edges[i + 1]) for i in range(len(edges) - 1)]


# values never written on two lines: a register number, a year (a digit's thin middle, the
# 2's and 7's bars over a thin stroke in "27", is a valley too, and a "1"'s stem broken by
# the binarisation an empty row; rules-s25.md rules 11 and 13)
ONE_LINE_KINDS = frozenset({"number", "year", "sex"})  # sex: rules-s27.md rule 23


def wraps(kind: object) -> bool:
    """Whether a field of ``kind`` (a ``FieldKind`` or its name; None: unknown) may be
    written on several lines, so that its crop is cut into them."""
    return str(kind) not in ONE_LINE_KINDS


def field_line_bands(grey: np.ndarray, kind: object = None) -> list[tuple[int, int]]:
    """The text line bands of a field of ``kind``'s crop: a value never written on two lines
    (:func:`wraps`: a number, a year) is one band, whatever gaps its strokes leave (a "1"'s
    thin stem broken by the binarisation); any other is cut by :func:`text_line_bands`."""
    if not wraps(kind):
        return [(0, grey.shape[0])]
    return text_line_bands(grey)


def text_line_bands(grey: np.ndarray, min_line: int = 8) -> list[tuple[int, int]]:
    """Row ranges [y0, y1) of the text lines in a grey field crop, top to bottom.

    Bands are runs of rows holding writing, split only by (almost) empty rows across the
    whole width (rules and specks of noise taken out first: :func:`_writing`). A band that
    is not a line of writing (:func:`_is_line`: loose tone marks far above their letters,
    descender tails, a stray stroke) is folded into its nearest line, the one below when the
    gaps are alike (marks sit above their letters). Two lines stay apart when one is written
    under the other (:func:`_under`) and the crop is tall enough for them (no line taller than
    70 % of it); the cuts fall on the emptiest row of each gap. A crop with one line (or no
    ink) gives one range covering the whole crop. Where lines touch, a run of rows is cut at
    the valleys between them (:func:`_valleys`).
    """
    h = grey.shape[0]
    whole = [(0, h)]
    if h < 3 * min_line or grey.size == 0:  # no room for two lines and the gap between
        return whole
    if grey.max() - grey.min() < 40:  # no contrast: paper only
        return whole
    ink = _writing(_ink(grey))
    raw = ink.sum(axis=1).astype(float)
    if raw.max() <= 0:
        return whole
    # a row is empty when it holds at most 1 % of the width in ink (a stray stroke crossing
    # the gap), not counting the crop's outer columns (a piece of the cell's border)
    edge = max(2, min(8, int(0.04 * ink.shape[1])))
    inner = ink[:, edge:-edge].sum(axis=1).astype(float) if ink.shape[1] > 4 * edge else raw
    runs = [piece for a, b in _bands(inner, max(1.0, 0.01 * ink.shape[1]))
            for piece in _valleys(inner, ink, a, b, min_line)]
    bands = [_Band.of(ink, a, b) for a, b in runs]
    if len(bands) < 2:
        return whole
    ref = max(bands, key=lambda b: b.mass)  # the main line of writing
    lines = [_is_line(b, ref, min_line, h) for b in bands]
    while not all(lines):  # fold marks, tails and strays into their nearest line
        i = lines.index(False)
        gap_up = bands[i].y0 - bands[i - 1].y1 if i > 0 else 1 << 30
        gap_down = bands[i + 1].y0 - bands[i].y1 if i + 1 < len(bands) else 1 << 30
        j = i - 1 if 2 * gap_up < gap_down else i + 1  # marks sit above their letters
        if j >= len(bands):
            j = i - 1
        lo, hi = min(i, j), max(i, j)
        keep = lines[j]
        bands[lo:hi + 1] = [_Band.of(ink, bands[lo].y0, bands[hi].y1)]
        lines[lo:hi + 1] = [keep or _is_line(bands[lo], ref, min_line, h)]
        if len(bands) == 1:
            return whole
    i = 0
    while i + 1 < len(bands):  # keep two lines apart only when one is under the other
        if _under(bands[i], bands[i + 1]):
            i += 1
        else:
            bands[i:i + 2] = [_Band.of(ink, bands[i].y0, bands[i + 1].y1)]
    if len(bands) < 2 or max(b.y1 - b.y0 for b in bands) > 0.7 * h:
        return whole
    cuts = [0]
    for up, down in zip(bands, bands[1:], strict=False):
        gap = raw[up.y1:down.y0]
        if not gap.size:  # lines that touch: cut where the valley split them
            cuts.append(up.y1)
            continue
        low = np.flatnonzero(gap <= gap.min())
        cuts.append(up.y1 + int(low[len(low) // 2]))
    cuts.append(h)
    return [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)]
