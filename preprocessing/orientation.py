"""Detect pages scanned sideways or upside down (0/90/180/270 degrees), from the page itself.

The axis (upright or half turn, against a quarter turn) comes from the direction of the
writing: with the ruling taken out and letters joined into words by a small closing, printed
and handwritten words are much wider than tall on an upright page, and taller than wide on a
sideways one, whatever the book's column proportions or the photo's framing (a phone photo of
a landscape page with the facing page beside it can be portrait). Only when the writing does
not say (too little of it) is the template's page shape used, and all four turns are scored.

The half turn is decided by where the header is: the title and commune line above the table,
the short row of column numbers near its top, diacritics above the letters (Vietnamese marks
are mostly above), and, weakly, how well the template's asymmetric columns fit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from preprocessing.clean import binarize, line_masks, normalize_background, to_grey
from preprocessing.columns import map_columns
from preprocessing.geometry import undo_turns
from preprocessing.grid import grid_from_masks, line_length
from preprocessing.layout import Grid
from sohoa.template import Template

log = logging.getLogger(__name__)

AXIS_SURE = 0.15  # |text_axis| beyond which the writing's direction decides the axis
MARKS_W = 1.0  # weight of diacritics above the letters (-1..1) in a turn's score
# weights of the header cues: the printed title above the table (every register has one)
# outweighs a row of column numbers guessed from the gaps between lines (optional, and a
# hand-ruled book's missing row line makes the same pattern at the table's other end)
TITLE_W = 1.5
NUMBERS_W = 1.0
MIN_WORDS = 40  # word blobs needed before the writing's direction is trusted
WORD_JOIN = 1.2  # letters are joined into words by a closing of this x the letter size
RULING_RUNS = 4  # ruling taken out of the writing: runs of this many shortest lines' lengths


def text_ink(ink: np.ndarray, hmask: np.ndarray, vmask: np.ndarray) -> np.ndarray:
    """The ink with the ruling taken out (handwriting and print): everything the ruling
    masks hold, so that no piece of a line is left to pass for a long word when the
    writing's direction is judged (``text_axis``)."""
    rul = cv2.dilate(cv2.bitwise_or(hmask, vmask), np.ones((5, 5), np.uint8))
    return cv2.bitwise_and(ink, cv2.bitwise_not(rul))


def letters_ink(ink: np.ndarray, hmask: np.ndarray, vmask: np.ndarray) -> np.ndarray:
    """The ink with only the long ruling runs taken out (``RULING_RUNS`` times the shortest
    line kept, ``grid.line_length``), for the diacritics above the letters (``marks_above``):
    the masks keep any straight run of a line's length once gaps of a few pixels are closed,
    and a line of bold, close-set writing is one (two-level kh-2006 901245: most of the
    writing was in the masks, what was left of it broken into specks, the marks said nothing
    and the page was read upside down). Words break such runs at their spaces; ruling runs
    on. The pieces of a broken, hand-drawn line left in are neither marks nor letters' bodies
    (too long across), but they would pass for words: the direction is judged on
    ``text_ink`` (hand-photo kh-2006 781077, turned: judged on this ink it had no direction
    and was read upright)."""
    n = RULING_RUNS * line_length(ink.shape) | 1  # odd: the opening keeps the run in place
    return text_ink(ink, cv2.morphologyEx(hmask, cv2.MORPH_OPEN, np.ones((1, n), np.uint8)),
                    cv2.morphologyEx(vmask, cv2.MORPH_OPEN, np.ones((n, 1), np.uint8)))


@dataclass(frozen=True)
class _Text:
    """Connected components of the writing (ruling taken out) and the letters' size."""

    labels: np.ndarray
    stats: np.ndarray  # cv2 stats of the components, background row dropped
    centroids: np.ndarray
    size: float  # median sqrt(width * height) of the letters (pixels)


def _components(text: np.ndarray) -> _Text:
    _, lab, st, cen = cv2.connectedComponentsWithStats(text, connectivity=8)
    st, cen = st[1:], cen[1:]
    keep = st[:, 4] >= 6
    size = float(np.median(np.sqrt(st[keep, 2] * st[keep, 3]))) if keep.any() else 5.0
    return _Text(lab, st, cen, size)


def text_axis(text: np.ndarray, comps: _Text | None = None, join: float = WORD_JOIN
              ) -> float:
    """> 0 when the writing runs along the image's rows (page upright or upside down), < 0
    along its columns (turned by a quarter): area-weighted mean log(width / height) of the
    words (letters joined by a closing of ``join`` x a letter's size, the same both ways: a
    smaller one leaves single letters, whose shape says little), 0 when there are too few
    words to say."""
    size = (comps or _components(text)).size
    k = max(3, int(round(join * size)))
    closed = cv2.morphologyEx(text, cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    _, _, st, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    w, h, a = st[1:, 2].astype(float), st[1:, 3].astype(float), st[1:, 4].astype(float)
    keep = (a >= 4 * size) & (np.maximum(w, h) < 60 * size)
    if keep.sum() < MIN_WORDS:
        return 0.0
    wt = np.sqrt(a[keep])
    return float(np.sum(np.log(w[keep] / h[keep]) * wt) / np.sum(wt))


def marks_above(text: np.ndarray, along_x: bool = False, comps: _Text | None = None) -> float:
    """+1 when the small marks (diacritics, i-dots) sit above the letter bodies, -1 below
    (the page is upside down), 0 when there are too few: Vietnamese marks are mostly above.
    ``along_x``: judge "above" along the image's rows (a page turned by 90 degrees, whose
    top is at the left; -1 then means turned by 270)."""
    c = comps or _components(text)
    if len(c.stats) < 20:
        return 0.0
    ax = 1 if along_x else 0  # 0: marks above along y; 1: along x
    start = c.stats[:, 0] if along_x else c.stats[:, 1]
    length = c.stats[:, 2] if along_x else c.stats[:, 3]
    across = c.stats[:, 3] if along_x else c.stats[:, 2]
    a = c.stats[:, 4]
    bodies = np.r_[False, (length >= 0.9 * c.size) & (a >= 6)]
    body = bodies[c.labels].astype(np.uint8)
    small = np.nonzero((a >= 3) & (length <= 0.5 * c.size) & (across <= 1.2 * c.size))[0]
    if len(small) == 0:
        return 0.0
    r = max(2, int(round(c.size)))
    shape = (r, 1) if ax == 0 else (1, r)
    kern = np.ones(shape, np.uint8)
    after = cv2.dilate(body, kern, anchor=(0, 0))  # a body within r pixels after
    before = cv2.dilate(body, kern, anchor=(0, r - 1) if ax == 0 else (r - 1, 0))
    n = body.shape[ax]
    pos_end = np.clip(start[small] + length[small], 0, n - 1)
    pos_start = np.clip(start[small] - 1, 0, n - 1)
    cross = np.clip(np.round(c.centroids[small, ax]).astype(int), 0,
                    body.shape[1 - ax] - 1)
    if ax == 0:
        under, over = after[pos_end, cross] > 0, before[pos_start, cross] > 0
    else:
        under, over = after[cross, pos_end] > 0, before[cross, pos_start] > 0
    up, down = int(np.sum(under & ~over)), int(np.sum(over & ~under))
    if up + down < 8:
        return 0.0
    return (up - down) / (up + down)


def _header_on_top(grid: Grid) -> float:
    """+1 when the short row of column numbers sits at the top of the table, -1 at the
    bottom, 0 when there is none or both ends look alike (judged on the well-drawn lines
    only). The number row lies right under the header, a gap at least twice its height and
    an entry row or more tall: in a book of uneven rows (hand-ruled) a short entry row can
    be anywhere, even last, but it has no tall header band on its outer side."""
    strong = [ln.pos for ln in grid.h_lines if ln.strength >= 0.6]
    if len(strong) < 5:
        return 0.0
    ys = np.array(strong)
    gaps = np.diff(ys)
    he = float(np.median(gaps))

    def numbers_at(g: np.ndarray) -> bool:  # g: the gaps from one end of the table inward
        return any(g[i] < 0.6 * he and g[i - 1] >= max(he, 2.0 * g[i])
                   for i in range(1, min(3, len(g))))

    return float(numbers_at(gaps)) - float(numbers_at(gaps[::-1]))


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
           template: Template, marks: float, shape: bool
           ) -> tuple[float, Grid, np.ndarray, np.ndarray]:
    """A turn's score; ``marks``: diacritics above the letters seen this way up; ``shape``:
    count the template's page shape (only when the writing did not decide the axis)."""
    k = undo_turns(rot)
    hm, vm = (hmask, vmask) if k % 2 == 0 else (vmask, hmask)
    hm, vm = np.ascontiguousarray(np.rot90(hm, k)), np.ascontiguousarray(np.rot90(vm, k))
    turned = np.ascontiguousarray(np.rot90(ink, k))
    grid = grid_from_masks(hm, vm, turned)
    cmap = map_columns(grid.v_lines, template) if grid.found else None
    score = 0.5 * cmap.score if cmap else 0.0
    if grid.found:
        score += NUMBERS_W * _header_on_top(grid) + TITLE_W * _title_above(turned, grid)
    score += MARKS_W * marks
    rows, cols = hm.shape
    if shape and (template.orientation == "landscape") == (cols > rows):
        score += 1.0
    return score, grid, hm, vm


def orient(ink: np.ndarray, template: Template) -> Orientation:
    """Find the page's quarter turn from a deskewed ink mask. The writing's direction picks
    the axis (two turns); the header's place picks the half turn. When the writing does not
    say, the template's page shape (landscape/portrait) counts and all four are scored."""
    hmask, vmask = line_masks(ink, line_length(ink.shape))
    words = text_ink(ink, hmask, vmask)
    axis = text_axis(words)
    if abs(axis) < AXIS_SURE:  # faint writing binarised into pieces of letters: the letter
        wider = text_axis(words, join=2 * WORD_JOIN)  # size is a piece's: join them wider
        axis = wider if abs(wider) >= AXIS_SURE else axis
    text = letters_ink(ink, hmask, vmask)
    comps = _components(text)
    shape = abs(axis) < AXIS_SURE
    if shape:
        turns: tuple[int, ...] = (0, 90, 180, 270)
    else:
        turns = (0, 180) if axis > 0 else (90, 270)
    marks: dict[int, float] = {}
    for base in sorted({r % 180 for r in turns}):  # a half turn flips the marks
        m = marks_above(text, base == 90, comps)
        marks[base], marks[base + 180] = m, -m
    results = {r: _score(ink, hmask, vmask, r, template, marks[r], shape) for r in turns}
    best = max(results, key=lambda r: results[r][0])
    scores = {r: round(v[0], 3) for r, v in results.items()}
    log.debug("orientation: text axis %.3f, scores %s -> %d", axis, scores, best)
    _, grid, hm, vm = results[best]
    return Orientation(best, scores, grid, hm, vm)


def orientation_scores(ink: np.ndarray, template: Template) -> dict[int, float]:
    """Score of each scan rotation (0/90/180/270, counter-clockwise) for a deskewed ink mask."""
    hmask, vmask = line_masks(ink, line_length(ink.shape))
    text = letters_ink(ink, hmask, vmask)
    comps = _components(text)
    out = {}
    for r in (0, 90, 180, 270):
        m = marks_above(text, r % 180 == 90, comps) * (1 if r < 180 else -1)
        out[r] = _score(ink, hmask, vmask, r, template, m, True)[0]
    return out


def detect_orientation(image: np.ndarray, template: Template) -> int:
    """Rotation (0, 90, 180 or 270 degrees counter-clockwise, as ``np.rot90``) of a deskewed
    scan relative to the upright page. ``image`` is a binary ink mask (ink=255) or a page."""
    ink = image
    if image.ndim == 3 or np.count_nonzero((image != 0) & (image != 255)):
        ink = binarize(normalize_background(to_grey(image)))
    return orient(ink, template).rotation
