"""Map the vertical lines found on a page onto the template's columns.

The template gives each column's relative width, so its column boundaries are fixed fractions
of the table width. We look for the scale and offset that put the most template boundaries on
found lines (every pair of found lines against every pair of boundaries, like RANSAC but
exhaustive: a page has ~15 lines). Missing lines are then placed where the template says;
extra lines (a stamp, a hand-drawn divider) are ignored. Header OCR, when asked for, checks the
mapping against the column keywords.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from preprocessing.layout import RuledLine
from sohoa.template import Template

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ColumnMap:
    """Column boundaries (n+1 lines, left to right) and how well the template fitted."""

    boundaries: tuple[RuledLine, ...]
    matched: int  # boundaries that sit on a found line
    residual: float  # mean distance of matched boundaries, in table widths
    extra: int = 0  # well-drawn found lines that are no column boundary
    cut: tuple[int, ...] = ()  # columns (0-based) lying off the image: a cropped scan
    placed: tuple[int, ...] = ()  # boundaries with no line of their own (placed)
    cost: float = 0.0  # alignment cost (colfit); 0 for the global fit
    prior_used: bool = False  # a book's consensus, not the template, was the prior

    @property
    def score(self) -> float:
        """High when many boundaries sit on lines and few strong lines are left over (a page
        turned by a quarter offers many row lines, some of which fit any template)."""
        return self.matched - 5.0 * self.residual * len(self.boundaries) - 0.5 * self.extra


def template_boundaries(template: Template) -> np.ndarray:
    fr = template.column_fractions()
    return np.array([fr[0][0]] + [b for _, b in fr])


def _nearest_dist(pred: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Distance from each predicted boundary to the nearest found line (``pos`` sorted)."""
    idx = np.clip(np.searchsorted(pos, pred), 1, len(pos) - 1)
    return np.minimum(np.abs(pred - pos[idx - 1]), np.abs(pred - pos[idx]))


def _best_fit(
    pos: np.ndarray, frac: np.ndarray, tol_frac: float, anchors: np.ndarray | None = None
) -> tuple[float, float, int, float]:
    """Offset and scale (pixels = a + b * fraction) with most inliers. Hypotheses come from
    pairs of ``anchors`` (well-drawn lines; all lines when None), inliers from all ``pos``."""
    pos = np.sort(pos)
    hyp = pos if anchors is None or len(anchors) < 2 else np.sort(anchors)
    m, n = len(hyp), len(frac)
    span = pos.max() - pos.min() if len(pos) > 1 else 1.0
    j1, j2 = np.triu_indices(m, 1)
    far = (hyp[j2] - hyp[j1]) >= 0.25 * span  # short baselines fit badly and cost time
    j1, j2 = j1[far], j2[far]
    i1, i2 = np.triu_indices(n, 1)
    wide = (frac[i2] - frac[i1]) >= 0.2
    i1, i2 = i1[wide], i2[wide]
    dp = (hyp[j2] - hyp[j1])[:, None]
    df = (frac[i2] - frac[i1])[None, :]
    b = dp / df
    a = hyp[j1][:, None] - b * frac[i1][None, :]
    a, b = a.ravel(), b.ravel()
    ok = (b > 0.5 * span) & (b < 2.5 * span + 1)
    a, b = a[ok], b[ok]
    if len(a) == 0:
        return 0.0, 1.0, 0, 1.0
    pred = a[:, None] + b[:, None] * frac[None, :]  # (H, n)
    d = _nearest_dist(pred, pos)  # (H, n)
    tol = (tol_frac * b)[:, None]
    inl = d <= tol
    count = inl.sum(axis=1)
    resid = np.where(inl, d / b[:, None], 0).sum(axis=1) / np.maximum(count, 1)
    best = int(np.lexsort((resid, -count))[0])
    return float(a[best]), float(b[best]), int(count[best]), float(resid[best])


def map_columns(v_lines: tuple[RuledLine, ...] | list[RuledLine], template: Template,
                tol_frac: float = 0.012) -> ColumnMap | None:
    """Fit the template's column boundaries to found vertical lines; None if fewer than 2."""
    if len(v_lines) < 2:
        return None
    pos = np.array([ln.pos for ln in v_lines])
    frac = template_boundaries(template)
    strong = np.array([ln.pos for ln in v_lines if ln.strength >= 0.6])
    a, b, count, resid = _best_fit(pos, frac, tol_frac, strong)
    if count < 2:
        return None
    # least-squares refinement on the matched pairs
    pred = a + b * frac
    idx = np.abs(pred[:, None] - pos[None, :]).argmin(axis=1)
    dist = np.abs(pred - pos[idx])
    inl = dist <= tol_frac * b
    if inl.sum() >= 2:
        b, a = np.polyfit(frac[inl], pos[idx[inl]], 1)
        pred = a + b * frac
        dist = np.abs(pred - pos[idx])
        inl = dist <= tol_frac * b
    out: list[RuledLine] = []
    for i, p in enumerate(pred):
        if inl[i]:
            out.append(v_lines[int(idx[i])])
        else:
            out.append(RuledLine(pos=float(p), coeffs=(float(p),), strength=0.0))
    matched = int(inl.sum())
    residual = float(dist[inl].mean() / b) if matched else 1.0
    used = {int(idx[i]) for i in np.nonzero(inl)[0]}
    inside = (pos >= pred[0] - tol_frac * b) & (pos <= pred[-1] + tol_frac * b)
    extra = sum(1 for j, ln in enumerate(v_lines)
                if j not in used and inside[j] and ln.strength >= 0.6)
    return ColumnMap(tuple(out), matched, residual, extra)


def header_keyword_hits(header_texts: list[str], template: Template) -> int:
    """How many columns' OCR'd header text contains one of the template's keywords."""
    from sohoa.records import nfc

    hits = 0
    for text, col in zip(header_texts, template.columns, strict=False):
        t = nfc(text).lower()
        if any(nfc(k).lower() in t for k in col.keywords):
            hits += 1
    return hits


def ocr_header(grey_header_cells: list[np.ndarray]) -> list[str]:
    """Read each header cell with Tesseract ``vie``; empty strings when Tesseract is missing."""
    try:
        import pytesseract
    except ImportError:  # pragma: no cover - dependency of the package
        return ["" for _ in grey_header_cells]
    out = []
    for cell in grey_header_cells:
        if cell.size == 0 or min(cell.shape[:2]) < 8:
            out.append("")
            continue
        try:
            out.append(pytesseract.image_to_string(cell, lang="vie", config="--psm 6").strip())
        except Exception as exc:  # Tesseract missing or failed: position mapping stands alone
            log.warning("header OCR failed: %s", exc)
            out.append("")
    return out
