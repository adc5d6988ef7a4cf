"""Ruled paper under a handwritten line: a notebook's horizontal lines (the writing sits on
one, more or less) or a Vietnamese school's squared "ô ly" paper (a fine line every half
x-height, a stronger one every four, verticals every four squares), printed light under the
ink, straight or a little off the writing's angle.

``rule(grey, cov, style, rng)`` -> the grey line image (dark ink on light paper) with the
ruling under its ink; ``cov`` is the ink coverage the grey was made from (it places the
lines: the writing's densest rows are its x-height band).
"""

from __future__ import annotations

import cv2
import numpy as np

STYLES = ("plain", "lined", "grid")


def _band(cov: np.ndarray) -> tuple[int, int]:
    """The rows of the writing's x-height band: rows holding half the densest row's ink."""
    prof = np.count_nonzero(cov > 0.3, axis=1)
    if prof.max() == 0:
        h = cov.shape[0]
        return h // 3, 2 * h // 3
    rows = np.flatnonzero(prof >= 0.5 * prof.max())
    return int(rows[0]), int(rows[-1])


def rule(grey: np.ndarray, cov: np.ndarray, style: str, rng: np.random.Generator) -> np.ndarray:
    """``grey`` (uint8, the ink already on it) with ``style``'s ruling printed under the ink
    (the darker of the two wins); ``"plain"`` returns it as it is."""
    if style not in STYLES:
        raise ValueError(f"ruling style {style!r}: one of {', '.join(STYLES)}")
    if style == "plain":
        return grey
    h, w = grey.shape
    y0, y1 = _band(cov)
    xh = max(4.0, float(y1 - y0))
    layer = np.full((h, w), 255, np.uint8)
    tone = int(rng.integers(140, 215))
    tilt = float(rng.uniform(-0.01, 0.01)) * w
    if style == "lined":
        pitch = xh * float(rng.uniform(2.2, 3.2))
        base = y1 + float(rng.uniform(-0.1, 0.25)) * xh
        for k in range(-3, 4):
            y = base + k * pitch
            cv2.line(layer, (0, int(y)), (w, int(y + tilt)), tone, int(rng.integers(1, 3)),
                     cv2.LINE_AA)
    else:  # ô ly: fine lines every half x-height, a stronger one every four, verticals
        step = xh / 2 * float(rng.uniform(0.85, 1.15))
        off = y1 + float(rng.uniform(-0.2, 0.2)) * step
        for k in range(-12, 12):
            y = off + k * step
            cv2.line(layer, (0, int(y)), (w, int(y + tilt)),
                     tone if k % 4 == 0 else min(245, tone + 25), 1, cv2.LINE_AA)
        for x in np.arange(float(rng.uniform(0, 4 * step)), w, 4 * step):
            cv2.line(layer, (int(x), 0), (int(x - tilt * 0.1), h), tone, 1, cv2.LINE_AA)
    return np.minimum(grey, layer)
