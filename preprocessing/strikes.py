"""Ink components of a cell and the long diagonal strokes a clerk draws through unused rows
(a struck row is reported, not returned as an entry)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

THIN = 4  # px at half scale: the most a pen stroke's ink runs across its path
THIN_SHARE = 0.65  # share of a stroke's length where its ink is that thin


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


def off_ruling(comps: np.ndarray, cell: tuple[int, int, int, int]) -> np.ndarray:
    """Drop what a hand-drawn ruling line leaves beside its traced path: slivers at most two
    pixels thick, running along the cell's side (or top or bottom) close to it; and a thin
    stroke through the cell's whole height (a column line the grid did not find)."""
    if len(comps) == 0:
        return comps
    w = comps[:, 2] - comps[:, 0]
    h = comps[:, 3] - comps[:, 1]
    x0, y0, x1, y1 = cell
    side = (w <= 2) & (h >= 4 * w) & ((comps[:, 0] - x0 <= 4) | (x1 - comps[:, 2] <= 4))
    edge = (h <= 2) & (w >= 4 * h) & ((comps[:, 1] - y0 <= 4) | (y1 - comps[:, 3] <= 4))
    # a column line drawn where none was found (or off its place) runs through the cell from
    # top to bottom, thin: no handwriting is that tall in one row
    through = (h >= 0.75 * (y1 - y0)) & (h >= 6 * w)
    return comps[~(side | edge | through)]


def find_strikes(clean: np.ndarray, body: tuple[int, int, int, int], he: float,
                 ruling: np.ndarray | None = None) -> list[tuple[float, float, float, float]]:
    """Long diagonal pen strokes across the table body (x0, y0, x1, y1), e.g. the one line a
    clerk draws through unused rows. Text never makes a straight stroke that long and steep.
    ``ruling``: the mask of the ruling taken out of ``clean``, where a stroke's ink was taken
    out with it (a shallow stroke crossing a row line loses a long piece there): those
    stretches of its path count neither for nor against it."""
    x0, y0, x1, y1 = body
    roi = clean[y0:y1, x0:x1]
    if roi.size == 0 or roi.shape[1] < 40:
        return []
    size = (roi.shape[1] // 2, max(1, roi.shape[0] // 2))
    half = cv2.resize(roi, size, interpolation=cv2.INTER_AREA)
    half = (half > 60).astype(np.uint8) * 255
    hidden = None
    if ruling is not None:
        gone = cv2.resize(ruling[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA) > 60
        hidden = cv2.dilate(gone.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
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
        # a short row makes a shallow stroke: 0.3 rows down, or 0.15 over most of the
        # table's width (a stroke through a row of 0.6 of the usual height, 2 mm in from its
        # top and bottom; a row line drawn askew is told from it by crosses_row)
        if dx < 0.4 * (x1 - x0) or dy < (0.15 if dx >= 0.6 * (x1 - x0) else 0.3) * he:
            continue
        # a pen stroke is continuous; a "line" Hough threads through words has gaps
        px = np.arange(int(ax), int(bx) + 1)
        py = np.clip(np.round(icpt + slope * px).astype(int), 0, half.shape[0] - 1)
        on = near[py, px] > 0
        seen = ~hidden[py, px] | on if hidden is not None else np.ones(len(px), bool)
        if seen.sum() < 0.5 * len(px) or on.sum() < 0.85 * seen.sum():
            continue
        if thin_share(half, py[seen], px[seen]) < THIN_SHARE:
            continue
        # Hough may keep only the middle of the stroke: follow its ink on to both ends
        (ax, ay), (bx, by) = _follow(near, slope, icpt, ax, -1), _follow(near, slope, icpt, bx, 1)
        out.append((ax * 2.0 + x0, ay * 2.0 + y0, bx * 2.0 + x0, by * 2.0 + y0))
    return out


def thin_share(img: np.ndarray, py: np.ndarray, px: np.ndarray, thin: int = THIN,
               reach: int = 1) -> float:
    """Share of the positions (px, py) where the ink on the line (within ``reach`` px) is a
    thin run across it (at most ``thin`` px tall): a pen stroke crosses paper and, here and
    there, a word; a "line" Hough threads through a row of words slightly askew (kh-2006
    731011: a row whose line was missing, its words aligned at 2.3 degrees) meets the
    letters' stems and bowls, which run taller. Strokes through rows measured 0.74 or more on
    training pages (at half scale, ``THIN``), that row of words 0.54. Also a ruling line's
    path through printed labels (``header.group_line``)."""
    h = img.shape[0]
    offsets = [0] + [d for r in range(1, reach + 1) for d in (-r, r)]
    count = 0
    for x, y in zip(px.tolist(), py.tolist(), strict=True):
        col = img[:, x] > 0
        on = [yy for yy in (y + d for d in offsets) if 0 <= yy < h and col[yy]]
        if not on:
            continue
        a = b = on[0]
        while a > 0 and col[a - 1] and b - a < thin:
            a -= 1
        while b < h - 1 and col[b + 1] and b - a < thin:
            b += 1
        count += b - a + 1 <= thin
    return count / max(1, len(px))


def _follow(near: np.ndarray, slope: float, icpt: float, x: float,
            step: int) -> tuple[float, float]:
    """The last point (x, y), going from ``x`` in direction ``step`` along the stroke y =
    slope x + icpt, where it still has ink: the path follows the ink within 2 px (a hand-drawn
    stroke bends a little) and crosses gaps where ruling was removed (a row line's band is a
    long gap along a shallow stroke). Past a gap the stroke may go on a few pixels off its
    line: a shallow stroke along a removed row line keeps only its edge beside the line's
    band there, a step of 3-4 px where the band ends (hand-photo ks-2006 691018: the stroke's
    first part lost, and the blank row it crosses taken for an entry)."""
    h, w = near.shape
    gap = int(min(60.0, max(6.0, 6.0 / max(abs(slope), 1e-3))))
    xi = int(round(x))
    y = icpt + slope * xi
    last = (float(xi), float(y))
    miss = 0
    while 0 <= xi + step < w and miss <= gap:
        xi += step
        y += slope * step
        yi = int(round(y))
        if yi < 2 or yi >= h - 2:
            break
        r = 2 + min(3, miss)  # past a gap, a step of a few pixels (see the docstring)
        lo = max(0, yi - r)
        hit = np.nonzero(near[lo:yi + r + 1, xi])[0]
        if len(hit):
            y = lo + float(hit[np.argmin(np.abs(hit + lo - yi))])
            last, miss = (float(xi), y), 0
        else:
            miss += 1
    return last


def crosses_row(strikes: list[tuple[float, float, float, float]], top: Callable[[float], float],
                bottom: Callable[[float], float], share: float = 0.5) -> bool:
    """A stroke runs through at least ``share`` of this row's height, measured between the
    row's edges where the stroke passes (``top`` and ``bottom``: their y at an x), so a table
    drawn askew does not make a row line the grid missed, nearly parallel to the edges, a
    stroke "through" the row (hand-drawn lines fan out by a degree: a shallow stroke through
    a row written by mistake cannot be told from one by its angle alone). With ``share`` 0.5
    a stroke through 0.4 of the row whose middle passes through the row's middle band (0.2-0.8
    of its height) counts too: the one line a clerk draws through a short row from near its
    top to near its bottom, as found (its ends fade into the ruling), crossed 0.47 of it; a
    row line the grid missed lies at a row's edge, not across its middle. A stroke wholly
    inside the row with its middle in the row's middle (0.3-0.7) needs to cross 0.3 of it:
    a written row struck out by a shallow line whose ends the ruling hides (hand-photo
    kt-2006 691019: 0.32-0.70)."""
    for sx0, sy0, sx1, sy1 in strikes:
        t = np.linspace(0.0, 1.0, 65)
        xs, ys = sx0 + t * (sx1 - sx0), sy0 + t * (sy1 - sy0)
        tops = np.array([top(x) for x in xs])
        h = np.maximum(1.0, np.array([bottom(x) for x in xs]) - tops)
        v = (ys - tops) / h
        on = (v >= 0.0) & (v <= 1.0)
        inside = v[on]
        if len(inside) < 2:
            continue
        span = float(inside.max() - inside.min())
        if span >= share:
            return True
        mid = v[np.nonzero(on)[0][len(inside) // 2]]  # the middle of its part in this row
        if share >= 0.5 and span >= 0.4 and 0.2 <= mid <= 0.8 and on.mean() >= 0.6:
            return True
        # wholly inside the row, its middle at the row's: a written row struck out by one
        # shallow line from near its top to near its bottom, found over 0.38 of it
        if share >= 0.5 and span >= 0.3 and 0.3 <= mid <= 0.7 and on.all():
            return True
    return False


def writing_side(ink: np.ndarray, strikes: list[tuple[float, float, float, float]],
                 quad: tuple[tuple[float, float], ...], gap: float, min_area: int,
                 written: list[tuple[float, float, float, float]],
                 min_fields: int = 3) -> str | None:
    """"above" or "below" when the writing of the row ``quad`` lies on that side of every
    stroke in ``strikes`` (those crossing the row): the centres of its written fields' ink
    boxes (``written``, at least ``min_fields`` of them: an entry holds many values, pieces
    of a stroke or of a ruling line make one or two cells look written) all on that side, and
    fewer than ``min_area`` ink pixels of ``ink`` on the other (counting only pixels more than
    ``gap`` px from the stroke's line); else None. A stroke that strikes a written entry out
    runs through its writing; one with all the row's writing on one side runs through blank
    rows joined to the entry (a missing row line)."""
    import cv2

    if len(written) < min_fields or not strikes:
        return None
    pts = np.array(quad, np.float32)
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(ink.shape[1], x1 + 1), min(ink.shape[0], y1 + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(inside, np.round(pts - (x0, y0)).astype(np.int32), 1)
    ys, xs = np.nonzero((ink[y0:y1, x0:x1] > 0) & (inside > 0))
    cx = np.array([0.5 * (b[0] + b[2]) for b in written])
    cy = np.array([0.5 * (b[1] + b[3]) for b in written])
    sides = set()
    for sx0, sy0, sx1, sy1 in strikes:
        if sx1 < sx0:  # left to right: a positive distance is below the stroke
            sx0, sy0, sx1, sy1 = sx1, sy1, sx0, sy0
        dx, dy = sx1 - sx0, sy1 - sy0
        if dx <= 0:  # a vertical stroke has no above or below
            return None
        norm = float(np.hypot(dx, dy))
        # signed distances to the stroke's line, positive below it
        fields = ((cx - sx0) * -dy + (cy - sy0) * dx) / norm
        pixels = ((xs + x0 - sx0) * -dy + (ys + y0 - sy0) * dx) / norm
        if (fields < -gap).all():
            side, other = "above", pixels > gap
        elif (fields > gap).all():
            side, other = "below", pixels < -gap
        else:
            return None
        if np.count_nonzero(other) >= min_area:
            return None
        sides.add(side)
    return sides.pop() if len(sides) == 1 else None
