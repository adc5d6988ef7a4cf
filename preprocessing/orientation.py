"""Detect pages scanned sideways or upside down (0/90/180/270 degrees).

A register page is known by its table: the template's column widths are asymmetric, so the
found vertical lines fit the template well only when the page is upright (not mirrored by a
half turn, not turned by a quarter). The header sits above the regular entry rows, which breaks
ties on pages whose vertical lines are too faded to decide.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from preprocessing.clean import binarize, line_masks, normalize_background, to_grey
from preprocessing.columns import map_columns
from preprocessing.geometry import undo_turns
from preprocessing.grid import grid_from_masks, line_length
from preprocessing.layout import Grid
from sohoa.template import Template

log = logging.getLogger(__name__)


def _header_on_top(grid: Grid) -> float:
    """+1 when the short row of column numbers sits near the top of the table, -1 near the
    bottom, 0 when there is none (judged on the well-drawn lines only)."""
    strong = [ln.pos for ln in grid.h_lines if ln.strength >= 0.6]
    if len(strong) < 5:
        return 0.0
    ys = np.array(strong)
    gaps = np.diff(ys)
    he = float(np.median(gaps))
    short = np.nonzero(gaps < 0.6 * he)[0]
    if len(short) == 0:
        return 0.0
    mid = (len(gaps) - 1) / 2.0
    return float(np.sign(mid - short.mean()))


def _title_above(ink: np.ndarray, grid: Grid) -> float:
    """+1 when there is more ink in a band above the table than below it (the register's
    title and the commune line are printed above the table)."""
    x0, y0, x1, y1 = grid.bbox
    band = max(10, int(0.12 * ink.shape[0]))
    above = np.count_nonzero(ink[max(0, y0 - band): max(0, y0 - 5), x0:x1])
    below = np.count_nonzero(ink[y1 + 5: y1 + band, x0:x1])
    if above + below < 50:
        return 0.0
    return float(np.clip((above - below) / (above + below) * 2.0, -1.0, 1.0))


@dataclass(frozen=True)
class Orientation:
    """The chosen rotation with the grid and line masks seen the upright way (for reuse)."""

    rotation: int
    scores: dict[int, float]
    grid: Grid
    hmask: np.ndarray
    vmask: np.ndarray


def _score(ink: np.ndarray, hmask: np.ndarray, vmask: np.ndarray, rot: int,
           template: Template) -> tuple[float, Grid, np.ndarray, np.ndarray]:
    k = undo_turns(rot)
    hm, vm = (hmask, vmask) if k % 2 == 0 else (vmask, hmask)
    hm, vm = np.ascontiguousarray(np.rot90(hm, k)), np.ascontiguousarray(np.rot90(vm, k))
    grid = grid_from_masks(hm, vm)
    cmap = map_columns(grid.v_lines, template) if grid.found else None
    score = cmap.score if cmap else 0.0
    if grid.found:
        score += 1.5 * _header_on_top(grid) + 1.5 * _title_above(np.rot90(ink, k), grid)
    rows, cols = hm.shape
    if (template.orientation == "landscape") == (cols > rows):
        score += 1.0
    return score, grid, hm, vm


def orient(ink: np.ndarray, template: Template) -> Orientation:
    """Find the page's quarter turn from a deskewed ink mask. The two turns that match the
    template's page shape (landscape/portrait) are tried first; the other two only when
    neither of those shows a table (not merely a poor fit to the template's proportions)."""
    hmask, vmask = line_masks(ink, line_length(ink.shape))
    h, w = ink.shape
    shaped = (template.orientation == "landscape") == (w >= h)
    first = (0, 180) if shaped else (90, 270)
    results = {r: _score(ink, hmask, vmask, r, template) for r in first}
    # The page's shape (landscape/portrait) is the template's: stay with these two turns. A
    # flexible column fit can fit a quarter-turned table (even rows read as columns) better
    # than a page whose columns are proportioned unlike the template, so the other two turns
    # are tried only when neither of these shows a table at all.
    weak = 0.25 * (len(template.columns) + 1)
    if all(not v[1].found for v in results.values()) or max(
            v[0] for v in results.values()) < weak:
        for r in {0, 90, 180, 270} - set(first):
            results[r] = _score(ink, hmask, vmask, r, template)
    best = max(results, key=lambda r: results[r][0])
    scores = {r: round(v[0], 3) for r, v in results.items()}
    log.debug("orientation scores %s -> %d", scores, best)
    _, grid, hm, vm = results[best]
    return Orientation(best, scores, grid, hm, vm)


def orientation_scores(ink: np.ndarray, template: Template) -> dict[int, float]:
    """Score of each scan rotation (0/90/180/270, counter-clockwise) for a deskewed ink mask."""
    hmask, vmask = line_masks(ink, line_length(ink.shape))
    return {r: _score(ink, hmask, vmask, r, template)[0] for r in (0, 90, 180, 270)}


def detect_orientation(image: np.ndarray, template: Template) -> int:
    """Rotation (0, 90, 180 or 270 degrees counter-clockwise, as ``np.rot90``) of a deskewed
    scan relative to the upright page. ``image`` is a binary ink mask (ink=255) or a page."""
    ink = image
    if image.ndim == 3 or np.count_nonzero((image != 0) & (image != 255)):
        ink = binarize(normalize_background(to_grey(image)))
    return orient(ink, template).rotation
