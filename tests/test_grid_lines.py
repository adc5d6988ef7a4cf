"""Ruling lines found by preprocessing.grid: a hand-drawn line that wanders is one line.

The images are drawn here: a frame, column lines and row lines, one of which wanders the way a
hand-drawn line does (its slope turns from strip to strip), so whether it is found whole
depends only on how the strips' peaks are linked.
"""

from __future__ import annotations

import cv2
import numpy as np

from preprocessing import grid
from preprocessing.grid import _link, _Peak, find_grid

# where the wandering line runs at the centres of the 10 strips (y, pixels): level, then up
# by 4 px, then down again: a straight extrapolation from two strips misses by 7 px
WANDER = [302.0, 305.0, 308.0, 306.0, 305.0, 301.0, 304.0, 305.0, 309.0, 308.0]


def test_peaks_of_a_line_whose_slope_turns_are_linked_into_one_chain() -> None:
    centers = np.arange(10) * 148.0 + 163.0
    strips = [[_Peak(276.0, 140.0), _Peak(y, 140.0)] for y in WANDER]
    strips[5].append(_Peak(315.0, 80.0))  # a word's stroke: this strip has the most peaks
    chains = _link(strips, centers, 6.5, wander=True)
    wander = [c for c in chains if any(abs(y - 305) < 6 for _, y in c)]
    assert len(wander) == 1, [[round(y) for _, y in c] for c in wander]
    assert len(wander[0]) == 10


def _table(wander: list[float]) -> np.ndarray:
    h, w = 1100, 1620
    ink = np.zeros((h, w), np.uint8)
    x0, x1 = 90, 1570
    ys = [177, 276, 355, 417, 486, 542, 600, 660, 720, 780, 840]
    for y in ys:
        cv2.line(ink, (x0, y), (x1, y), 255, 2)
    for x in np.linspace(x0, x1, 14).astype(int):
        cv2.line(ink, (int(x), ys[0]), (int(x), ys[-1]), 255, 2)
    # the hand-drawn line between the header's bottom (276) and the first row line (355)
    lo, hi = x0, x1
    xs = lo + (np.arange(10) + 0.5) * (hi - lo) / 10
    pts = np.stack([np.r_[lo, xs, hi], np.r_[wander[0], wander, wander[-1]]], 1)
    cv2.polylines(ink, [np.round(pts).astype(np.int32)], False, 255, 2)
    return ink


# a line waving by +-6 px with a wavelength of 4 strips (about 8 cm on a 300-dpi scan)
WAVE = [300.0, 306.0, 312.0, 306.0, 300.0, 306.0, 312.0, 306.0, 300.0, 306.0]


def test_a_waving_hand_drawn_line_is_found_at_full_strength() -> None:
    grid = find_grid(np.zeros((1, 1), np.uint8), ink=_table(WAVE))
    near = [ln for ln in grid.h_lines if abs(ln.pos - 306) < 10]
    assert len(near) == 1, [(round(ln.pos), ln.strength) for ln in grid.h_lines]
    # every strip saw it: one chain, not pieces of which only the strongest is kept
    assert near[0].strength >= 0.9, near[0].strength


def test_rows_of_a_table_drawn_askew_all_alike_are_kept() -> None:
    """Every row line rises by 1.8 % of its length (a hand-ruled table drawn askew, or a skew
    estimate a little off): lines that tilt together are ruling; before, any line drifting
    by over 1.5 % end to end was taken for a chain of text and dropped."""
    h, w = 1100, 1620
    ink = np.zeros((h, w), np.uint8)
    x0, x1 = 90, 1570
    ys = [177, 276, 355, 417, 486, 542, 600, 660, 720, 780, 840]
    rise = 0.018 * (x1 - x0)
    for y in ys:
        cv2.line(ink, (x0, y), (x1, int(round(y - rise))), 255, 2)
    for x in np.linspace(x0, x1, 14).astype(int):
        top = ys[0] - rise * (x - x0) / (x1 - x0)
        cv2.line(ink, (int(x), int(round(top))), (int(x), int(round(top + ys[-1] - ys[0]))),
                 255, 2)
    grid = find_grid(np.zeros((1, 1), np.uint8), ink=ink)
    assert len(grid.h_lines) == len(ys), [round(ln.pos) for ln in grid.h_lines]


def test_a_line_piece_drops_the_end_sample_that_writing_shifted() -> None:
    # session 25, ks-2006 1720051: a row line seen in 6 of 10 strips, its first sample shifted
    # 3.6 px by writing touching it; the quadratic through all six ran 19 px low at x=150,
    # while the full-length line 93 px above runs level
    piece = [(786.0, 1043.6), (928.0, 1040.1), (1070.0, 1040.1), (1211.0, 1040.0),
             (1353.0, 1040.0), (1495.0, 1040.0)]
    above = [(float(x), 949.0) for x in range(78, 1500, 142)]
    lines = [grid._fit(c, grid.STRIPS, 850.0, 1278.0) for c in (above, piece)]
    assert abs(float(lines[1].at(150.0)) - 1040.0) > 10.0  # the bent fit, as before
    kept = grid._true_to_neighbour(lines, [above, piece], 850.0, 1278.0)
    assert abs(float(kept[1].at(150.0)) - 1040.0) < 1.0
    assert kept[1].strength == 0.6 and kept[0] == lines[0]


def test_a_piece_bending_as_its_full_length_neighbour_keeps_every_sample() -> None:
    # a curled page bends every line alike near its edge: the piece's end sample follows it
    def curled(y: float, xs: range) -> list[tuple[float, float]]:
        return [(float(x), y + 2e-5 * max(0.0, x - 900.0) ** 2) for x in xs]

    full, piece = curled(400.0, range(78, 1500, 142)), curled(480.0, range(646, 1500, 142))
    lines = [grid._fit(c, grid.STRIPS, 800.0, 1278.0) for c in (full, piece)]
    assert float(piece[-1][1]) - 480.0 > 3.0  # the curl at the piece's end is real
    assert grid._true_to_neighbour(lines, [full, piece], 800.0, 1278.0) == lines
