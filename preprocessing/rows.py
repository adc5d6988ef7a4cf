"""Which horizontal lines are the table's rows: the usual row height, lines that fit it, the
table's top and bottom from the column lines, where the header ends, and lines that writing
made. Nothing here depends on a number of rows per page: the page says how many it has.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from preprocessing.columns import ColumnMap
from preprocessing.layout import RuledLine
from preprocessing.rowfit import DRAWN


def entry_height(lines: list[RuledLine] | tuple[RuledLine, ...]) -> float:
    """Usual height of an entry row, from the well-drawn lines (a gap over several rows whose
    line is missing counts as that many rows)."""
    strong = [ln for ln in lines if ln.strength >= 0.6]
    ys = np.array([ln.pos for ln in (strong if len(strong) >= 4 else lines)])
    gaps = np.diff(ys)
    body = gaps[1:] if len(gaps) > 3 else gaps
    # the most common gap: printed rows repeat, header and title lines do not
    near = np.abs(body[:, None] - body[None, :]) <= 0.08 * body[:, None]
    counts = near.sum(axis=1) + body / (body.max() + 1.0)  # ties go to the taller gap
    he = float(np.median(body[near[int(np.argmax(counts))]]))
    # rows of uneven height (hand-ruled books) with lines missing: no gap repeats, and the
    # most common one may span two rows; single rows are the short end of the gaps (slivers
    # under half the median are a number row or a stray line, not rows)
    rows = body[body >= 0.45 * np.median(body)]
    if len(rows) >= 3:
        single = rows[rows <= 1.45 * np.percentile(rows, 25)]
        low = float(np.median(single))
        if he > 1.3 * low:
            he = low
    for _ in range(2):  # refine with every gap that is a whole number of rows
        ratio = body / he
        k = np.round(ratio)
        ok = (k >= 1) & (k <= 4) & (np.abs(ratio - k) <= 0.15)
        if ok.any():
            he = float(np.median(body[ok] / k[ok]))
    return he


def plausible_lines(lines: list[RuledLine], he: float) -> list[RuledLine]:
    """Well-drawn lines, plus weak ones where a printed separator fits: one or two entry
    heights from a well-drawn line and not close to one. Joined-up handwriting makes weak
    "lines" mid-row; broken or faded ruling makes them where rows end."""
    strong = [ln for ln in lines if ln.strength >= 0.6]
    if len(strong) < 3:
        return lines
    sp = np.array([ln.pos for ln in strong])
    out = list(strong)
    for w in lines:
        if w.strength >= 0.6:
            continue
        d = np.abs(sp - w.pos)
        if d.min() < 0.6 * he:
            continue
        steps = d / he
        if np.any((np.abs(steps - np.round(steps)) <= 0.15) & (np.round(steps) <= 2)):
            out.append(w)
    out.sort(key=lambda ln: ln.pos)
    return _merge_near(out, 0.6 * he)


def _merge_near(lines: list[RuledLine], dist: float) -> list[RuledLine]:
    """Of weak lines closer than ``dist`` to each other keep the stronger."""
    out: list[RuledLine] = []
    for ln in lines:
        if out and ln.pos - out[-1].pos < dist and min(ln.strength, out[-1].strength) < 0.6:
            if ln.strength > out[-1].strength:
                out[-1] = ln
            continue
        out.append(ln)
    return out


SPAN_STRAY = 0.3  # a first piece of the column lines at most this x the row height, apart
# from the rest by a gap, is no table (was 0.12: a dotted line only)


def column_span(ink: np.ndarray, cmap: ColumnMap, he: float) -> tuple[float, float] | None:
    """Top and bottom of the table: the longest stretch where most column boundaries have a
    ruling line (continued down across a break of under a row in most of them at once).
    Lines above it (title, commune line, the page's edge, show-through from the back of the
    sheet) and below it are no table rows; a bottom border lost to fading is found again
    from where the column lines end."""
    h = ink.shape[0]
    ys = np.arange(h)
    hits = np.zeros(h, np.float32)
    n = 0
    for ln in cmap.boundaries:
        if ln.strength == 0.0:
            continue
        xs = np.clip(np.round(ln.at(ys.astype(np.float64))).astype(int), 2, ink.shape[1] - 3)
        col = (ink[ys, xs - 2] | ink[ys, xs - 1] | ink[ys, xs] | ink[ys, xs + 1] | ink[ys, xs + 2])
        hits += col > 0
        n += 1
    if n < 3:
        return None
    gap = max(3, int(0.35 * he))  # bridge breaks in broken or faded lines
    cover = cv2.morphologyEx((hits >= 0.5 * n).astype(np.uint8).reshape(-1, 1), cv2.MORPH_CLOSE,
                             np.ones((gap, 1), np.uint8)).ravel()
    idx = np.nonzero(cover)[0]
    if len(idx) == 0:
        return None
    runs = np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)
    best = max(runs, key=len)
    if len(best) < 2 * he:
        return None
    end = int(best[-1])
    for run in runs:  # the column lines broken together across the body (a band of light
        # or a fold in a photo) for under a row: the rows under the break are the table's too
        if run[0] > end and run[0] - end <= 0.8 * he and len(run) >= he:
            end = int(run[-1])
    # a dotted fill-in line just above the table crosses every column line's x for a pixel
    # or two, and the printed commune line above a tilted or keystoned table (its text and
    # fill-in dots where the column lines run on) for a text line's height; the closing above
    # bridged them to the table: start where the lines really start
    raw = hits >= 0.5 * n
    start = int(best[0])
    for _ in range(3):
        on = np.nonzero(raw[start:end])[0]
        if len(on) < 2:
            break
        # the first block: pieces apart by under 4 px (a dotted line's dots, a text line)
        breaks = np.nonzero(np.diff(on) >= 5)[0]
        if len(breaks) == 0:
            break
        first_len = int(on[breaks[0]]) + 1
        if first_len > max(6.0, SPAN_STRAY * he):
            break
        start += int(on[breaks[0] + 1])
    return float(start), float(end)


def _shifted(ln: RuledLine, dy: float) -> RuledLine:
    c = list(ln.coeffs)
    c[-1] += dy
    return RuledLine(pos=ln.pos + dy, coeffs=tuple(c), strength=0.0)


def fit_to_span(lines: list[RuledLine], span: tuple[float, float], he: float) -> list[RuledLine]:
    """The lines from the table's top to its bottom (``span``), with a faded top or bottom
    border restored. Column lines running on for a third of a row under the last row line
    (a table cut off at the image's or the paper's edge: no border closes it) make that
    stretch a row too: the writing in it is an entry that is there. Its bottom is put where
    the printed row ends, a usual row height down (``open_end`` tells it was cut)."""
    top, bottom = span
    tol = 0.3 * he
    # the commune's fill-in line can sit just above the table: only the frame's own width
    kept = [ln for ln in lines if top - max(5.0, 0.06 * he) <= ln.pos <= bottom + tol]
    if not kept:
        return lines
    if kept[-1].pos < bottom - 0.5 * he:  # the bottom border faded away: continue the rows
        last = kept[-1]
        k = max(1, int(round((bottom - last.pos) / he)))
        step = (bottom - last.pos) / k
        kept += [_shifted(last, step * j) for j in range(1, k + 1)]
    elif bottom - kept[-1].pos >= he / 3:  # cut off: the row as printed, a usual row tall
        kept.append(_shifted(kept[-1], max(he, bottom - kept[-1].pos)))
    if kept[0].pos > top + 0.5 * he:
        kept.insert(0, _shifted(kept[0], top - kept[0].pos))
    return kept


def first_entry_line(gaps: np.ndarray, he: float,
                     numbers: Callable[[int], bool] | None = None) -> int:
    """Index of the line under the header (lines[0] is the table's top). The header is the
    first row; it may be cut into short pieces by a row of column numbers 1..n under it, a
    two-level header's inner line, or a line that its print made. A short piece (under 0.6
    of an entry's height) before a full row ends the header; everything above that line is
    printed header, however many text lines it has. ``numbers(i)``: whether the piece from
    line i to line i + 1 is header (the printed row of column numbers, a two-level header's
    lower level); when given, a short piece must be: in a book of uneven rows (hand-ruled)
    the first entry rows can be as short as a number row, and the header must not take them
    in."""
    for i in range(1, min(len(gaps) - 1, 4)):
        # rows differ in height: the row under the piece need only be clearly taller
        if (gaps[i] < 0.6 * he and gaps[i + 1] >= max(0.5 * he, 1.25 * gaps[i])
                and (numbers is None or numbers(i))):
            return i + 1
    return 1


def traced_path(ink: np.ndarray, ln: RuledLine, x0: float, x1: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Every second x position from ``x0`` to ``x1`` on the image, and the row where the
    line's ink runs at each (``grid.trace``: a hand-drawn line wanders off its fitted curve,
    and a residual keystone bends it away at one end)."""
    from preprocessing.grid import trace

    xs = np.arange(int(max(0, x0)), int(min(ink.shape[1], x1)), 2)
    if len(xs) == 0:
        return xs, xs
    return xs, np.round(trace(ink, ln, xs.astype(np.float64))).astype(int)


def path_coverage(ink: np.ndarray, xs: np.ndarray, ys: np.ndarray, reach: int = 2) -> float:
    """Share of the path's positions (``traced_path``) where ``ink`` shows within ``reach``
    pixels of it."""
    if len(xs) == 0:
        return 0.0
    hit = np.zeros(len(xs), bool)
    for d in range(-reach, reach + 1):
        hit |= ink[np.clip(ys + d, 0, ink.shape[0] - 1), xs] > 0
    return float(hit.mean())


def coverage(ink: np.ndarray, ln: RuledLine, x0: float, x1: float, reach: int = 2) -> float:
    """Share of the x positions from ``x0`` to ``x1`` where ``ink`` shows within ``reach``
    pixels of the line's curve: a ruling line (even wobbly or worn) covers most of its
    length, a "line" made by a row of printed words covers the words only. Measured along
    the line's ink where it runs (``traced_path``)."""
    return path_coverage(ink, *traced_path(ink, ln, x0, x1), reach)


def as_drawn(ink: np.ndarray, lines: list[RuledLine], x0: float, x1: float,
             he: float) -> list[RuledLine]:
    """``lines`` with those the writing made or bent made weak (strength at most 0.5): the
    grid chains a line's pieces strip by strip, and a row of writing beside a missing or
    broken line (a hand-ruled book) chains into a "line" found in most strips that runs
    through the words. Such a line covers under half of the table's width with its traced
    ink (a ruling line, wobbly or worn, covers 0.9 or more), or, found in under 0.8 of the
    strips, it covers under 0.9 and its shape leaves that of the well-drawn lines above and
    below it by over 0.3 rows somewhere across the table (words at one end, the real line
    at the other; hand-drawn lines differ from their neighbours by up to 0.27 rows). A weak
    line is a candidate that the writing must confirm (rowfit), not a boundary by itself."""
    cov = [coverage(ink, ln, x0, x1, reach=4) if ln.strength >= 0.6 else 0.0 for ln in lines]
    good = [ln for ln, c in zip(lines, cov, strict=True) if ln.strength >= 0.6 and c >= 0.9]
    xm = 0.5 * (x0 + x1)
    xs = np.linspace(x0 + 0.05 * (x1 - x0), x1 - 0.05 * (x1 - x0), 9)
    out = []
    for ln, c in zip(lines, cov, strict=True):
        if ln.strength >= 0.6 and (c < 0.5 or (ln.strength < 0.8 and c < 0.9 and _bend(
                ln, good, xs, xm) > 0.3 * he)):
            ln = RuledLine(pos=ln.pos, coeffs=ln.coeffs, strength=min(0.5, c))
        elif ln.strength >= DRAWN and c < 0.9:
            # found in most strips but its ink covers under 0.9 of the width: not a
            # well-drawn line (rowfit's short rows between two of them); a line chained
            # along a row of writing on a printed page covered 0.66 at strength 0.8
            ln = RuledLine(pos=ln.pos, coeffs=ln.coeffs, strength=0.75)
        out.append(ln)
    return out


def _bend(ln: RuledLine, good: list[RuledLine], xs: np.ndarray, xm: float) -> float:
    """How far the shape of ``ln`` over ``xs`` leaves the blend of the nearest lines of
    ``good`` above and below it (0 when there are none)."""
    above = [g for g in good if g.at(xm) < ln.at(xm) - 1]
    below = [g for g in good if g.at(xm) > ln.at(xm) + 1]
    refs = ([max(above, key=lambda g: g.at(xm))] if above else []) + (
        [min(below, key=lambda g: g.at(xm))] if below else [])
    if not refs:
        return 0.0
    shape = [g.at(xs) - g.at(xm) for g in refs]
    if len(refs) == 2:
        ya, yb = refs[0].at(xm), refs[1].at(xm)
        t = (ln.at(xm) - ya) / max(1e-6, yb - ya)
        ref = (1 - t) * shape[0] + t * shape[1]
    else:
        ref = shape[0]
    return float(np.abs(ln.at(xs) - ln.at(xm) - ref).max())


# share of the table's width a line under the header's top must cover (along its traced ink)
# to end the header's print: a traced row of bold header words reaches 0.71, a wobbly
# hand-drawn header line 0.93
FULL_LINE = 0.8
TALL_HEADER = 6  # entry heights a header may take when only weak lines lie in it
PRINT_LINE = 0.5  # strength under which a line in the header may be its print
COLUMN_DRAWN = 0.95  # share of a column's middle a line covers where it is drawn there


def crosses_every_column(ink: np.ndarray, ln: RuledLine, xs: list[float]) -> bool:
    """Whether the line shows (over 10 % of the width) in every column between the boundaries
    ``xs`` that lies wholly on the image: a row line crosses them all, faded or hand-drawn ones
    too; a two-level header's inner line runs under its merged group labels only, the columns
    whose cells span both levels have none. A column cut by the image's edge is left out: the
    strip of it that shows is the photo's or the scan's edge, where a line fades or bends
    away (a cut table's header line showed over 0-8 % of its outermost column)."""
    w = ink.shape[1]
    spans = [(a, b) for a, b in zip(xs[:-1], xs[1:], strict=True) if a >= 0 and b <= w]
    return all(coverage(ink, ln, a + 2, b - 2, reach=4) >= 0.1 for a, b in spans if b - a >= 8)


def drawn_in_a_column(ink: np.ndarray, ln: RuledLine, xs: list[float]) -> bool:
    """Whether ``ln`` runs unbroken (``COLUMN_DRAWN`` of the middle 70 %) across some column
    between the boundaries ``xs``: ruling does, the print of a row of labels does not (its
    letters and word spaces leave gaps; 0.84 at most on a tall header's labels)."""
    return any(coverage(ink, ln, a + 0.15 * (b - a), b - 0.15 * (b - a)) >= COLUMN_DRAWN
               for a, b in zip(xs[:-1], xs[1:], strict=True) if b - a >= 12)


def drop_header_print(lines: list[RuledLine], he: float, ink: np.ndarray, x0: float,
                      x1: float, xs: list[float] | None = None) -> list[RuledLine]:
    """Without the "lines" between the table's top and its first full-length line under it
    (ink along at least 70 % of the table's width, within four entry heights): there the
    header's print makes them (a row of bold words whose strokes join into runs), and the
    header's own bottom line runs across the table. A line under 70 % of the width less than
    half a row above a full-length line is no table's top either (the commune's fill-in line
    over the table): the table's top frame runs across it. With the column boundaries ``xs``
    a full-length line must also cross every column (a two-level header's inner line covers
    most of the width but not the columns spanning both levels)."""
    if (len(lines) > 3 and lines[1].pos - lines[0].pos < 0.5 * he
            and coverage(ink, lines[0], x0, x1) < 0.7 <= coverage(ink, lines[1], x0, x1)):
        lines = lines[1:]
    for k in range(1, min(len(lines), 6)):
        # a tall header over short rows (many a page) may reach further down when what
        # lies between is only its print: weak "lines" drawn across no column (a two-level
        # header's inner line is weak too, but runs clean across its group's columns)
        reach = TALL_HEADER if k > 1 and xs is not None and all(
            ln.strength < PRINT_LINE and not drawn_in_a_column(ink, ln, xs)
            for ln in lines[1:k]) else 4
        if coverage(ink, lines[k], x0, x1) >= FULL_LINE and (
                xs is None or lines[k].pos - lines[0].pos > reach * he
                or crosses_every_column(ink, lines[k], xs)):
            if k > 1 and lines[k].pos - lines[0].pos <= reach * he:
                return [lines[0], *lines[k:]]
            break
    return lines


def drop_header_splits(lines: list[RuledLine], he: float, ink: np.ndarray, x0: float,
                       x1: float) -> list[RuledLine]:
    """Without a weak, patchy "line" near the table's top that cuts a row into two short
    pieces (its neighbours less than 1.3 rows apart): the first entry's writing made it, and
    two short pieces under the header would pass for a number row and a header piece, taking
    the first entry into the header. A ruling line covers most of the table's width (a printed
    number row's line too); the line stays a candidate for the rows (rowfit)."""
    out = list(lines)
    i = 1
    while i < min(len(out) - 1, 6):
        ln = out[i]
        if (ln.pos - out[0].pos <= 4 * he and ln.strength < 0.7
                and out[i + 1].pos - out[i - 1].pos < 1.3 * he
                and coverage(ink, ln, x0, x1) < 0.6):
            del out[i]
            continue
        i += 1
    return out


def number_row(ink: np.ndarray, top: RuledLine, bottom: RuledLine, cmap: ColumnMap,
               he: float) -> bool:
    """Whether the row between ``top`` and ``bottom`` is the printed row of column numbers
    (1, 2, ... n) under the header: no taller than an entry row, and in most columns one small
    mark (a number of one or two digits) in the middle of the cell, the marks of about one
    height, on one printed line (each under 0.7 of the row's height from line to line, their
    centres level: a short number row on a hand-ruled page leaves little room inside its
    wobbly lines). Handwriting never fills most cells of a row with short centred marks: a
    name or a place runs across its cell, and a tall row's lines of writing stacked in a
    narrow cell make a mark as tall as the row. The cells are the mapped columns', or else
    those between the column lines found (boundaries placed where no line was found can be
    off their place: a table cut at the paper's edge mapped all its columns onto the part
    that shows, and the numbers were off the cells' middles)."""
    b = cmap.boundaries
    xm = 0.5 * (b[0].pos + b[-1].pos)
    rh = float(bottom.at(xm)) - float(top.at(xm))
    if not 0.2 * he <= rh <= 1.2 * he:
        return False
    cells = [(float(b[ci].pos), float(b[ci + 1].pos)) for ci in range(len(b) - 1)
             if ci not in cmap.cut]
    if _numbered_cells(ink, top, bottom, cells, rh):
        return True
    found = [float(ln.pos) for ln in b if ln.strength > 0.0]
    if len(found) == len(b):
        return False
    return _numbered_cells(ink, top, bottom, list(zip(found[:-1], found[1:], strict=True)), rh)


def _numbered_cells(ink: np.ndarray, top: RuledLine, bottom: RuledLine,
                    cells: list[tuple[float, float]], rh: float) -> bool:
    """Whether most of ``cells`` (x spans) hold one small centred mark between the two lines,
    the marks of one height and level (``number_row``)."""
    h, w = ink.shape[:2]
    hits = heights = 0
    seen: list[float] = []
    mids: list[float] = []
    for xa, xb in cells:
        cw = xb - xa
        inset = max(3.0, 0.1 * cw)
        x0, x1 = int(max(0, xa + inset)), int(min(w, xb - inset))
        xc = 0.5 * (xa + xb)
        y0 = int(max(0, float(top.at(xc)) + 3))
        y1 = int(min(h, float(bottom.at(xc)) - 2))
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        heights += 1
        crop = np.ascontiguousarray(ink[y0:y1, x0:x1])
        # a wobbly (hand-drawn) row line dips into the cell and joins the digit: take level
        # runs longer than a number is wide out first
        run = cv2.morphologyEx(crop, cv2.MORPH_OPEN,
                               np.ones((1, max(8, int(0.4 * (x1 - x0)))), np.uint8))
        crop = cv2.bitwise_and(crop, cv2.bitwise_not(run))
        n, _, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
        keep = [s for s in stats[1:] if s[4] >= 4 and s[3] >= 3 and s[2] < 0.9 * (x1 - x0)]
        if not keep:
            continue
        ks = np.array(keep)
        mx0, my0 = ks[:, 0].min(), ks[:, 1].min()
        mx1, my1 = (ks[:, 0] + ks[:, 2]).max(), (ks[:, 1] + ks[:, 3]).max()
        mw, mh = mx1 - mx0, my1 - my0
        centre = x0 + 0.5 * (mx0 + mx1)
        if (mw <= max(0.45 * cw, 1.5 * mh) and mw <= 3.0 * mh and abs(centre - xc) <= 0.2 * cw
                and mh <= 0.7 * (float(bottom.at(xc)) - float(top.at(xc)))):
            hits += 1
            seen.append(float(mh))
            mids.append(y0 + 0.5 * (my0 + my1) - float(top.at(xc)))
    if heights < 3 or hits < 0.7 * heights:
        return False
    hs = np.array(seen)
    return bool(np.std(hs) <= 0.3 * np.median(hs) and np.std(mids) <= 0.12 * rh)


def open_end(lines: list[RuledLine], span: tuple[float, float] | None) -> bool:
    """Whether the table's last line was put past where its column lines end (fit_to_span:
    the table is cut off there)."""
    return span is not None and lines[-1].strength == 0.0 and lines[-1].pos > span[1] + 1


def cut_below(bottom: float, height: int, he: float) -> bool:
    """The table runs into the image's bottom edge: its last printed row may be cut off."""
    return height - bottom < 0.25 * he


def drop_text_lines(lines: list[RuledLine], he: float) -> list[RuledLine]:
    """Drop "lines" that cut an entry row into short pieces: a dense line of writing can pass
    for a faded ruling line, but printed rows all have about the same height. Weak lines go
    when either neighbour is closer than 0.6 rows; strong ones only when both are."""
    lines = list(lines)
    while len(lines) > 2:
        ys = np.array([ln.pos for ln in lines])
        worst, worst_strength = -1, 2.0
        for i in range(1, len(lines) - 1):
            above, below = ys[i] - ys[i - 1], ys[i + 1] - ys[i]
            weak = lines[i].strength < 0.6
            one_row = 0.75 * he <= above + below <= 1.3 * he
            sliver = min(above, below) < 0.4 * he  # no printed entry row is that thin
            short = (min(above, below) < 0.6 * he) if weak else (
                (max(above, below) < 0.75 * he or sliver) and one_row)
            if short and lines[i].strength < worst_strength:
                worst, worst_strength = i, lines[i].strength
        if worst < 0:
            break
        del lines[worst]
    return lines
