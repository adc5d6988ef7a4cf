"""Does a stored field crop hold handwriting? Used to flag a cell whose prefill came back empty
although something is written there (a silent blank: the clerk must type it or mark it
illegible, and the approver's report lists it).

Segmentation crops a written cell tight around its ink and an empty cell from wall to wall,
so an empty cell's crop shows ruling fragments along its edges, grain and the odd speck. We
count ink strokes away from the edges: strokes darker than the local paper by a margin, not
thin lines, not solid blobs. Calibrated on the demo book (every empty crop: 0 strokes; every
written crop read as empty: 5-14 strokes, 0.9-5.6 % of the area).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

MIN_STROKES = 2
MIN_SHARE = 0.004


def ink_strokes(grey: object) -> tuple[int, float]:
    """(strokes away from the edges, their share of the crop's area) of a grey uint8 image."""
    import cv2
    import numpy as np

    g = np.asarray(grey)
    h, w = g.shape[:2]
    if h < 6 or w < 6:
        return 0, 0.0
    g = cv2.GaussianBlur(g, (3, 3), 0)
    paper = cv2.medianBlur(cv2.dilate(g, np.ones((7, 7), np.uint8)),
                           min(51, max(15, (min(h, w) // 2) | 1)))
    mask = (cv2.subtract(paper, g) > 28).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, 8)
    strokes, area = 0, 0
    for i in range(1, n):
        x, y, cw, ch, a = (int(v) for v in stats[i])
        if a < 12:
            continue  # speck
        if min(cw, ch) <= 4 and max(cw, ch) >= 4 * min(cw, ch):
            continue  # a piece of ruling
        if a > 0.6 * cw * ch and min(cw, ch) > 6:
            continue  # a solid blot or stain
        if x < 0.06 * w or x + cw > 0.94 * w or y < 0.12 * h or y + ch > 0.88 * h:
            continue  # at the cell's walls
        strokes += 1
        area += a
    return strokes, area / float(h * w)


@lru_cache(maxsize=4096)
def _cached(path: str, mtime: float) -> bool:
    import cv2

    grey = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if grey is None:
        log.warning("field crop %s could not be read", path)
        return False
    strokes, share = ink_strokes(grey)
    return strokes >= MIN_STROKES and share >= MIN_SHARE


def has_ink(path: str | Path | None) -> bool:
    """Whether the crop file at ``path`` holds handwriting (False when there is no file)."""
    if not path:
        return False
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        return False
    return _cached(str(p), mtime)
