"""Skew estimation and correction.

The skew is the angle at which the projection profile of the ink is sharpest: ruling lines and
handwritten text lines both pile up into narrow peaks only when they are level. Because ruled
tables have lines in both directions, the estimate works the same on pages turned by quarter
turns; the quarter turn itself is found by :mod:`preprocessing.orientation`.
"""

from __future__ import annotations

import logging

import numpy as np

from preprocessing.clean import binarize, normalize_background, to_grey
from preprocessing.geometry import upright_transform, warp

log = logging.getLogger(__name__)

MAX_SKEW = 10.0


def _sharpness(xs: np.ndarray, ys: np.ndarray, angles: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(len(angles))
    for i, a in enumerate(np.radians(angles)):
        proj = (xs * np.sin(a) + ys * np.cos(a)).astype(np.int64) + size
        counts = np.bincount(proj, minlength=2 * size + 1).astype(np.float64)
        out[i] = float(np.dot(counts, counts))
    return out


def _refine(
    xs: np.ndarray, ys: np.ndarray, center: float, half: float, step: float, size: int
) -> float:
    angles = np.arange(center - half, center + half + step / 2, step)
    s = _sharpness(xs, ys, angles, size)
    i = int(np.argmax(s))
    if 0 < i < len(s) - 1:
        den = s[i - 1] - 2 * s[i] + s[i + 1]
        if den < 0:
            return float(angles[i] + step * 0.5 * (s[i - 1] - s[i + 1]) / den)
    return float(angles[i])


def estimate_skew(ink: np.ndarray, max_angle: float = MAX_SKEW, max_points: int = 100_000) -> float:
    """Skew of a binary ink image in degrees (content turned counter-clockwise is positive)."""
    ys, xs = np.nonzero(ink)
    if len(xs) < 50:
        return 0.0
    if len(xs) > max_points:
        idx = np.random.default_rng(0).choice(len(xs), max_points, replace=False)
        xs, ys = xs[idx], ys[idx]
    xs = xs.astype(np.float64) - ink.shape[1] / 2.0
    ys = ys.astype(np.float64) - ink.shape[0] / 2.0
    size = int(np.hypot(*ink.shape)) + 2
    coarse = _refine(xs, ys, 0.0, max_angle, 0.5, size)
    mid = _refine(xs, ys, coarse, 0.75, 0.1, size)
    fine = _refine(xs, ys, mid, 0.15, 0.02, size)
    return float(np.clip(fine, -max_angle, max_angle))


def deskew(image: np.ndarray, max_angle: float = MAX_SKEW) -> tuple[np.ndarray, float]:
    """Straighten a page; returns the straightened image (same kind as the input, canvas grown
    so nothing is cut off, padding white) and the skew angle that was removed."""
    grey = to_grey(image)
    h, w = grey.shape
    s = min(1.0, 1600.0 / max(h, w))
    small = grey if s == 1.0 else _resize(grey, s)
    ink = binarize(normalize_background(small))
    angle = estimate_skew(ink, max_angle)
    m, size = upright_transform(w, h, angle, 0)
    return warp(image, m, size), angle


def _resize(grey: np.ndarray, s: float) -> np.ndarray:
    import cv2

    h, w = grey.shape
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
