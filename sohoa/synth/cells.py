"""Writing values into table cells: one line per field, long values wrapped over several
lines, everything shrunk to stay inside the cell, and the convex hull of the ink kept so the
ground-truth box follows the strokes through any later geometry."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sohoa.records import FieldKind
from sohoa.synth.degrade import apply_ink
from sohoa.synth.hand import HandStyle, estimate_size, render_ink

_CENTRED = {FieldKind.NUMBER, FieldKind.SEX, FieldKind.ETHNICITY, FieldKind.NATIONALITY,
            FieldKind.YEAR, FieldKind.RELATION}


@dataclass(frozen=True)
class Written:
    """Where a value's ink landed: convex-hull points of every line in upright page pixels."""

    hull: np.ndarray  # N x 2 float (x, y)


def ink_hull(alpha: np.ndarray, x: float, y: float) -> np.ndarray:
    """Convex hull of the visible ink of a snippet placed at (x, y), as pixel-corner points
    (built from each column's top and bottom ink pixel: same hull, far fewer points)."""
    mask = alpha > 0.2
    cols = np.flatnonzero(mask.any(axis=0))
    if len(cols) == 0:
        return np.zeros((0, 2))
    sub = mask[:, cols]
    top = sub.argmax(axis=0)
    bottom = sub.shape[0] - 1 - sub[::-1].argmax(axis=0)
    pts = np.concatenate([np.stack([cols, top], 1), np.stack([cols, bottom], 1)])
    hull = cv2.convexHull(pts.astype(np.int32)).reshape(-1, 2).astype(np.float64)
    corners = np.concatenate([hull, hull + [1, 0], hull + [0, 1], hull + [1, 1]])
    return corners + [x, y]


def paint_label(labels: np.ndarray, alpha: np.ndarray, label: int, x: int, y: int) -> None:
    """Mark the visible ink of a snippet placed at (x, y) with ``label`` (debug/test masks)."""
    h, w = alpha.shape
    region = labels[y:y + h, x:x + w]
    region[alpha[: region.shape[0], : region.shape[1]] > 0.2] = label


def split_balanced(text: str, k: int) -> list[str]:
    """Split ``text`` at spaces into at most ``k`` lines of similar length."""
    words = text.split()
    if k <= 1 or len(words) <= 1:
        return [text]
    k = min(k, len(words))
    target = len(text) / k
    lines: list[str] = []
    cur = ""
    for i, w in enumerate(words):
        trial = f"{cur} {w}".strip()
        left_words = len(words) - i
        left_lines = k - len(lines)
        room = len(lines) < k - 1
        if cur and room and (len(trial) > target * 1.15 or left_words < left_lines):
            lines.append(cur)
            cur = w
        else:
            cur = trial
    lines.append(cur)
    return lines


def _fit(alpha: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 0.999:
        return alpha
    h, w = alpha.shape
    return cv2.resize(alpha, (max(1, int(w * scale)), max(1, int(h * scale))),
                      interpolation=cv2.INTER_AREA)


def write_value(
    page: np.ndarray,
    box: tuple[float, float, float, float],
    text: str,
    kind: FieldKind,
    style: HandStyle,
    rng: np.random.Generator,
    max_lines: int,
    labels: np.ndarray | None = None,
    label: int = 0,
) -> Written:
    """Write ``text`` inside ``box`` (x0, y0, x1, y1) of the upright page."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    full_w, full_h = estimate_size(text, style)
    line_h = max(full_h, style.size * 1.2)
    scales = []
    for k in range(1, max_lines + 1):
        if k > 1 and len(text.split()) < k:
            break
        scales.append(min(1.0, bw / (full_w / k * 1.15 + 1), bh / (k * line_h)))
    good = [k for k, s in enumerate(scales, 1) if s >= (0.8 if max_lines > 2 else 0.65)]
    best_k = good[0] if good else int(np.argmax(scales)) + 1
    lines = split_balanced(text, best_k)
    alphas = [render_ink(t, style, rng) for t in lines]
    pitch = bh / len(alphas)
    fitted = []
    for a in alphas:
        s = min(1.0, bw / a.shape[1], pitch * 1.05 / a.shape[0]) * rng.uniform(0.9, 1.0)
        fitted.append(_fit(a, s)[: int(bh), : int(bw)])
    # stack the lines: share the spare height out as gaps (or overlap evenly when short)
    spare = bh - sum(a.shape[0] for a in fitted)
    gap = spare / (len(fitted) + 1)
    y = y0 + gap * rng.uniform(0.6, 1.4) if spare > 0 else y0
    if spare <= 0 and len(fitted) > 1:
        gap = spare / (len(fitted) - 1)
    hulls = []
    centred = kind in _CENTRED and rng.random() < 0.7
    for a in fitted:
        h, w = a.shape
        slack_x = max(0.0, bw - w)
        if centred:
            ax = x0 + slack_x / 2 + rng.uniform(-0.2, 0.2) * slack_x
        else:
            ax = x0 + rng.uniform(0, min(slack_x, bw * 0.15) + 1e-6)
        ay = float(np.clip(y, y0, y1 - h))
        ax = float(np.clip(ax, x0, x1 - w))
        ix, iy = int(round(ax)), int(round(ay))
        apply_ink(page, a, style.ink, ix, iy)
        if labels is not None:
            paint_label(labels, a, label, ix, iy)
        hulls.append(ink_hull(a, ix, iy))
        y = ay + h + (gap * rng.uniform(0.7, 1.3) if gap > 0 else gap)
    return Written(np.concatenate(hulls) if hulls else np.zeros((0, 2)))
