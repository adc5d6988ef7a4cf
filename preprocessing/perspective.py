"""Phone photos: a table whose outer lines are not parallel is rectified by a homography.

Deskewing turns the page as a whole; a photo taken at an angle also shrinks one side of the
table (keystone), so its vertical lines lean in opposite directions and the horizontal ones
fan out. The table's four outer lines are found in ruling masks made with a short kernel
(which leaning lines survive): band by band, the outermost place where the mask has a line's
worth of ink, then a straight line through those points. Their four intersections are mapped
to a rectangle of the same mean width and height.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from preprocessing.clean import line_masks
from preprocessing.layout import Grid, RuledLine

MIN_TILT = 0.012  # radians (~0.7 deg) of disagreement between opposite sides worth a homography:
# a hand-drawn frame wobbles by more than 0.25 deg, and rectifying a flat page by it tilts rows
MAX_TILT = 0.2  # a side leaning more than this (11 deg) is no table side
MIN_JUNCTIONS = 3  # ruling lines of the other direction that a table side meets


def _band_peaks(mask: np.ndarray, bands: int = 20, span: tuple[float, float] | None = None
                ) -> list[tuple[float, np.ndarray]]:
    """For each horizontal band of a vertical-line mask (within rows ``span``, default all):
    its centre and the columns where the band holds a line's worth of ink (peak centres)."""
    h, w = mask.shape
    lo, hi = span if span is not None else (0, h)
    edges = np.linspace(max(0, lo), min(h, hi), bands + 1).astype(int)
    if edges[-1] - edges[0] < 2 * bands:
        return []
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        prof = cv2.blur(np.count_nonzero(mask[a:b], axis=0).astype(np.float32).reshape(1, -1),
                        (5, 1)).ravel()
        on = prof >= 0.35 * (b - a)
        on[: int(0.01 * w) + 1] = False  # the image's edge is no line
        on[int(0.99 * w):] = False
        idx = np.nonzero(on)[0]
        if len(idx) == 0:
            continue
        runs = np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)
        out.append((0.5 * (a + b), np.array([float(r.mean()) for r in runs])))
    return out


def _outer_line(peaks: list[tuple[float, np.ndarray]], first: bool, tol: float = 5.0,
                across: np.ndarray | None = None) -> tuple[float, float] | None:
    """v = a*t + b: the outermost (first or last) of the lines that most bands agree on.
    Candidate lines join peaks of two bands in the first third to peaks of two in the last
    third; a line's support is the number of bands with a peak on it within ``tol`` pixels
    (a hand-drawn frame wanders by up to 5 px at the analysis scale: with a tighter reach
    it loses its support to the straight inner lines, and a line through the table was
    taken for its side, tilting a flat page's rows). ``across``: the
    other direction's ruling mask (rows = t): a table's side meets the ruling that crosses
    it, a facing page's edge or a gutter shadow beside the table does not."""
    if len(peaks) < 6:
        return None
    n = len(peaks)
    t_all = np.concatenate([np.full(len(v), t) for t, v in peaks])
    v_all = np.concatenate([v for _, v in peaks])
    band = np.concatenate([np.full(len(v), i) for i, (_, v) in enumerate(peaks)])
    # two bands of each outer third are enough to propose every line (and keep this fast)
    lo = peaks[1:n // 3][::2][:2] or peaks[:1]
    hi = peaks[-(n // 3):-1][::-2][:2] or peaks[-1:]
    cands = [(t1, v1, t2, v2) for t1, vs1 in lo for v1 in vs1 for t2, vs2 in hi for v2 in vs2]
    if not cands:
        return None
    c = np.array(cands)
    a = (c[:, 3] - c[:, 1]) / np.maximum(c[:, 2] - c[:, 0], 1e-6)
    c, a = c[np.abs(a) <= MAX_TILT], a[np.abs(a) <= MAX_TILT]
    if len(c) == 0:
        return None
    b = c[:, 1] - a * c[:, 0]
    near = np.abs(v_all[None, :] - (a[:, None] * t_all[None, :] + b[:, None])) <= tol
    starts = np.r_[0, np.nonzero(np.diff(band))[0] + 1]
    support = np.logical_or.reduceat(near, starts, axis=1).sum(axis=1)
    good = support >= max(6, 0.85 * support.max())
    mid = t_all.mean()
    pos = a * mid + b
    pick = np.nonzero(good)[0]
    pick = pick[np.argsort(pos[pick] if first else -pos[pick])]
    if across is not None:  # the outermost candidate that meets the crossing ruling
        met = next((int(i) for i in pick[:40]
                    if _junctions(across, a[i], b[i]) >= MIN_JUNCTIONS), None)
        if met is None:
            return None
        pick = np.array([met])
    k = int(pick[0])
    keep = near[k]
    fa, fb = np.polyfit(t_all[keep], v_all[keep], 1)
    return float(fa), float(fb)


def _junctions(across: np.ndarray, a: float, b: float) -> int:
    """How many lines of ``across`` (a ruling mask whose rows are t, widened by the reach
    allowed) meet the line v = a*t + b: separate runs of rows with ruling on it."""
    n, m = across.shape
    t = np.arange(n)
    v = np.round(a * t + b).astype(int)
    ok = (v >= 0) & (v < m)
    hit = np.zeros(n, bool)
    hit[ok] = across[t[ok], v[ok]] > 0
    idx = np.nonzero(hit)[0]
    if len(idx) == 0:
        return 0
    return int(1 + np.count_nonzero(np.diff(idx) > 3))


def _cross(vert: tuple[float, float], hor: tuple[float, float]) -> tuple[float, float]:
    """Intersection of x = a1*y + b1 and y = a2*x + b2."""
    a1, b1 = vert
    a2, b2 = hor
    y = (a2 * b1 + b2) / (1 - a1 * a2)
    return a1 * y + b1, y


def table_quad(ink: np.ndarray) -> np.ndarray | None:
    """Corners (TL, TR, BR, BL) of the table's outer frame on an upright page when opposite
    sides are not parallel (a photo at an angle); None when they are, or no frame is found."""
    h, w = ink.shape
    # leaning verticals need a short kernel; horizontals lean less, and a longer kernel keeps
    # the dotted fill-in lines of the title out
    _, vm = line_masks(ink, max(12, max(h, w) // 80))
    hm, _ = line_masks(ink, max(12, max(h, w) // 30))
    hm_t = np.ascontiguousarray(hm.T)
    # the crossing ruling, widened by how far a side may miss it (4 px)
    reach = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1))
    hm_near = cv2.dilate(hm, reach)
    vm_near = np.ascontiguousarray(cv2.dilate(vm, reach.T).T)
    # the table's top and bottom first (a facing page's edge and the gutter are not level);
    # then its sides, in bands between them only: above and below the table, the title and
    # the facing page's edge would propose the side lines
    hp = _band_peaks(hm_t)
    top, bottom = _outer_line(hp, True, across=vm_near), _outer_line(hp, False, across=vm_near)
    if top is None or bottom is None:
        return None
    ys = (top[1], top[0] * w + top[1], bottom[1], bottom[0] * w + bottom[1])
    vp = _band_peaks(vm, span=(min(ys[:2]) + 3, max(ys[2:]) - 3))
    left, right = _outer_line(vp, True, across=hm_near), _outer_line(vp, False, across=hm_near)
    if left is None or right is None:
        return None
    tilt = max(abs(math.atan(left[0]) - math.atan(right[0])),
               abs(math.atan(top[0]) - math.atan(bottom[0])))
    if tilt < MIN_TILT:
        return None
    quad = np.array([_cross(left, top), _cross(right, top), _cross(right, bottom),
                     _cross(left, bottom)])
    width = min(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3]))
    height = min(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1]))
    if width < 0.3 * w or height < 0.2 * h:
        return None
    return quad


def rectifying(quad: np.ndarray) -> np.ndarray:
    """Homography (3x3) taking ``quad`` to an upright rectangle at its top-left corner with
    the quad's mean width and height."""
    tl, tr, br, bl = quad
    width = 0.5 * (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl))
    height = 0.5 * (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr))
    x0, y0 = float(min(tl[0], bl[0])), float(min(tl[1], tr[1]))
    rect = np.array([[x0, y0], [x0 + width, y0], [x0 + width, y0 + height], [x0, y0 + height]])
    return cv2.getPerspectiveTransform(quad.astype(np.float32), rect.astype(np.float32))


def _pencil(lines: tuple[RuledLine, ...], lo: float, hi: float
            ) -> tuple[tuple[float, float], tuple[float, float], float] | None:
    """The first and last of one direction's lines, straight (v = a*t + c), as a pencil
    through a vanishing point: each line fitted straight over t in [lo, hi], its slope
    linear in its place (Theil-Sen over the lines seen along half the table or more), and
    the angle between the outer two. Lines that fan out by less than four times the scatter
    of their own slopes about the pencil (a hand-drawn line's slope wanders) are taken as
    parallel, at their median slope (angle 0). None with under four such lines."""
    mid = 0.5 * (lo + hi)
    ts = np.linspace(lo, hi, 9)
    fits = []
    for ln in lines:
        if ln.strength < 0.5:
            continue
        a, b = np.polyfit(ts - mid, ln.at(ts), 1)
        fits.append((float(b), float(a)))
    if len(fits) < 4:
        return None
    b, a = np.array(fits).T
    i, j = np.triu_indices(len(b), 1)
    db = b[j] - b[i]
    ok = np.abs(db) > 1.0
    if not ok.any():
        return None
    bm = float(b.mean())
    beta = float(np.median((a[j] - a[i])[ok] / db[ok]))
    alpha = float(np.median(a - beta * (b - bm)))
    resid = a - (alpha + beta * (b - bm))
    spread = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    lo_b, hi_b = float(b.min()), float(b.max())
    fan = abs(math.atan(alpha + beta * (hi_b - bm)) - math.atan(alpha + beta * (lo_b - bm)))
    if fan < 4.0 * spread:
        beta, alpha, fan = 0.0, float(np.median(a)), 0.0
    a1, a2 = alpha + beta * (lo_b - bm), alpha + beta * (hi_b - bm)
    return (a1, lo_b - a1 * mid), (a2, hi_b - a2 * mid), fan


def grid_quad(grid: Grid) -> np.ndarray | None:
    """Corners (TL, TR, BR, BL) of a table whose ruling lines of one direction fan out as a
    pencil through a vanishing point (a photo at an angle), from the grid's lines: for a
    faint or dashed ruling whose outer frame ``table_quad`` cannot find. The outermost
    lines' places with the slopes the pencil gives there (a hand-drawn line's own slope
    wanders); None when the lines are parallel or do not agree on a pencil."""
    if not grid.found:
        return None
    x0, y0, x1, y1 = grid.bbox
    vert = _pencil(grid.v_lines, y0, y1)
    hor = _pencil(grid.h_lines, x0, x1)
    if vert is None or hor is None:
        return None
    if max(vert[2], hor[2]) < MIN_TILT or max(abs(vert[0][0]), abs(vert[1][0]),
                                               abs(hor[0][0]), abs(hor[1][0])) > MAX_TILT:
        return None
    left, right, top, bottom = vert[0], vert[1], hor[0], hor[1]
    return np.array([_cross(left, top), _cross(right, top), _cross(right, bottom),
                     _cross(left, bottom)])
