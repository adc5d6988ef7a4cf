"""Row boundaries of the table body from ruling lines AND the handwriting between them.

Hand-ruled and worn registers lose row lines, draw them wobbly, and have rows of uneven height,
so the height of a slot alone cannot say how many rows it holds (two short rows are as tall as
one tall row). Each boundary is chosen by dynamic programming over candidate positions from the
body's top line to its bottom line:

* a found ruling line is a cheap boundary (the stronger, the cheaper), and leaving one out
  costs, unless writing runs through it (joined-up writing makes weak "lines" mid-row: a weak
  one with writing through it counts as much as no line there);
* a boundary where no line was found is expensive, unless the writing leaves a gap there across
  every written column with writing above and below it: that is where a missing line was;
  it never goes through an entry number, and between two numbers it lies midway;
* a row holding two entry numbers is two rows (a tall row may have a gap in its writing,
  but it has one number; two short rows whose line is missing have two);
* a row about two rows tall whose one number sits low, under a gap clean across every column
  with a row's worth of writing above it, is a continuation (a long entry's wrapped values,
  whose line is missing) over the next entry: it is cut at the gap;
* a written row whose writing hugs one end, the other end long and empty, took in a blank
  row;
* a row's height costs nothing from 0.55 to 1.9 of the usual (short) row height and grows steeply
  outside it (no sliver rows, no slot of three rows taken as one); between two well-drawn
  lines (strength >= 0.8, or the body's top and bottom) from 0.42.

Blank rows at the bottom are cut at the usual height. Everything is measured on the work page at
the table's centre line, with each column's profile shifted along the body's top and bottom
lines (a tilted or curled page).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from preprocessing.columns import ColumnMap
from preprocessing.geometry import clamp
from preprocessing.layout import RuledLine

FLAT = (0.55, 1.9)  # row heights (x the usual, read off the short rows) that cost nothing
MISSING = 1.2  # a boundary without a line and without a writing gap
GAP_REWARD = 1.0  # taken off MISSING at a clean gap between written bands
TWO_NUMBERS = 2.0  # a row holding two entry numbers (per number beyond the first)
EMPTY_END = 1.5  # a written row whose empty end is 0.7 rows longer than its other end
WIDE_GAP = 0.3  # more off MISSING where that gap is clean and tall (a quarter row)
SKIP = 0.9  # leaving out a full-strength line that has no writing across it
CUT_NUMBER = 1.0  # a boundary without a (well-drawn) line through an entry number
MIDWAY = 0.3  # a boundary without a line at a number's edge rather than between two
MIDWAY_REACH = 3.0  # ... two numbers at most this many rows apart
CONTINUED = 0.6  # a row's number low under a clean gap with writing above it
SHORT_DRAWN = 0.42  # the low end of FLAT for a row between two well-drawn lines
DRAWN = 0.8  # the strength of a well-drawn line (found in most strips, its ink across the table)


@dataclass(frozen=True)
class Boundary:
    """A row boundary: ``line`` itself (t == 0) or a blend ``t`` of the way from ``line`` to
    ``below`` (a boundary where a line is missing follows its neighbours' shape)."""

    line: RuledLine
    below: RuledLine | None = None
    t: float = 0.0


def _height_cost(r: np.ndarray, lo: np.ndarray | float = FLAT[0]) -> np.ndarray:
    hi = FLAT[1]
    lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), r.shape)
    c = np.zeros_like(r)
    small = r < lo
    big = r > hi
    c[small] = (np.log(r[small] / lo[small]) / 0.12) ** 2
    c[big] = (np.log(r[big] / hi) / 0.15) ** 2
    return c


def without_rules(clean: np.ndarray, he: float) -> np.ndarray:
    """``clean`` without what is left of ruling lines: straight vertical strokes over half a
    row tall and straight horizontal ones over 0.4 of a row long. A column line the grid did
    not find (a hand-drawn one, wandering off the place the template put it) runs through
    every row of its column, which then has no gap between entries and "writing" the whole
    way down (the entry-number column of a hand-ruled book); a hand-drawn row line that
    wanders off its fitted curve near the table's edge leaves stubs that pass for writing at
    every row's top. A letter's stroke is shorter, and handwriting is neither straight nor
    level over that length. (Not for finding strike-through strokes: a shallow one is level
    enough to go.)"""
    import cv2

    tall, long = max(12, int(0.5 * he)), max(12, int(0.4 * he))
    out = clean
    for size, wobble, grow in (((tall, 1), (1, 3), (3, 5)), ((1, long), (3, 1), (5, 3))):
        wide = cv2.dilate(clean, np.ones(wobble, np.uint8))  # a hand-drawn line drifts
        rules = cv2.morphologyEx(wide, cv2.MORPH_OPEN, np.ones(size, np.uint8))
        if rules.any():
            out = cv2.bitwise_and(out, cv2.bitwise_not(cv2.dilate(rules, np.ones(grow,
                                                                                 np.uint8))))
    return out


def column_profiles(clean: np.ndarray, cmap: ColumnMap, top: RuledLine, bottom: RuledLine,
                    y0: int, y1: int, guides: list[RuledLine] | tuple[RuledLine, ...] = ()
                    ) -> tuple[np.ndarray, list[int]]:
    """Ink per row of each column (columns x (y1 - y0)), straightened along the body's top
    and bottom lines, measured between the column's lines with a margin (wobbly ruling);
    and the template column index of each profile (columns cut off the image have none).
    With ``guides`` (well-drawn row lines) the straightening follows the nearest guide above
    and below each row instead: on a photographed or hand-ruled page the inner lines bend
    otherwise than the header's line and the bottom one, and a row line at the number
    column came 12-20 px off its place in the profile (a number under it counted as the row
    above's)."""
    b = cmap.boundaries
    xm = 0.5 * (b[0].pos + b[-1].pos)
    h, w = clean.shape
    ys = np.arange(y0, y1, dtype=np.float64)
    out = []
    idx: list[int] = []
    for ci in range(len(b) - 1):
        if ci in cmap.cut:
            continue
        xa, xb = float(b[ci].pos), float(b[ci + 1].pos)
        inset = max(3.0, min(8.0, 0.12 * (xb - xa)))
        ia, ib = int(max(0, xa + inset)), int(min(w, xb - inset))
        if ib - ia < 3:
            continue
        rows = np.clip(np.round(at_column(ys, 0.5 * (xa + xb), xm, top, bottom, y0, y1,
                                          guides)).astype(int), 0, h - 1)
        prof = np.count_nonzero(clean[:, ia:ib], axis=1)
        out.append(prof[rows])
        idx.append(ci)
    return np.array(out, dtype=np.float64).reshape(len(out), len(ys)), idx


def at_column(ys: np.ndarray, xc: float, xm: float, top: RuledLine, bottom: RuledLine,
              y0: float, y1: float, guides: list[RuledLine] | tuple[RuledLine, ...] = ()
              ) -> np.ndarray:
    """The image rows at x = ``xc`` of the rows ``ys`` measured at the table's centre line
    ``xm``: shifted as the row lines are there (see ``column_profiles``)."""
    if len(guides) >= 2:
        g = sorted(guides, key=lambda ln: float(ln.at(xm)))
        gy = np.array([float(ln.at(xm)) for ln in g])
        gd = np.array([float(ln.at(xc)) - float(ln.at(xm)) for ln in g])
        return ys + np.interp(ys, gy, gd)
    tt = (ys - y0) / max(1.0, y1 - y0)
    d_top = float(top.at(xc)) - float(top.at(xm))
    d_bot = float(bottom.at(xc)) - float(bottom.at(xm))
    return ys + (1 - tt) * d_top + tt * d_bot


def number_marks(num: np.ndarray | None, he: float) -> np.ndarray:
    """Centres (row indexes) of the separate pieces of writing in the entry-number column:
    every entry has one number, so a row holding two numbers is two entries."""
    return mark_runs(num, he)[0]


def mark_runs(num: np.ndarray | None, he: float) -> tuple[np.ndarray, np.ndarray]:
    """(centres, heights) of the pieces of writing in the entry-number column."""
    if num is None or len(num) == 0:
        return np.zeros(0), np.zeros(0)
    idx = np.nonzero(num >= 2)[0]
    if len(idx) == 0:
        return np.zeros(0), np.zeros(0)
    gap = max(2, int(0.2 * he))
    runs = np.split(idx, np.nonzero(np.diff(idx) > gap)[0] + 1)
    # a number is a few millimetres tall whatever the row height (8 px at the analysis scale)
    least = max(3.0, min(0.08 * he, 8.0))
    kept = [r for r in runs if r[-1] - r[0] + 1 >= least]
    # specks (noise, a stray dot) chained into a run have a fraction of a number's ink, and
    # rows without ink inside the run; a small one-stroke number ("1" in a short first row
    # of a hand-ruled book, a quarter of a two-digit number's ink) is solid its whole height
    mass = np.array([num[r[0]:r[-1] + 1].sum() for r in kept])
    if len(kept) >= 3:
        tall = np.array([r[-1] - r[0] + 1 for r in kept], dtype=np.float64)
        solid = [float(np.mean(num[r[0]:r[-1] + 1] >= 2)) >= 0.6 for r in kept]
        kept = [r for r, m, t, s in zip(kept, mass, tall, solid, strict=True)
                if m >= 0.25 * np.median(mass) or (s and t >= 0.4 * np.median(tall))]
    return (np.array([0.5 * (r[0] + r[-1]) for r in kept]),
            np.array([r[-1] - r[0] + 1 for r in kept], dtype=np.float64))


def height_from_numbers(num: np.ndarray | None, slots: np.ndarray, he: float) -> float:
    """The usual row height, corrected by the entry numbers: when most row lines are missing
    (a hand-ruled book with a line every two or three rows) the gaps between the found lines
    span several rows each and ``he`` comes out as one of them; the numbers written in one such
    slot, one per entry, are a row apart. ``slots``: the found lines' positions (rows of
    ``num``). Numbers a row apart are several of their own heights apart (pieces of one number
    are not), and a slot holding k of them is about k rows tall."""
    for probe in (0.5, 0.33):  # the marks' size and spacing are unknown: a row may hold 2-3
        marks, sizes = mark_runs(num, probe * he)
        diffs: list[float] = []
        tall: list[tuple[float, int]] = []
        for a, b in zip(slots[:-1], slots[1:], strict=True):
            inside = marks[(marks > a) & (marks < b)]
            if len(inside) >= 2:
                diffs += list(np.diff(inside))
                tall.append((float(b - a), len(inside)))
        if len(diffs) < 2:
            continue
        step = float(np.median(diffs))
        if not 0.25 * he <= step < 0.75 * he or step < 3.0 * float(np.median(sizes)):
            continue
        if all(0.7 * k <= h / step <= 1.6 * k for h, k in tall):
            return step
    return he


def numbers_pitch(num: np.ndarray | None, he: float, lines: int) -> float:
    """The usual row height from the entry numbers down the whole table (``num``: the number
    column's ink per row, ruling removed), when the ruling cannot say: ``lines`` row lines were
    found for more numbers than that (a hand-ruled book drawn faintly), and the gaps between
    the few found lines give a height that is no row's. Consecutive numbers are a row apart
    (the short end of their spacing; the header's print and a long entry make the outliers)."""
    marks, sizes = mark_runs(num, 0.5 * he)
    if len(marks) < 5 or lines >= len(marks):
        return he
    d = np.diff(marks)
    m = float(np.median(d))
    core = d[(d > 0.6 * m) & (d < 1.4 * m)]
    if len(core) < 4:
        return he
    pitch = float(np.median(core))
    if pitch < 2.0 * float(np.median(sizes)) or abs(pitch - he) <= 0.3 * he:
        return he
    return pitch


def gap_evidence(prof: np.ndarray, he: float, widen: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(free, between) per row: the share of written columns with no ink within ``widen``
    plus a few rows of it, and whether writing lies both above and below it (within one row
    height)."""
    n = prof.shape[1]
    if prof.size == 0:
        return np.ones(n), np.zeros(n)
    occ = prof >= 2
    r = max(1, int(round(0.03 * he))) + widen
    k = np.ones(2 * r + 1)
    near = np.array([np.convolve(o.astype(np.float64), k, mode="same") > 0 for o in occ])
    active = occ.any(axis=1)
    if not active.any():
        return np.ones(n), np.zeros(n)
    free = 1.0 - near[active].mean(axis=0)
    any_ink = occ[active].sum(axis=0) > 0
    c = np.r_[0, np.cumsum(any_ink)]
    lo_w, hi_w = int(0.1 * he), int(0.8 * he)
    idx = np.arange(n)
    above = c[np.clip(idx - lo_w, 0, n)] - c[np.clip(idx - hi_w, 0, n)]
    below = c[np.clip(idx + hi_w, 0, n)] - c[np.clip(idx + lo_w, 0, n)]
    between = ((above >= 2) & (below >= 2)).astype(np.float64)
    return free, between


def _free_width(mask: np.ndarray) -> np.ndarray:
    """For each row: the length of the run of True rows it lies in (0 where False)."""
    out = np.zeros(len(mask))
    idx = np.nonzero(mask)[0]
    if len(idx) == 0:
        return out
    for r in np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1):
        out[r] = len(r)
    return out


def _runs_at_least(mask: np.ndarray, k: int) -> np.ndarray:
    """``mask`` without its runs of True shorter than ``k``."""
    idx = np.nonzero(mask)[0]
    out = np.zeros_like(mask)
    if len(idx) == 0:
        return out
    for r in np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1):
        if len(r) >= k:
            out[r] = True
    return out


def _continued_from(n_above: np.ndarray, marks: np.ndarray, tops: np.ndarray,
                    node_j: np.ndarray, next_ink: np.ndarray, prev_gap: np.ndarray,
                    he: float) -> tuple[np.ndarray, np.ndarray]:
    """For a row starting at each node: whether the first number below it has a row's worth
    of writing above a gap clean across every written column, the gap above the number (see
    ``CONTINUED``), and that number's y (inf when none)."""
    ok = np.zeros(len(n_above), bool)
    mark_y = np.full(len(n_above), np.inf)
    if len(marks) == 0:
        return ok, mark_y
    k = np.clip(n_above, 0, len(marks) - 1)
    top_idx = np.clip(np.round(tops[k]).astype(int) - max(2, int(0.05 * he)), 0,
                      len(prev_gap) - 1)
    g = prev_gap[top_idx]
    ok = (n_above < len(marks)) & (g - node_j >= 0.6 * he) & (next_ink[node_j] < g)
    mark_y = np.where(n_above < len(marks), marks[k], np.inf)
    return ok, mark_y


def fit_rows(top: RuledLine, bottom: RuledLine, inner: list[RuledLine], prof: np.ndarray,
             he: float, xm: float, y_origin: float | None = None,
             num: np.ndarray | None = None) -> list[Boundary]:
    """Row boundaries from ``top`` to ``bottom`` (both kept): ``inner`` are the candidate
    ruling lines between them, ``prof`` the straightened column profiles of the body (rows
    from ``y_origin``, default the top line at ``xm``), ``num`` the entry-number column's
    profile. Dynamic programming, see the module's docstring."""
    y0 = float(top.at(xm))
    y1 = float(bottom.at(xm))
    org = y0 if y_origin is None else float(y_origin)
    n = prof.shape[1]
    free, between = gap_evidence(prof, he)
    # a line's own band was removed from the ink: look past it for writing running through
    free_line, _ = gap_evidence(prof, he, widen=3)
    wide = _free_width(free >= 0.95) / he  # how tall the clean gap around each row is
    step = max(2.0, he / 25.0)
    ys_line = [float(ln.at(xm)) for ln in inner]
    grid = list(np.arange(y0 + step, y1 - 0.5 * step, step))
    grid = [y for y in grid if all(abs(y - yl) > 0.15 * he for yl in ys_line)]
    nodes = [(y0, top, 0.0)] + [(y, None, 0.0) for y in grid]
    nodes += [(yl, ln, 0.0) for yl, ln in zip(ys_line, inner, strict=True)]
    nodes.append((y1, bottom, 0.0))
    nodes.sort(key=lambda t: t[0])
    ys = np.array([t[0] for t in nodes])
    centres, sizes = mark_runs(num, he)
    order = np.argsort(centres)
    marks, tops = centres[order] + org, (centres - 0.5 * sizes)[order]
    # a boundary through an entry number
    cuts = np.zeros(n, bool)
    for c, sz in zip(centres, sizes, strict=True):
        cuts[int(max(0, np.ceil(c - 0.5 * sz + 1))):int(max(0, np.floor(c + 0.5 * sz)))] = True
    # between two numbers, with no line and no gap to go by, the boundary lies midway
    # between them (each number is written in its own row): off the middle costs a little;
    # not between numbers over three rows apart (numbers in between were not
    # found: a faint pen), where the middle says nothing
    off_mid = np.zeros(n)
    ends = sorted(zip(centres - 0.5 * sizes, centres + 0.5 * sizes, strict=True))
    for (_, b0), (t1, _) in zip(ends[:-1], ends[1:], strict=True):
        lo_r, hi_r = int(max(0, np.floor(b0))), int(min(n, np.ceil(t1) + 1))
        if 2 <= hi_r - lo_r <= MIDWAY_REACH * he:
            mid, half = 0.5 * (b0 + t1), max(1.0, 0.5 * (t1 - b0))
            off_mid[lo_r:hi_r] = np.abs(np.arange(lo_r, hi_r) - mid) / half
    # cost of a boundary at each node, and of leaving a line out (prefix sums)
    node_cost = np.zeros(len(nodes))
    skip_cost = np.zeros(len(nodes))
    for i, (y, ln, _) in enumerate(nodes):
        j = int(clamp(round(y - org), 0, n - 1))
        f = float(free[j])
        gap = float(clamp((f - 0.7) / 0.25, 0.0, 1.0)) * float(between[j])
        # a gap across every written column as tall as two rows' margins is where a
        # missing line was (two text lines of one tall entry leave a narrower one, and
        # a centred one-line cell beside them fills it)
        gap += WIDE_GAP * float(clamp(float(wide[j] - 0.15) / 0.1, 0.0, 1.0)) * float(
            between[j])
        no_line = (MISSING - GAP_REWARD * gap + CUT_NUMBER * float(cuts[j])
                   + MIDWAY * float(off_mid[j]))
        if ln is None:
            node_cost[i] = no_line
        elif 0 < i < len(nodes) - 1:
            s = min(1.0, ln.strength)
            fl = float(free_line[j])
            # a weak "line" with writing running through it is made by the writing: it
            # counts as much as no line there
            through = float(clamp((0.85 - fl) / 0.5, 0.0, 1.0))
            skip_cost[i] = SKIP * s * (0.3 + 0.7 * fl)
            node_cost[i] = (-0.5 * s + 2.0 * (1.0 - s) * through
                            + CUT_NUMBER * (1.0 - s) * float(cuts[j]))
            if s < 0.6:
                node_cost[i] = max(node_cost[i], through * no_line)
                skip_cost[i] *= 1.0 - through
    csum = np.r_[0.0, np.cumsum(skip_cost)]
    # where the writing is: a row whose writing leaves a long empty stretch at its top or
    # bottom took in a blank row whose line is missing (blank rows under the last entry)
    inked = _runs_at_least((prof >= 3).any(axis=0) if prof.size else np.zeros(n, bool),
                           max(3, int(0.1 * he)))  # specks a line left are no writing
    rows_idx = np.arange(n)
    last_ink = np.maximum.accumulate(np.where(inked, rows_idx, -1))
    next_ink = np.minimum.accumulate(np.where(inked, rows_idx, n)[::-1])[::-1]
    node_j = np.clip(np.round(ys - org).astype(int), 0, n - 1)
    # numbers above each node: a row from node i to j holds marks[i] .. marks[j] of them
    n_above = np.searchsorted(marks, ys)
    # where a row holds one number low down and writing above a gap clean across every
    # column over that number: the writing above is no part of this entry
    gap_at = np.where(free >= 0.95, rows_idx, -1)
    cont_ok, cont_y = _continued_from(n_above, marks, tops, node_j, next_ink,
                                      np.maximum.accumulate(gap_at), he)
    drawn = np.array([ln is not None and (ln.strength >= DRAWN or k in (0, len(nodes) - 1))
                      for k, (_, ln, _) in enumerate(nodes)])
    best = np.full(len(nodes), np.inf)
    back = np.zeros(len(nodes), int)
    best[0] = 0.0
    max_h = 3.2 * he
    lo = 0
    for j in range(1, len(nodes)):
        while ys[j] - ys[lo] > max_h and lo < j - 1:
            lo += 1
        i = np.arange(lo, j)
        hgt = (ys[j] - ys[i]) / he
        extra = np.maximum(0, n_above[j] - n_above[i] - 1)
        a, bj = node_j[i], node_j[j]
        lo_ink, hi_ink = next_ink[a], last_ink[bj]
        written = lo_ink < bj
        # writing hugging one end (not centred, as in a tall row): the other end is blank
        lop = np.abs((lo_ink - a) - (bj - hi_ink)) / he
        empty = np.where(written, lop, 0.0)
        extra = extra + np.clip((empty - 0.45) / 0.25, 0.0, 1.0) * (EMPTY_END / TWO_NUMBERS)
        # a row about two rows tall holding one number in its lower part (past 0.62 of the
        # row) under a clean gap with a row's worth of writing above it: that writing
        # continues the entry above (a long entry wrapped into the next printed row, whose
        # line is missing) and this row's entry starts at the gap (a tall row of one entry
        # may have a gap between its lines and its number low down, not all three)
        hh = ys[j] - ys[i]
        low = (cont_ok[i] & (n_above[j] - n_above[i] == 1) & (hh >= 1.45 * he)
               & (cont_y[i] - ys[i] >= 0.62 * hh))
        extra = extra + low * (CONTINUED / TWO_NUMBERS)
        # between two well-drawn lines a short row is printed so: uneven hand-ruled rows
        # are down to 0.45 of the usual height (the usual read off the short rows may be
        # their median when few lines are missing)
        lo_h = np.where(drawn[i] & drawn[j], SHORT_DRAWN, FLAT[0])
        cost = (best[i] + _height_cost(hgt, lo_h) + (csum[j] - csum[i + 1]) + node_cost[j]
                + TWO_NUMBERS * extra)
        k = int(np.argmin(cost))
        best[j], back[j] = cost[k], int(i[k])
    chosen = [len(nodes) - 1]
    while chosen[-1] != 0:
        chosen.append(int(back[chosen[-1]]))
    chosen.reverse()
    # a boundary without a line: a blend of the nearest lines above and below
    lines_at = [(t[0], t[1]) for t in nodes if t[1] is not None]
    out: list[Boundary] = []
    for c in chosen:
        y, ln, _ = nodes[c]
        if ln is not None:
            out.append(Boundary(ln))
            continue
        a = max((p for p in lines_at if p[0] <= y), key=lambda p: p[0])
        bl = min((p for p in lines_at if p[0] >= y), key=lambda p: p[0])
        t = (y - a[0]) / max(1e-6, bl[0] - a[0])
        out.append(Boundary(a[1], bl[1], float(t)))
    return out
