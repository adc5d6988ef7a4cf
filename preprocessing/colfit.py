"""Columns from the page: the found vertical lines define the columns, the template is a prior.

The template gives the columns' order, count and rough widths. Real books print the same form
with other proportions (any column may be half or twice its template width), lose lines, and
get cropped at a side. So the found lines are aligned to the template's boundaries by dynamic
programming over the two sequences (monotone: boundary j < j' sits on line i < i'), scoring
each matched span by how far its width is from the template's (in log ratio, so 0.5x and 2x
cost the same), a boundary without a line, and a well-drawn line left unused; the printed
header's own ruling counts too (a line it continues is hard to leave out, a separator of its
whose body line is lost is a candidate boundary). The table's
scale is searched too, so a table cut at the image's edge maps its visible lines onto the
columns they belong to and the rest are "cut". A boundary whose line is missing is then put at
the whitespace valley of the ink between its neighbours (:func:`split_at_valleys`), not at a
fixed fraction. A book's consensus boundaries (:mod:`preprocessing.consensus`) can replace the
template's widths as the prior.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np

from preprocessing.colplace import COVER, header_separators, off_separator, separators
from preprocessing.colsides import open_sides, paper_extent, row_extent
from preprocessing.colsplit import blend, shift, split_at_valleys
from preprocessing.columns import ColumnMap, template_boundaries
from preprocessing.layout import Grid, RuledLine
from sohoa.template import Template

__all__ = ["blend", "columns_of_page", "fit_columns", "shift", "split_at_valleys"]

MISS = 2.2  # a boundary inside the image with no line
CUT = 0.6  # a boundary beyond the image's edge (cropped scan)
EXTRA_STRONG = 1.6  # a well-drawn line that is no boundary
EXTRA_WEAK = 0.25
# spread of log(width / template width) of one column: 0.45 puts a column at half or twice
# its width (the range the product is built for) at 1.2, cheaper than a missing line (MISS);
# at 0.33 it cost 2.2, and a book whose columns all sit near that range made the fit leave
# out well-drawn lines (wide-columns training family: 84 -> 94 of 100 easy pages right)
SIGMA = 0.45
MAX_RATIO = 2.3  # beyond this a span is unlikely to be that many columns: BEYOND more
BEYOND = 2.0
HARD_RATIO = 3.2  # beyond this it cannot be
MAX_SKIP_B = 6  # boundaries skipped between two matched lines (5 lines lost in a row)
MAX_SKIP_L = 3  # well-drawn lines skipped between two matched boundaries, plus one
MAX_SKIP_WEAK = 8  # lines of any strength skipped there (faint dashes, pen strokes cluster)
STRONG = 0.6
PRIOR_EDGE = 1.0  # cost margin within which a book's consensus beats the template
BOOK_SPREAD = 0.15  # how far a placed boundary may move to a valley from where the book has it
ANCHOR = 3.0  # a column whose header word was read outside it
CONFIRMED = 1.5  # added to leaving out a line the header's own separator continues
# ... when the header shows exactly one separator per boundary: the printed form's ruling
# names every column, and a well-drawn line it continues is no stray one
CONFIRMED_ALL = 4.0
SEP_MATCH = 0.5  # a boundary on a header separator whose body line is missing
SEP_STRENGTH = 0.05  # strength given to such a separator taken as a candidate line
SEP_NEAR = 6.0  # pixels: a separator this close to a found line is that line
FRAME = 4.0  # leaving out the outer line the row lines end at (a closed side)
FRAME_NEAR = 8.0  # pixels between the row lines' end and that line
INSIDE = 4.0  # the table's outer boundary inside the row lines' extent (they run on past it)
INSIDE_TOL = 0.02  # of the lines' span: row lines overshooting a (hand-drawn) frame
SHOWS = 0.2  # share of a column on the page under which it is cut off (else it is read)
WIDER = 4.0  # cost per unit of log(table width / image width) of a table cut at a side


def _wcost(obs: float, exp: float) -> float:
    if exp <= 0 or obs <= 0:
        return math.inf
    r = obs / exp
    if r < 1.0 / HARD_RATIO or r > HARD_RATIO:
        return math.inf
    lr = math.log(r)
    beyond = BEYOND if r < 1.0 / MAX_RATIO or r > MAX_RATIO else 0.0
    return lr * lr / (2 * SIGMA * SIGMA) + beyond


def _anchor_cost(anchors: dict[int, float], c0: int, c1: int, x0: float, x1: float) -> float:
    """Columns c0..c1-1 lie between x0 and x1: each header word read outside costs ANCHOR."""
    return ANCHOR * sum(1 for c in range(c0, c1) if c in anchors and not x0 < anchors[c] < x1)


def _align(pos: np.ndarray, strong: np.ndarray, frac: np.ndarray, scale: float,
           width: float, open_sides: tuple[bool, bool],
           anchors: dict[int, float] | None = None, confirmed: np.ndarray | None = None,
           sep: np.ndarray | None = None, frame: np.ndarray | None = None,
           extent: tuple[float, float] | None = None, confirmed_cost: float = CONFIRMED
           ) -> tuple[float, list[tuple[int, int]]]:
    """Best monotone assignment of boundaries (``frac``) to lines (``pos``) at ``scale``
    pixels per table width; returns its cost and the (boundary, line) pairs. Boundaries may
    fall off the image only on an ``open_sides`` side (left, right). ``confirmed``: lines
    the header's separator continues (leaving one out costs ``CONFIRMED`` more); ``sep``:
    candidates that are only a header separator (a boundary on one costs ``SEP_MATCH``);
    ``frame``: the table's outer lines (leaving one out costs ``FRAME``); ``extent``: the
    x-range the row lines span: the table's outer boundaries lie at its ends or beyond (a
    frame put well inside it costs ``INSIDE``: the row lines would run on past the table)."""
    k, nb = len(pos), len(frac)
    skip_cost = np.where(strong, EXTRA_STRONG, EXTRA_WEAK)
    if confirmed is not None:
        skip_cost = skip_cost + np.where(confirmed, confirmed_cost, 0.0)
    if frame is not None:
        skip_cost = skip_cost + np.where(frame, FRAME, 0.0)
    on = np.zeros(k)
    if sep is not None:  # the printed header's ruling: leaving a separator out costs too
        on = np.where(sep, SEP_MATCH, 0.0)
    before = np.r_[0.0, np.cumsum(skip_cost)]  # cost of skipping lines [0, i)
    n_strong = np.r_[0, np.cumsum(strong)]  # well-drawn lines among [0, i)
    inf = math.inf
    best = np.full((nb, k), inf)
    back: dict[tuple[int, int], tuple[int, int]] = {}

    tol = INSIDE_TOL * float(pos[-1] - pos[0]) if len(pos) else 0.0

    def inside(p: float, j: int, side: int) -> float:
        """``INSIDE`` when the table's outer boundary on ``side``, boundary ``j`` on line
        position ``p``, lies well inside the row lines' extent."""
        if extent is None:
            return 0.0
        if side < 0:
            return INSIDE if p - scale * (frac[j] - frac[0]) > extent[0] + tol else 0.0
        return INSIDE if p + scale * (frac[-1] - frac[j]) < extent[1] - tol else 0.0

    def edge_cost(p: float, j: int, side: int) -> float:
        """Boundaries beyond the first (side -1) or last (+1) matched one, boundary ``j`` on
        line position ``p``: missing when they lie on the image; on an open side the outer
        ones may be cut instead (:func:`_open_edge`)."""
        if (j == 0 and side < 0) or (j == nb - 1 and side > 0):
            return inside(p, j, side)
        others = frac[:j] if side < 0 else frac[j + 1:]
        xs = p + scale * (others - frac[j])
        off = (xs < -0.01 * width) if side < 0 else (xs > 1.01 * width)
        if not open_sides[0 if side < 0 else 1]:
            return MISS * len(xs) + (math.inf if off.any() else 0.0) + inside(p, j, side)
        edge = (0.0 if side < 0 else width) if extent is None else extent[0 if side < 0 else 1]
        on = side * (edge - xs) >= -0.01 * width  # before the row lines' (the paper's) end
        return _open_edge(p, xs[::-1] if side < 0 else xs, on[::-1] if side < 0 else on,
                          side, edge)[0] + inside(p, j, side)

    for j in range(nb):
        for i in range(k):
            c0 = before[i] + on[i] + edge_cost(pos[i], j, -1)
            if anchors and j:
                c0 += _anchor_cost(anchors, 0, j, -math.inf, pos[i])
            cand, arg = c0, (-1, -1)
            for dj in range(1, min(MAX_SKIP_B, j) + 1):
                jp = j - dj
                exp = scale * (frac[j] - frac[jp])
                for di in range(1, min(MAX_SKIP_WEAK, i) + 1):
                    ip = i - di
                    if n_strong[i] - n_strong[ip + 1] >= MAX_SKIP_L:
                        break  # too many well-drawn lines between: no column is that wide
                    prev = best[jp, ip]
                    if prev == inf:
                        continue
                    wc = _wcost(pos[i] - pos[ip], exp)
                    if wc == inf:
                        continue
                    c = prev + wc + MISS * (dj - 1) + (before[i] - before[ip + 1]) + on[i]
                    if anchors:
                        c += _anchor_cost(anchors, jp, j, pos[ip], pos[i])
                    if c < cand:
                        cand, arg = c, (jp, ip)
            best[j, i] = cand
            if arg[0] >= 0:
                back[(j, i)] = arg
    total_best, end = inf, (-1, -1)
    for j in range(nb):
        for i in range(k):
            if best[j, i] == inf:
                continue
            tail = before[k] - before[i + 1] + edge_cost(pos[i], j, 1)
            if j < nb - 1:
                if anchors:
                    tail += _anchor_cost(anchors, j, nb - 1, pos[i], math.inf)
            if best[j, i] + tail < total_best:
                total_best, end = best[j, i] + tail, (j, i)
    pairs: list[tuple[int, int]] = []
    node = end
    while node[0] >= 0:
        pairs.append(node)
        node = back.get(node, (-1, -1))
    return total_best, pairs[::-1]


def _open_edge(p: float, xs: np.ndarray, on: np.ndarray, side: int, edge: float
               ) -> tuple[float, int]:
    """Cost of the boundaries ``xs`` (outward from the matched line at ``p``, where the
    template's widths put them; ``on``: inside the image) beyond an open side whose row lines
    end at ``edge``, and how many lie on the image: the first k are on the image with no line
    found (``MISS`` each), the rest cut (``CUT`` each). Columns vary in width, so the
    boundary the template's widths put last on the image may be cut instead (a wide column
    the edge runs through), one at most; the column the edge cuts through must then be at
    least as wide as what shows of it (a column drawn narrower than that costs as much wider
    as it must be)."""
    n = len(xs)
    n_on = int(np.cumprod(on).sum()) if n else 0
    if n_on == n:
        return MISS * n, n
    chain = np.r_[p, xs]
    ks = np.arange(max(0, n_on - 1), n_on + 1)
    vis = side * (edge - chain[ks])  # what shows of the column beyond chain[k]
    exp = np.abs(chain[ks + 1] - chain[ks])
    lr = np.log(np.maximum(vis, 1e-6) / np.maximum(exp, 1e-6))
    wide = np.where(vis > exp, np.minimum(3.0, lr * lr / (2 * SIGMA * SIGMA)), 0.0)
    cost = MISS * ks + CUT * (n - ks) + wide
    i = int(np.argmin(cost))
    return float(cost[i]), int(ks[i])


def fit_columns(v_lines: tuple[RuledLine, ...] | list[RuledLine], template: Template,
                width: float, prior: tuple[float, ...] | None = None,
                open_sides: tuple[bool, bool] = (False, False),
                anchors: dict[int, float] | None = None,
                cover: np.ndarray | None = None,
                table: tuple[float, float] | None = None,
                shows: tuple[float, float] | None = None) -> ColumnMap | None:
    """Column boundaries of a page from its vertical lines (``width``: the image's width).

    ``prior``: normalised boundaries (0..1, n+1 values) to use instead of the template's
    widths, e.g. a book's consensus. ``open_sides``: whether the table may run off the image
    at the left / right (its row lines reach the image's edge). ``anchors``: column index ->
    x where its header was read (preprocessing.header). ``cover``: per x, how much of the
    header band's lower part a vertical stroke runs through (``colplace.header_separators``):
    a found line the header continues is hard to leave out, and a separator whose body line
    was not found is a candidate boundary (the printed form's own ruling outweighs the
    template's widths). ``table``: the x-range the row lines span; ``shows``: the x-range
    where the page shows paper (a column mostly outside it is cut; default the image). None
    when fewer than two lines fit."""
    lines = sorted(v_lines, key=lambda ln: ln.pos)
    if len(lines) < 2:
        return None
    frac = np.asarray(prior, float) if prior is not None else template_boundaries(template)
    confirmed = None
    confirmed_cost = CONFIRMED
    inner = np.zeros(len(lines), bool)
    if cover is not None:
        lo, hi = lines[0].pos, lines[-1].pos
        # separators beyond the outermost found lines too, within the table's extent (its
        # row lines): a faded outer frame line
        a, b = (lo, hi) if table is None else (min(lo, table[0] - 8), max(hi, table[1] + 8))
        seps_all = separators(cover, int(a) + 1, int(b))
        if len(seps_all) == len(frac):
            confirmed_cost = CONFIRMED_ALL
        extra = [x for x in seps_all
                 if min(abs(x - ln.pos) for ln in lines) > SEP_NEAR]
        lines = sorted(lines + [RuledLine(pos=x, coeffs=(x,), strength=SEP_STRENGTH)
                                for x in extra], key=lambda ln: ln.pos)
        confirmed = np.array([_on_cover(cover, ln.pos) and ln.strength != SEP_STRENGTH
                              for ln in lines])
        inner = np.array([lo < ln.pos < hi for ln in lines])
    sep = np.array([ln.strength == SEP_STRENGTH and cover is not None for ln in lines])
    if confirmed is not None:
        confirmed = confirmed | (sep & inner)  # an inner separator is hard to leave out
    # a closed side whose row lines end at its outermost found line: that line is the frame
    frame = np.zeros(len(lines), bool)
    if table is not None:
        real = [i for i, ln in enumerate(lines) if not sep[i]]
        if real and not open_sides[0] and abs(lines[real[0]].pos - table[0]) <= FRAME_NEAR:
            frame[real[0]] = True
        if real and not open_sides[1] and abs(lines[real[-1]].pos - table[1]) <= FRAME_NEAR:
            frame[real[-1]] = True
    pos = np.array([ln.pos for ln in lines])
    strong = np.array([ln.strength >= STRONG for ln in lines])
    span = float(pos[-1] - pos[0])
    if span <= 0:
        return None

    def align(scale: float) -> tuple[float, list[tuple[int, int]]]:
        return _align(pos, strong, frac, scale, width, open_sides, anchors, confirmed, sep,
                      frame, table, confirmed_cost)

    cost, pairs = align(span)
    best: tuple[float, float, list[tuple[int, int]]] = (cost, span, pairs)
    # the table's outer lines at both ends fix its scale; otherwise (a cut or faded side)
    # the scale is searched. A side whose row lines run on to the image's edge may be cut
    # there, so its outermost line need not be the table's: the scale is searched then too
    # (else the columns still on the image are stretched over the whole table)
    whole = (bool(pairs) and pairs[0][0] == 0 and pairs[-1][0] == len(frac) - 1
             and not any(open_sides))
    for scale in ([] if whole else span * np.geomspace(0.9, 2.2, 14)):
        cost, pairs = align(float(scale))
        cost += WIDER * max(0.0, math.log(scale / width))  # a table wider than the image
        if cost < best[0] - 1e-9:
            best = (cost, float(scale), pairs)
    cost, scale, pairs = best
    if sum(1 for _, i in pairs if not sep[i]) < 2:
        return None
    edges = tuple(((table[i] if table is not None else (0.0, width)[i]) if open_sides[i]
                   else None) for i in (0, 1))
    return _build(lines, frac, pairs, shows or (0.0, width), cost, sep, edges)


def _on_cover(cover: np.ndarray, x: float, reach: int = 4) -> bool:
    """Whether the header's separator runs at ``x`` (within ``reach`` pixels)."""
    xi = int(round(x))
    part = cover[max(0, xi - reach):max(0, xi + reach + 1)]
    return bool(part.size) and float(part.max()) >= COVER


def _cut_beyond(out: list, end: int, side: int, edge: float, lim: tuple[float, float]
                ) -> None:
    """Beyond the outermost matched boundary ``end`` on an open ``side`` whose row lines end
    at ``edge``: the boundaries the alignment takes for cut (:func:`_open_edge`) but the
    template's widths put on the page are moved off it (past ``edge``)."""
    idx = list(range(end - 1, -1, -1)) if side < 0 else list(range(end + 1, len(out)))
    if not idx:
        return
    xs = np.array([out[j].pos for j in idx])
    on = side * (edge - xs) >= -0.01 * (lim[1] - lim[0])
    _, k = _open_edge(out[end].pos, xs, on, side, edge)
    if k < len(idx) and side * (edge + side - xs[k]) > 0:
        d = float(edge + side - xs[k])
        for j in idx[k:]:
            out[j] = shift(out[j], d)


def _build(lines: list[RuledLine], frac: np.ndarray, pairs: list[tuple[int, int]],
           lim: tuple[float, float], cost: float, sep: np.ndarray | None = None,
           edges: tuple[float | None, float | None] = (None, None)) -> ColumnMap:
    """The column map of an alignment; a column is cut when under ``SHOWS`` of it lies
    within ``lim`` (the x-range of the page that shows). ``edges``: where the row lines end
    on an open side (None: closed), as the alignment saw it."""
    nb = len(frac)
    sep = np.zeros(len(lines), bool) if sep is None else sep
    js = np.array([j for j, _ in pairs])
    ps = np.array([lines[i].pos for _, i in pairs])
    b, a = np.polyfit(frac[js], ps, 1)  # table scale and offset from the matched lines
    out: list[RuledLine | None] = [None] * nb
    real = [(j, i) for j, i in pairs if not sep[i]]
    for j, i in real:
        out[j] = lines[i]
    rj = [j for j, _ in real]
    # a boundary on a header separator: its body line has the shape of its found neighbours
    on_sep = {j: lines[i].pos for j, i in pairs if sep[i]}
    for j, x in on_sep.items():
        left = max((jj for jj in rj if jj < j), default=None)
        right = min((jj for jj in rj if jj > j), default=None)
        if left is not None and right is not None:
            la, ra = out[left], out[right]
            assert la is not None and ra is not None
            out[j] = blend(la, ra, (x - la.pos) / (ra.pos - la.pos))
        else:
            ref = out[left if left is not None else right]
            assert ref is not None
            out[j] = shift(ref, x - ref.pos)
    # boundaries between matched ones: proportional placement (refined at the ink's valley
    # later); beyond the ends: the template's widths at the fitted scale
    for j in range(nb):
        if out[j] is not None:
            continue
        left = max((jj for jj in js if jj < j), default=None)
        right = min((jj for jj in js if jj > j), default=None)
        if left is not None and right is not None:
            t = (frac[j] - frac[left]) / (frac[right] - frac[left])
            out[j] = blend(out[left], out[right], float(t))  # type: ignore[arg-type]
        else:
            ref = out[left if left is not None else right]
            assert ref is not None
            dx = b * (frac[j] - frac[left if left is not None else right])
            out[j] = shift(ref, float(dx))
    for side, edge in zip((-1, 1), edges, strict=True):
        if edge is not None:
            _cut_beyond(out, int(js.min() if side < 0 else js.max()), side, edge, lim)
    bounds = tuple(ln for ln in out if ln is not None)
    cut = tuple(ci for ci in range(nb - 1)
                if _visible(bounds[ci].pos, bounds[ci + 1].pos, lim) < SHOWS)
    used = {i for _, i in pairs}
    lo, hi = bounds[0].pos, bounds[-1].pos
    extra = sum(1 for i, ln in enumerate(lines)
                if i not in used and lo < ln.pos < hi and ln.strength >= STRONG)
    resid = float(cost / max(1, len(real)))
    return ColumnMap(bounds, matched=len(real), residual=resid / 100.0, extra=extra,
                     cut=cut, placed=tuple(j for j in range(nb) if j not in set(rj)),
                     cost=float(cost))


def _visible(x0: float, x1: float, lim: tuple[float, float]) -> float:
    if x1 <= x0:
        return 0.0
    return max(0.0, min(x1, lim[1]) - max(x0, lim[0])) / (x1 - x0)


def columns_of_page(grid: Grid, template: Template, ink: np.ndarray, hmask: np.ndarray,
                    vmask: np.ndarray, prior: tuple[float, ...] | None = None,
                    valid: np.ndarray | None = None, grey: np.ndarray | None = None
                    ) -> ColumnMap | None:
    """The page's columns: found lines aligned to the template (or to the book's ``prior``
    when that fits better); when lines are missing or extra or the fit is poor, the header
    is read from ``grey`` (preprocessing.header) and the alignment redone with it; missing
    lines placed at the ink's whitespace valley."""
    from preprocessing.header import header_anchors, in_doubt

    w = ink.shape[1]
    sides = open_sides(grid, hmask, valid)
    walls = cv2.bitwise_and(ink, cv2.bitwise_not(hmask))  # the column lines kept
    seps = header_separators(walls, grid, ink)
    cover = seps[0] if seps is not None else None
    table = row_extent(grid, hmask)
    paper = paper_extent(grid, valid, w)
    cmap = fit_columns(grid.v_lines, template, w, open_sides=sides, cover=cover, table=table,
                       shows=paper)
    frac = template_boundaries(template)
    use = None
    # the book's consensus only where the page's own lines are weak (never over strong ones)
    if prior is not None and len(prior) == len(frac) and (in_doubt(cmap) or bool(cmap.cut)):
        alt = fit_columns(grid.v_lines, template, w, prior, sides, cover=cover, table=table,
                          shows=paper)
        # the book's layout was measured on its pages: it wins unless clearly worse
        if alt is not None and (cmap is None or alt.cost <= cmap.cost + PRIOR_EDGE):
            cmap, frac, use = alt, np.asarray(prior, float), prior
    if grey is not None and in_doubt(cmap):
        anchors = header_anchors(grey, grid, template, ink, walls)
        if anchors:
            read = fit_columns(grid.v_lines, template, w, use, sides, anchors, cover, table,
                               paper)
            cmap = read if read is not None else cmap
    if cmap is None:
        return None
    clean = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.bitwise_or(hmask, vmask)))
    if cover is not None:
        cmap = off_separator(cmap, cover)
    out = split_at_valleys(cmap, clean, grid.bbox[1], grid.bbox[3], frac,
                           0.5 if use is None else BOOK_SPREAD, cover)
    return replace(out, prior_used=True) if use is not None else out
