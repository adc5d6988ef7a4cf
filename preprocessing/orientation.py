"""Detect pages scanned sideways or upside down (0/90/180/270 degrees).

A register page is known by its table: the template's column widths are asymmetric, so the
found vertical lines fit the template well only when the page is upright (not mirrored by a
half turn, not turned by a quarter). The header sits above the regular entry rows, which breaks
ties on pages whose vertical lines are too faded to decide.
"""

from __future__ import annotations

import logging

import numpy as np

from preprocessing.clean import line_masks
from preprocessing.columns import map_columns
from preprocessing.geometry import undo_turns
from preprocessing.grid import grid_from_masks, line_length
from preprocessing.layout import Grid
from sohoa.template import Template

log = logging.getLogger(__name__)


def _header_on_top(grid: Grid) -> float:
    """+1 when the irregular rows (header, column numbers) are at the top, -1 at the bottom."""
    ys = np.array([ln.pos for ln in grid.h_lines])
    if len(ys) < 5:
        return 0.0
    gaps = np.diff(ys)
    he = float(np.median(gaps))
    irregular = np.abs(gaps - he) > 0.2 * he
    top = irregular[:2].sum()
    bottom = irregular[-2:].sum()
    return float(np.sign(top - bottom))


def orientation_scores(ink: np.ndarray, template: Template) -> dict[int, float]:
    """Score of each scan rotation (0/90/180/270, counter-clockwise) for a deskewed ink mask."""
    h, w = ink.shape
    hmask, vmask = line_masks(ink, line_length(ink.shape))
    scores: dict[int, float] = {}
    for rot in (0, 90, 180, 270):
        k = undo_turns(rot)
        hm, vm = (hmask, vmask) if k % 2 == 0 else (vmask, hmask)
        hm, vm = np.rot90(hm, k), np.rot90(vm, k)
        grid = grid_from_masks(np.ascontiguousarray(hm), np.ascontiguousarray(vm))
        cmap = map_columns(grid.v_lines, template) if grid.found else None
        score = cmap.score if cmap else 0.0
        score += 1.5 * _header_on_top(grid)
        rows, cols = hm.shape
        if (template.orientation == "landscape") == (cols > rows):
            score += 1.0
        scores[rot] = score
    return scores


def detect_orientation(ink: np.ndarray, template: Template) -> int:
    """Rotation (0, 90, 180 or 270 degrees counter-clockwise, as ``np.rot90``) of the scan
    relative to the upright page."""
    scores = orientation_scores(ink, template)
    best = max(scores, key=lambda r: scores[r])
    log.debug("orientation scores %s -> %d", scores, best)
    return best
