"""Whole line images reshaped as hands and cameras reshape them, for benchmarks and tests of
the line reading (``benchmarks/bench_lines.py --bend``): bent along a curve (written freely
on unlined paper, a notebook page's curve in a photo). Written wider: ``ocr.htr.stretch_width``."""

from __future__ import annotations

import cv2
import numpy as np

BENDS = ((0.15, 1), (0.3, 1), (0.15, 2), (0.3, 2))  # (x the line's height, half waves)


def bent(image: np.ndarray, amp: float, half_waves: int) -> np.ndarray:
    """A grey line image bent along a sine: each column moved down by ``amp`` x the image's
    height x sin(pi x half_waves x column / width), paper (the median grey) added above and
    below."""
    h, w = image.shape[:2]
    pad = int(amp * h) + 2
    paper = int(np.median(image))
    big = cv2.copyMakeBorder(image, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=paper)
    xs = np.arange(w, dtype=np.float32)
    shift = (amp * h * np.sin(np.pi * half_waves * xs / w)).astype(np.float32)
    mapx = np.broadcast_to(xs, (big.shape[0], w)).copy()
    mapy = np.arange(big.shape[0], dtype=np.float32)[:, None] - shift[None, :]
    return cv2.remap(big, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                     borderValue=paper)

