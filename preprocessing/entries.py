"""Cut the table into register entries and fields, on the upright page.

Rows come from the horizontal lines; the first row is the printed header and a short row under
it holding the column numbers 1..n is skipped. A row about k times the usual entry height lost
k-1 separating lines: it is split where the handwriting's text lines leave a gap. Cells holding
two fields (name over year) are split between their handwritten lines the same way. Blank rows
and rows struck through by one diagonal line are reported, not returned as entries.
Coordinates here are those of the image passed in (the work page).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from preprocessing.clean import binarize, grow_faint_ink, normalize_background, to_grey
from preprocessing.columns import ColumnMap, map_columns
from preprocessing.grid import ruling_mask
from preprocessing.layout import Grid, RuledLine
from preprocessing.strikes import components as _components
from preprocessing.strikes import crosses as _crosses
from preprocessing.strikes import find_strikes
from sohoa.template import Template

log = logging.getLogger(__name__)

Pts = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class FieldSeg:
    """A field's region (its cell, or its line of a two-line cell) and the box around the
    handwriting found in it (None when empty)."""

    quad: Pts
    empty: bool
    ink: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class RowSeg:
    """One row slot of the table: ``kind`` is "entry", "blank" or "struck"."""

    row: int
    quad: Pts
    kind: str
    fields: dict[str, FieldSeg]


@dataclass(frozen=True)
class Segmentation:
    status: str
    header: Pts | None
    rows: tuple[RowSeg, ...]
    entry_height: float
    header_cells: tuple[Pts, ...] = ()


class _Curve:
    """A horizontal boundary: y(x) as a blend of two ruling lines (t=0 top, t=1 bottom)."""

    def __init__(self, top: RuledLine, bottom: RuledLine | None = None, t: float = 0.0):
        self.top, self.bottom, self.t = top, bottom, t

    def y(self, x: float) -> float:
        y0 = float(self.top.at(x))
        if self.bottom is None or self.t == 0.0:
            return y0
        return y0 + self.t * (float(self.bottom.at(x)) - y0)


def _corner(hc: _Curve, v: RuledLine) -> tuple[float, float]:
    x = float(v.pos)
    for _ in range(3):
        y = hc.y(x)
        x = float(v.at(y))
    return (x, hc.y(x))


def _quad(top: _Curve, bottom: _Curve, left: RuledLine, right: RuledLine) -> Pts:
    return (_corner(top, left), _corner(top, right), _corner(bottom, right), _corner(bottom, left))


def _box(q: Pts, shape: tuple[int, int], inset: int = 0) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in q], [p[1] for p in q]
    x0 = int(np.clip(round(min(xs)) + inset, 0, shape[1]))
    y0 = int(np.clip(round(min(ys)) + inset, 0, shape[0]))
    x1 = int(np.clip(round(max(xs)) - inset, 0, shape[1]))
    y1 = int(np.clip(round(max(ys)) - inset, 0, shape[0]))
    return x0, y0, max(x0, x1), max(y0, y1)


def _entry_height(lines: list[RuledLine] | tuple[RuledLine, ...]) -> float:
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
    for _ in range(2):  # refine with every gap that is a whole number of rows
        ratio = body / he
        k = np.round(ratio)
        ok = (k >= 1) & (k <= 4) & (np.abs(ratio - k) <= 0.15)
        if ok.any():
            he = float(np.median(body[ok] / k[ok]))
    return he


def _split_points(profile: np.ndarray, k: int, search: float) -> list[float]:
    """Fractions in (0, 1) where a slot of ``k`` text rows is cut, at the emptiest ink rows."""
    n = len(profile)
    if n == 0 or k <= 1:
        return []
    sm = np.convolve(profile.astype(np.float64), np.ones(3) / 3, mode="same")
    out = []
    for i in range(1, k):
        c = i * n / k
        lo, hi = int(max(1, c - search * n / k)), int(min(n - 1, c + search * n / k))
        if hi <= lo:
            out.append(i / k)
            continue
        window = sm[lo:hi]
        low = window <= window.min() + 1e-6
        idx = np.nonzero(low)[0]
        # centre of the run of emptiest rows closest to the expected cut
        runs = np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)
        best = min(runs, key=lambda r: abs(lo + r.mean() - c) - 0.5 * len(r))
        out.append(float(lo + best.mean()) / n)
    return out


def _field_split(clean: np.ndarray, q: Pts, n_lines: int, shape: tuple[int, int]) -> list[float]:
    x0, y0, x1, y1 = _box(q, shape, inset=2)
    prof = np.count_nonzero(clean[y0:y1, x0:x1], axis=1)
    return _split_points(prof, n_lines, search=0.45)


def segment(ink: np.ndarray, grid: Grid, template: Template, cmap: ColumnMap | None = None,
            ruling: np.ndarray | None = None, faint: np.ndarray | None = None) -> Segmentation:
    """Entries and field boxes of a found grid on an upright page.

    ``ink`` is the binary page (ink=255) or a grey/RGB page (binarised here); ``cmap`` the
    column mapping (fitted here when missing); ``ruling`` a ruling-line mask to ignore when
    looking for handwriting (drawn here along the lines taken as rows when missing);
    ``faint`` a more sensitive binarisation: a written field's box also takes in the faint
    strokes joined to its ink (a faded pen), while which rows and cells hold writing is still
    decided on ``ink`` alone."""
    if ink.ndim == 3 or np.count_nonzero((ink != 0) & (ink != 255)):
        ink = binarize(normalize_background(to_grey(ink)))
    if cmap is None:
        cmap = map_columns(grid.v_lines, template)
        if cmap is None:
            return Segmentation("no table found: too few column lines", None, (), 0.0)
    shape = ink.shape[:2]
    if len(grid.h_lines) < 3:
        return Segmentation("no table found: too few row lines", None, (), 0.0)
    he = _entry_height(grid.h_lines)
    lines = _plausible_lines(list(grid.h_lines), he)
    span = _column_span(ink, cmap, he)
    if span is not None:
        lines = _fit_to_span(lines, span, he)
    if len(lines) < 3:
        return Segmentation("no table found: too few row lines", None, (), he)
    gaps = np.diff([ln.pos for ln in lines])
    first = _first_entry_line(gaps, he, template.rows_per_page)
    lines = lines[:first] + _drop_text_lines(lines[first:], he)
    gaps = np.diff([ln.pos for ln in lines])
    if ruling is None:  # only the lines taken as ruling: a shallow strike-through stays ink
        used = Grid(tuple(lines), grid.v_lines, grid.bbox)
        ruling = ruling_mask(used, shape, extra_v=cmap.boundaries)
    clean = cv2.bitwise_and(ink, cv2.bitwise_not(ruling))
    grown = (grow_faint_ink(clean, cv2.bitwise_and(faint, cv2.bitwise_not(ruling)))
             if faint is not None else clean)
    left, right = cmap.boundaries[0], cmap.boundaries[-1]
    h_top = _Curve(lines[first - 2 if first >= 2 and gaps[first - 1] < 0.6 * he else first - 1])
    h_bot = _Curve(lines[first - 1 if first >= 2 and gaps[first - 1] < 0.6 * he else first])
    header = _quad(h_top, _Curve(lines[first]), left, right)
    b = cmap.boundaries
    header_cells = tuple(_quad(h_top, h_bot, b[i], b[i + 1]) for i in range(len(b) - 1))
    min_area = max(10, int(0.004 * he * he))
    body = _box(_quad(_Curve(lines[first]), _Curve(lines[-1]), left, right), shape, inset=3)
    strikes = find_strikes(clean, body, he)
    rows: list[RowSeg] = []
    slot = 0
    for r in range(first, len(lines) - 1):
        top_line, bot_line = lines[r], lines[r + 1]
        k = max(1, int(round(gaps[r] / he)))
        q_all = _quad(_Curve(top_line), _Curve(bot_line), left, right)
        cuts = [0.0]
        if k > 1:
            bx = _box(q_all, shape, inset=3)
            prof = np.count_nonzero(clean[bx[1]:bx[3], bx[0]:bx[2]], axis=1)
            cuts += _split_points(prof, k, search=0.35)
        cuts.append(1.0)
        for t0, t1 in zip(cuts[:-1], cuts[1:], strict=True):
            if slot >= template.rows_per_page:
                break  # below the printed rows: the page's edge, a footer, the scanner bed
            top, bot = _Curve(top_line, bot_line, t0), _Curve(top_line, bot_line, t1)
            rows.append(_row(clean, grown, shape, slot, top, bot, cmap, template, min_area,
                             strikes))
            slot += 1
    return Segmentation("ok", header, tuple(rows), he, header_cells)


def _plausible_lines(lines: list[RuledLine], he: float) -> list[RuledLine]:
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


def _column_span(ink: np.ndarray, cmap: ColumnMap, he: float) -> tuple[float, float] | None:
    """Top and bottom of the table: the longest stretch where most column boundaries have a
    ruling line. Lines above it (title, commune line, the page's edge, show-through from the
    back of the sheet) and below it are no table rows; a bottom border lost to fading is
    found again from where the column lines end."""
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
    return float(best[0]), float(best[-1])


def _shifted(ln: RuledLine, dy: float) -> RuledLine:
    c = list(ln.coeffs)
    c[-1] += dy
    return RuledLine(pos=ln.pos + dy, coeffs=tuple(c), strength=0.0)


def _fit_to_span(lines: list[RuledLine], span: tuple[float, float], he: float) -> list[RuledLine]:
    top, bottom = span
    tol = 0.3 * he
    kept = [ln for ln in lines if top - tol <= ln.pos <= bottom + tol]
    if not kept:
        return lines
    if kept[-1].pos < bottom - 0.5 * he:  # the bottom border faded away: continue the rows
        last = kept[-1]
        k = max(1, int(round((bottom - last.pos) / he)))
        step = (bottom - last.pos) / k
        kept += [_shifted(last, step * j) for j in range(1, k + 1)]
    if kept[0].pos > top + 0.5 * he:
        kept.insert(0, _shifted(kept[0], top - kept[0].pos))
    return kept


def _first_entry_line(gaps: np.ndarray, he: float, rows: int) -> int:
    """Index of the line under the header. The header ends with a short row holding the column
    numbers 1..n, followed by a full entry row; of such places the one leaving about the
    template's number of rows below wins (title and page-edge lines above the table lose).
    Without a row of numbers the entries are the last ``rows`` rows, else all but row 0."""
    slots = np.maximum(1, np.round(gaps / he)).astype(int)
    below = np.cumsum(slots[::-1])[::-1]  # slots from each row down to the table's bottom
    cands = [i for i in range(1, len(gaps) - 1)  # short row between header and first entry
             if gaps[i] < 0.6 * he and gaps[i + 1] >= 0.75 * he and gaps[i - 1] >= 0.75 * he]
    exact = [i for i in cands if below[i + 1] == rows]
    if exact:
        return exact[0] + 1
    fits = [i for i in range(1, len(gaps)) if below[i] == rows]
    if fits:
        return fits[0]
    if cands:
        return min(cands, key=lambda i: (abs(int(below[i + 1]) - rows), i)) + 1
    return 1


def _drop_text_lines(lines: list[RuledLine], he: float) -> list[RuledLine]:
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


def _row(clean: np.ndarray, grown: np.ndarray, shape: tuple[int, int], slot: int, top: _Curve,
         bot: _Curve, cmap: ColumnMap, template: Template, min_area: int,
         strikes: list[tuple[float, float, float, float]]) -> RowSeg:
    b = cmap.boundaries
    quad = _quad(top, bot, b[0], b[-1])
    fields: dict[str, FieldSeg] = {}
    min_comp = max(3, min_area // 4)
    for ci, col in enumerate(template.columns):
        cq = _quad(top, bot, b[ci], b[ci + 1])
        n = len(col.fields)
        cuts = [0.0] + (_field_split(clean, cq, n, shape) if n > 1 else []) + [1.0]
        cell = _box(cq, shape, inset=2)
        comps = _components(clean, cell, min_comp)
        wide = _components(grown, cell, min_comp) if grown is not clean else comps
        for spec, t0, t1 in zip(col.fields, cuts[:-1], cuts[1:], strict=True):
            fq = _lerp_quad(cq, t0, t1)
            ya = cq[0][1] + t0 * (cq[3][1] - cq[0][1])
            yb = cq[0][1] + t1 * (cq[3][1] - cq[0][1])
            mine = comps[(comps[:, 5] >= ya) & (comps[:, 5] < yb)] if len(comps) else comps
            grew = wide[(wide[:, 5] >= ya) & (wide[:, 5] < yb)] if len(wide) else wide
            # written: strict ink, enough of it alone or with its faint strokes (a faded pen);
            # faint marks alone never make a cell written
            if len(mine) == 0 or max(mine[:, 4].sum(), grew[:, 4].sum()) < min_area:
                fields[spec.name] = FieldSeg(fq, True, None)
                continue
            # the box takes in the faint components (each holds strict ink) of the same band
            parts = np.vstack([mine, grew])
            ink = (float(parts[:, 0].min()), float(parts[:, 1].min()),
                   float(parts[:, 2].max()), float(parts[:, 3].max()))
            fields[spec.name] = FieldSeg(fq, False, ink)
    ys = [p[1] for p in quad]
    if strikes and _crosses(strikes, min(ys), max(ys)):
        kind = "struck"
    elif all(f.empty for f in fields.values()):
        kind = "blank"
    else:
        kind = "entry"
    return RowSeg(slot, quad, kind, fields)


def _lerp_quad(q: Pts, t0: float, t1: float) -> Pts:
    """Sub-quad between fractions t0 and t1 of the height of q (corners TL, TR, BR, BL)."""
    tl, tr, br, bl = (np.array(p) for p in q)
    a0, b0 = tl + t0 * (bl - tl), tr + t0 * (br - tr)
    a1, b1 = tl + t1 * (bl - tl), tr + t1 * (br - tr)
    return tuple((float(p[0]), float(p[1])) for p in (a0, b0, b1, a1))  # type: ignore[return-value]
