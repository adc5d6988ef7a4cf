"""Strongly slanted writing made upright before the network reads it.

The line recogniser was trained on hands slanted from -15 to 36 degrees, yet reads a hand
slanted 35 degrees at 22-25 % greedy CER where the same texts and writers written upright read
at 18 % (benchmarks/htr_writer_factors.py, training-side validation writers). Real clerks'
hands lean by their own angle, so a line whose writing leans far from upright is sheared back
before reading.

The slant is read from the prepared input itself (ink ~1 on 0, the network's height): the
weighted median direction of the near-vertical stroke edges (Sobel gradients mostly
horizontal; the direction of an edge is dx/dy = gy/gx along it). That window around upright
cuts off the strokes of a hand leaning more than ~34 degrees, so the reading is repeated on
the crop sheared by what was read so far. Lines whose slant lies within ``KEEP_WITHIN_DEG``
of ``TARGET_DEG`` (the network's comfortable lean) are left exactly as they are, so upright
print and ordinary hands are never resampled. Chosen on training-side validation writers
only (seeds 900,000-999,999; docs/htr.md "Deslanting strongly slanted lines").
"""

from __future__ import annotations

import math

import numpy as np

GAIN = 1.0  # each pass's median edge direction x this
TARGET_DEG = 8.0  # the lean lines are sheared to
KEEP_WITHIN_DEG = 15.0  # |slant - TARGET| at most this: the line is left as it is
_T_MAX = 1 / 1.5  # the edge directions kept lie within +-this
_BINS = 256
PASSES = 3  # readings of the slant, each on the crop sheared by the ones before
MIN_EDGE_PIXELS = 20  # fewer near-vertical edge pixels: no slant is read


def _edge_slant(a: np.ndarray) -> float | None:
    """The weighted median direction (dx/dy) of ``a``'s near-vertical stroke edges."""
    import cv2

    gx = cv2.Sobel(a, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(a, cv2.CV_32F, 0, 1, ksize=3)
    mag2 = gx * gx + gy * gy
    top = float(mag2.max())
    if top <= 0.0:
        return None
    # edges of near-vertical strokes: the gradient mostly across (|gx| > 1.5 |gy|), at
    # least 0.3 of the strongest edge's magnitude
    sel = (mag2 > 0.09 * top) & (np.abs(gx) > 1.5 * np.abs(gy))
    n = int(np.count_nonzero(sel))
    if n < MIN_EDGE_PIXELS:
        return None
    t = gy[sel] / gx[sel]  # within +-1/1.5
    w = np.sqrt(mag2[sel])
    # the weighted median from a fine histogram of the directions (bins of 0.005)
    bins = np.clip(((t + _T_MAX) * (_BINS / (2 * _T_MAX))).astype(np.intp), 0, _BINS - 1)
    cum = np.cumsum(np.bincount(bins, weights=w, minlength=_BINS))
    k = int(np.searchsorted(cum, cum[-1] / 2))
    med = (k + 0.5) * (2 * _T_MAX / _BINS) - _T_MAX
    return med


def estimate_slant(ink: np.ndarray) -> float | None:
    """The writing's slant as a shear (tan of the lean; + leans right) from a prepared crop
    (float, ink ~1 on 0), or None when it has too few near-vertical strokes to tell. The edge
    window around upright cuts off the strokes of a strongly slanted hand, so the reading is
    repeated on the crop sheared by what was read so far (shears add up)."""
    a = np.asarray(ink, np.float32)
    if a.ndim != 2 or min(a.shape) < 3:
        return None
    total = 0.0
    for i in range(PASSES):
        s = _edge_slant(shear(a, total) if i else a)
        if s is None:
            return None if i == 0 else total
        total += s * GAIN
        if abs(s) < 0.02:
            break
    return total


def shear(ink: np.ndarray, s: float) -> np.ndarray:
    """``ink`` sheared by ``s`` about its middle row (a point ``d`` rows below the middle
    moves ``s * d`` to the right: a hand leaning right by tan = s stands upright); padded
    on both sides so nothing is cut off, paper (0) filled in."""
    import cv2

    h, w = ink.shape
    yc = (h - 1) / 2
    pad = int(math.ceil(abs(s) * h / 2)) + 1
    m = np.array([[1.0, s, -s * yc + pad], [0.0, 1.0, 0.0]], dtype=np.float32)
    return cv2.warpAffine(np.asarray(ink, np.float32), m, (w + 2 * pad, h),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=0)


def deslant(ink: np.ndarray) -> np.ndarray:
    """``ink`` sheared to lean ``TARGET_DEG`` when its slant is further than
    ``KEEP_WITHIN_DEG`` from that; otherwise the same array."""
    s = estimate_slant(ink)
    if s is None:
        return ink
    lean = math.degrees(math.atan(s))
    if abs(lean - TARGET_DEG) <= KEEP_WITHIN_DEG:
        return ink
    return shear(ink, s - math.tan(math.radians(TARGET_DEG)))

