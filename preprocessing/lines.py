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


def text_line_bands(grey: np.ndarray, min_line: int = 8) -> list[tuple[int, int]]:
    """Row ranges [y0, y1) of the text lines in a grey field crop, top to bottom.

    Ink rows are found on a horizontal projection; small bands (tone marks above a line, the
    tail of a descender) are merged into the nearest line; the cuts fall in the middle of the
    gaps. A crop with one line (or no ink) gives one range covering the whole crop.
    """
    h = grey.shape[0]
    whole = [(0, h)]
    if h < 2 * min_line or grey.size == 0:
        return whole
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if grey.max() - grey.min() < 40:  # no contrast: paper only
        return whole
    profile = ink.sum(axis=1).astype(float)
    k = max(1, h // 60)
    profile = np.convolve(profile, np.ones(k) / k, mode="same")
    if profile.max() <= 0:
        return whole
    # a gap between handwritten lines still holds some ink (descenders, stray marks, a stamp):
    # rows under a fifth of a typical line's ink count as gap
    bands = _bands(profile, 0.2 * float(np.percentile(profile, 95)))
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
    if len(bands) < 2:
        return whole
    cuts = [0] + [(bands[i][1] + bands[i + 1][0]) // 2 for i in range(len(bands) - 1)] + [h]
    return [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)]
