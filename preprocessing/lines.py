"""Handwritten lines inside one field crop: a long value wrapped in its cell (a place written
on three lines, "Việt / Nam") is cut into line images for line recognisers."""

from __future__ import annotations

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


def _two_lines(ink: np.ndarray, upper: list[int], lower: list[int], raw: np.ndarray,
               min_line: int) -> bool:
    """Clear evidence that two bands are two lines of writing, not one line that drifts,
    leans or carries tall marks: an (almost) empty row across the whole width between them,
    both bands tall enough, and the lower one written under the upper one (a wrapped value
    goes on below its start; the two halves of a drifting line sit side by side)."""
    gap = raw[upper[1]: lower[0]]
    if gap.size == 0 or float(gap.min()) > max(1.0, 0.01 * ink.shape[1]):
        return False
    hu, hl = upper[1] - upper[0], lower[1] - lower[0]
    if min(hu, hl) < max(min_line, 0.5 * max(hu, hl)):
        return False
    a0, a1 = _x_extent(ink[upper[0]: upper[1]])
    b0, b1 = _x_extent(ink[lower[0]: lower[1]])
    overlap = min(a1, b1) - max(a0, b0)
    return overlap >= 0.3 * max(1.0, min(a1 - a0, b1 - b0))


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


def text_line_bands(grey: np.ndarray, min_line: int = 8) -> list[tuple[int, int]]:
    """Row ranges [y0, y1) of the text lines in a grey field crop, top to bottom.

    Ink rows are found on a horizontal projection; small bands (tone marks above a line, the
    tail of a descender) are merged into the nearest line. Two neighbouring bands stay apart
    only on clear evidence of two lines (:func:`_two_lines`: an empty row across the whole
    width, both tall enough, one under the other) and when the crop is tall enough for them
    (no line taller than 70 % of it); the cuts fall on the emptiest row of each gap. A crop
    with one line (or no ink) gives one range covering the whole crop.
    """
    h = grey.shape[0]
    whole = [(0, h)]
    if h < 2 * min_line or grey.size == 0:
        return whole
    if grey.max() - grey.min() < 40:  # no contrast: paper only
        return whole
    ink = _ink(grey)
    raw = ink.sum(axis=1).astype(float)
    k = max(1, h // 60)
    profile = np.convolve(raw, np.ones(k) / k, mode="same")
    if profile.max() <= 0:
        return whole
    # a gap between handwritten lines still holds some ink (descenders, stray marks, a stamp):
    # rows under a tenth of the densest rows' ink count as gap. A fifth dropped a short middle
    # line of a wrapped place ("da khoa") when a ruling remnant or a long line set the scale:
    # its rows fell in with the gaps, the bands merged and the cell was read as one line
    bands = _bands(profile, 0.1 * float(np.percentile(profile, 95)))
    if len(bands) < 2:
        return whole
    tall = max(b[1] - b[0] for b in bands)
    merged = True
    while merged and len(bands) > 1:  # fold marks and tails into their line
        merged = False
        for i, (a, b) in enumerate(bands):
            if b - a >= max(min_line, 0.45 * tall):
                continue
            gap_up = a - bands[i - 1][1] if i > 0 else 1 << 30
            gap_down = bands[i + 1][0] - b if i + 1 < len(bands) else 1 << 30
            j = i - 1 if gap_up < gap_down else i + 1  # ties go down: marks sit above letters
            lo, hi = min(i, j), max(i, j)
            bands[lo:hi + 1] = [[bands[lo][0], bands[hi][1]]]
            merged = True
            break
    i = 0
    while i + 1 < len(bands):  # keep two bands apart only on clear evidence
        if _two_lines(ink, bands[i], bands[i + 1], raw, min_line):
            i += 1
        else:
            bands[i:i + 2] = [[bands[i][0], bands[i + 1][1]]]
    if len(bands) < 2 or max(b - a for a, b in bands) > 0.7 * h:
        return whole
    cuts = [0]
    for (_, e), (s2, _) in zip(bands, bands[1:], strict=False):
        gap = raw[e:s2]
        low = np.flatnonzero(gap <= gap.min())
        cuts.append(e + int(low[len(low) // 2]))
    cuts.append(h)
    return [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)]
