"""Affine helpers: the one transform from the ingested page to the upright, deskewed work page.

Keeping a single 2x3 matrix (instead of a chain of images) lets every box found on the work page
be mapped back to the scan exactly, and lets crops be cut later from the full-resolution page.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from preprocessing.layout import Affine, BBox, Quad, RuledLine


def upright_transform(
    width: int, height: int, angle: float, rotation: int
) -> tuple[np.ndarray, tuple[int, int]]:
    """Matrix (3x3) and output size that undo ``angle`` degrees of skew and then ``rotation``
    degrees of turning of the scan (both counter-clockwise positive, the cv2/np.rot90 sense)."""
    a = math.radians(angle)
    c, s = abs(math.cos(a)), abs(math.sin(a))
    new_w = int(math.ceil(width * c + height * s))
    new_h = int(math.ceil(width * s + height * c))
    rot = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), -angle, 1.0)
    rot[0, 2] += new_w / 2.0 - width / 2.0
    rot[1, 2] += new_h / 2.0 - height / 2.0
    m = np.vstack([rot, [0.0, 0.0, 1.0]])
    w, h = new_w, new_h
    for _ in range(undo_turns(rotation)):
        ccw = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, w - 1.0], [0.0, 0.0, 1.0]])
        m = ccw @ m
        w, h = h, w
    return m, (w, h)


def undo_turns(rotation: int) -> int:
    """Counter-clockwise quarter turns (``np.rot90``'s k) that undo a scan turned
    counter-clockwise by ``rotation`` degrees."""
    return (-(rotation // 90)) % 4


def scale_matrix(sx: float, sy: float | None = None) -> np.ndarray:
    return np.diag([sx, sx if sy is None else sy, 1.0])


def to_affine(m: np.ndarray) -> Affine:
    a = m[:2].reshape(-1)
    return (float(a[0]), float(a[1]), float(a[2]), float(a[3]), float(a[4]), float(a[5]))


def from_affine(a: Affine) -> np.ndarray:
    return np.array([[a[0], a[1], a[2]], [a[3], a[4], a[5]], [0.0, 0.0, 1.0]])


def is_affine(m: np.ndarray) -> bool:
    """Whether a 2x3 or 3x3 matrix is affine: its last row (0, 0, 1) as ``np.allclose(row,
    (0, 0, 1), atol=1e-12)`` says (NaN is not), compared as scalars: page analysis maps
    points through a matrix about 300 times a page, and allclose costs ~35 us a call."""
    if m.shape[0] == 2:
        return True
    a, b, c = float(m[2, 0]), float(m[2, 1]), float(m[2, 2])
    return abs(a) <= 1e-12 and abs(b) <= 1e-12 and abs(c - 1.0) <= 1e-12 + 1e-5


def apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Map an (N, 2) array of points through a 3x3 matrix (affine or a homography)."""
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    out = pts @ m[:2, :2].T + m[:2, 2]
    if is_affine(m):
        return out
    return out / (pts @ m[2, :2] + m[2, 2])[:, None]


def quad_of_box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Corners clockwise from top-left."""
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


def clockwise(pts: np.ndarray) -> np.ndarray:
    """A convex quad's corners in the order TL, TR, BR, BL of the frame they are in (a quad
    found on a page turned by quarter turns, mapped back, starts at another corner)."""
    pts = np.asarray(pts, dtype=np.float64).reshape(4, 2)
    c = pts.mean(axis=0)
    return pts[np.argsort(np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0]))]


def to_quad(pts: np.ndarray) -> Quad:
    p = [(int(round(x)), int(round(y))) for x, y in np.asarray(pts).reshape(4, 2)]
    return (p[0], p[1], p[2], p[3])


def clamp(v, lo, hi):  # type: ignore[no-untyped-def]
    """``np.clip`` of one number (the same value, NaN kept), without numpy's per-call cost:
    page analysis clamps tens of thousands of scalars a page."""
    return min(max(v, lo), hi)


def bbox_of(pts: np.ndarray, width: int, height: int) -> BBox:
    """Axis-aligned integer box around points, clipped to the image."""
    pts = np.asarray(pts).reshape(-1, 2)
    lo, hi = pts.min(axis=0).tolist(), pts.max(axis=0).tolist()
    x0 = int(clamp(math.floor(lo[0]), 0, width))
    y0 = int(clamp(math.floor(lo[1]), 0, height))
    x1 = int(clamp(math.ceil(hi[0]), 0, width))
    y1 = int(clamp(math.ceil(hi[1]), 0, height))
    return (x0, y0, max(x0, x1), max(y0, y1))


def warp(
    image: np.ndarray, m: np.ndarray, size: tuple[int, int], border: int | tuple = 255
) -> np.ndarray:
    """Warp with the paper colour as border so padding never looks like ink."""
    if image.ndim == 3:
        border = (border,) * image.shape[2] if isinstance(border, int) else border
    if not is_affine(m):
        return cv2.warpPerspective(image, m, size, flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    return cv2.warpAffine(
        image, m[:2], size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=border,
    )


def box_iou(a: BBox, b: BBox) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def straight_within(lines: tuple[RuledLine, ...], lo: float, hi: float) -> tuple[RuledLine, ...]:
    """The lines as straight lines fitted between ``lo`` and ``hi`` (the image's extent): a
    curved fit (a polynomial) of a table cut at the image's edge would run wild where the
    cut-off columns lie, beyond the ink it was fitted to."""
    xs = np.linspace(lo, hi, 24)
    out = []
    for ln in lines:
        if len(ln.coeffs) <= 2:
            out.append(ln)
            continue
        b, a = np.polyfit(xs, ln.at(xs), 1)
        out.append(RuledLine(pos=ln.pos, coeffs=(float(b), float(a)), strength=ln.strength))
    return tuple(out)
