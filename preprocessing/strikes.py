"""Ink components of a cell and the long diagonal strokes a clerk draws through unused rows
(a struck row is reported, not returned as an entry)."""

from __future__ import annotations

import cv2
import numpy as np


def components(clean: np.ndarray, box: tuple[int, int, int, int],
                min_comp: int) -> np.ndarray:
    """Ink components inside a box as rows (x0, y0, x1, y1, area, cy) in page pixels."""
    x0, y0, x1, y1 = box
    roi = clean[y0:y1, x0:x1]
    if roi.size == 0:
        return np.zeros((0, 6))
    n, _, stats, cents = cv2.connectedComponentsWithStats(roi, connectivity=8)
    if n <= 1:
        return np.zeros((0, 6))
    st = stats[1:].astype(np.float64)
    keep = st[:, cv2.CC_STAT_AREA] >= min_comp
    st, cy = st[keep], cents[1:, 1][keep]
    return np.stack([
        st[:, 0] + x0, st[:, 1] + y0, st[:, 0] + st[:, 2] + x0, st[:, 1] + st[:, 3] + y0,
        st[:, cv2.CC_STAT_AREA], cy + y0,
    ], axis=1)


def find_strikes(clean: np.ndarray, body: tuple[int, int, int, int],
                 he: float) -> list[tuple[float, float, float, float]]:
    """Long diagonal pen strokes across the table body (x0, y0, x1, y1), e.g. the one line a
    clerk draws through unused rows. Text never makes a straight stroke that long and steep."""
    x0, y0, x1, y1 = body
    roi = clean[y0:y1, x0:x1]
    if roi.size == 0 or roi.shape[1] < 40:
        return []
    half = cv2.resize(roi, (roi.shape[1] // 2, max(1, roi.shape[0] // 2)),
                      interpolation=cv2.INTER_AREA)
    half = (half > 60).astype(np.uint8) * 255
    w = half.shape[1]
    segs = cv2.HoughLinesP(half, 1, np.pi / 360, threshold=max(20, int(0.12 * w)),
                           minLineLength=int(0.2 * w), maxLineGap=max(6, int(0.03 * w)))
    near = cv2.dilate(half, np.ones((3, 3), np.uint8))
    groups: list[list[np.ndarray]] = []
    for seg in (segs.reshape(-1, 4).astype(np.float64) if segs is not None else []):
        sx0, sy0, sx1, sy1 = seg
        if sx1 == sx0 or not 0.5 <= abs(np.degrees(np.arctan2(sy1 - sy0, sx1 - sx0))) <= 60:
            continue
        slope = (sy1 - sy0) / (sx1 - sx0)
        for g in groups:  # Hough returns one long stroke as several pieces of one line
            gx0, gy0, gx1, gy1 = g[0]
            gs = (gy1 - gy0) / (gx1 - gx0)
            if abs(gs - slope) < 0.012 and abs(gy0 + gs * (sx0 - gx0) - sy0) < 4:
                g.append(seg)
                break
        else:
            groups.append([seg])
    out: list[tuple[float, float, float, float]] = []
    for g in groups:
        pts = np.array([[s[0], s[1]] for s in g] + [[s[2], s[3]] for s in g])
        slope, icpt = np.polyfit(pts[:, 0], pts[:, 1], 1)
        ax, bx = float(pts[:, 0].min()), float(pts[:, 0].max())
        dx, dy = (bx - ax) * 2.0, abs(slope) * (bx - ax) * 2.0
        if dx < 0.4 * (x1 - x0) or dy < 0.3 * he:  # a short row makes a shallow stroke
            continue
        # a pen stroke is continuous; a "line" Hough threads through words has gaps
        px = np.arange(int(ax), int(bx) + 1)
        py = np.clip(np.round(icpt + slope * px).astype(int), 0, half.shape[0] - 1)
        if np.count_nonzero(near[py, px]) < 0.85 * len(px):
            continue
        out.append((ax * 2.0 + x0, (icpt + slope * ax) * 2.0 + y0,
                    bx * 2.0 + x0, (icpt + slope * bx) * 2.0 + y0))
    return out


def crosses(strikes: list[tuple[float, float, float, float]], y0: float, y1: float) -> bool:
    """A stroke runs through at least half of this row's height."""
    for _x0, sy0, _x1, sy1 in strikes:
        lo, hi = min(sy0, sy1), max(sy0, sy1)
        if min(hi, y1) - max(lo, y0) >= 0.5 * (y1 - y0):
            return True
    return False
