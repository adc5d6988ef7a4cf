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
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from preprocessing.cellsplit import cell_profile, in_band, stacked_cuts
from preprocessing.clean import binarize, grow_faint_ink, normalize_background, to_grey
from preprocessing.columns import ColumnMap, map_columns
from preprocessing.faded import is_faded_row
from preprocessing.geometry import clamp
from preprocessing.grid import ruling_mask
from preprocessing.header import lower_level
from preprocessing.headerband import split_open_header
from preprocessing.layout import Grid, RuledLine
from preprocessing.numbercol import (
    ROOM_FOR_TWO,
    join_wrapped,
    number_column,
    number_profile,
    pitch_from_numbers,
    with_faint_numbers,
)
from preprocessing.rowfit import (
    Boundary,
    column_profiles,
    fit_rows,
    height_from_numbers,
    without_rules,
)
from preprocessing.rowkind import (
    FieldSeg,
    RowSeg,
    join_continued,
    last_slot,
    unwritten_to_blank,
)
from preprocessing.rows import (
    as_drawn,
    column_span,
    coverage,
    cut_below,
    drop_header_print,
    drop_header_splits,
    entry_height,
    first_entry_line,
    fit_to_span,
    number_row,
    open_end,
    plausible_lines,
)
from preprocessing.strikes import components as _components
from preprocessing.strikes import crosses_row as _crosses
from preprocessing.strikes import find_strikes, writing_side
from preprocessing.strikes import off_ruling as _off_ruling
from preprocessing.writing_size import min_written_area
from sohoa.template import Template

log = logging.getLogger(__name__)

MAX_ROWS = 30  # row slots read on one page at most
CUT_REASON = "column cut off at the image's edge"
EDGE_BAND = 0.1  # of a cell's height: a flat band of ink along its edge is no writing of its own
# a row a stroke crosses is struck unless all its writing lies on one side of the stroke,
# further than this share of the row's height from it (and from the row's edges, where
# pieces of the row lines are left): such a stroke runs through blank rows joined to the
# entry (struck blank rows under the last entry whose row line is missing: hand-ruled
# kt-2006 1730013)
STRUCK_GAP = 0.08

Pts = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Segmentation:
    status: str
    header: Pts | None
    rows: tuple[RowSeg, ...]
    entry_height: float
    header_cells: tuple[Pts, ...] = ()
    bottom: float = 0.0  # y of the table's bottom line
    cut_below: bool = False  # the table runs into the image's bottom edge


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
    x0 = int(clamp(round(min(xs)) + inset, 0, shape[1]))
    y0 = int(clamp(round(min(ys)) + inset, 0, shape[0]))
    x1 = int(clamp(round(max(xs)) - inset, 0, shape[1]))
    y1 = int(clamp(round(max(ys)) - inset, 0, shape[0]))
    return x0, y0, max(x0, x1), max(y0, y1)


def _field_split(clean: np.ndarray, q: Pts, n_lines: int, shape: tuple[int, int]) -> list[float]:
    return stacked_cuts(cell_profile(clean, q), n_lines)  # rows in the cell's own frame


def segment(ink: np.ndarray, grid: Grid, template: Template, cmap: ColumnMap | None = None,
            ruling: np.ndarray | None = None, faint: np.ndarray | None = None,
            faded: Callable[[], np.ndarray] | None = None,
            paper: np.ndarray | None = None) -> Segmentation:
    """Entries and field boxes of a found grid on an upright page.

    ``ink`` is the binary page (ink=255) or a grey/RGB page (binarised here); ``cmap`` the
    column mapping (fitted here when missing); ``ruling`` a ruling-line mask to ignore when
    looking for handwriting (drawn here along the lines taken as rows when missing);
    ``faint`` a more sensitive binarisation: a written field's box also takes in the faint
    strokes joined to its ink (a faded pen), while which rows and cells hold writing is still
    decided on ``ink`` alone, but for rows that it calls blank and that hold faint writing in
    most columns on ``faded()`` (a binarisation between the two, made when needed: a pen too
    faded for ``ink``, ``faded.py``); the entry numbers are looked for on it too where
    ``ink`` shows none (``numbercol.with_faint_numbers``). ``paper``: where the page has paper
    (non-zero; the image's edge and the scanner bed or table around a photo have none): an
    entry-number column that leaves it part-way down stops showing numbers there."""
    if ink.ndim == 3 or np.count_nonzero((ink != 0) & (ink != 255)):
        ink = binarize(normalize_background(to_grey(ink)))
    if cmap is None:
        cmap = map_columns(grid.v_lines, template)
        if cmap is None:
            return Segmentation("no table found: too few column lines", None, (), 0.0)
    shape = ink.shape[:2]
    if len(grid.h_lines) < 3:
        return Segmentation("no table found: too few row lines", None, (), 0.0)
    he = pitch_from_numbers(ink, grid, cmap, template, entry_height(grid.h_lines))
    lines = plausible_lines(list(grid.h_lines), he)
    span = column_span(ink, cmap, he)
    if span is not None:
        lines = fit_to_span(lines, span, he)
    lines = drop_header_print(lines, he, ink, cmap.boundaries[0].pos, cmap.boundaries[-1].pos,
                              [float(b.pos) for b in cmap.boundaries])
    lines = drop_header_splits(lines, he, ink, cmap.boundaries[0].pos, cmap.boundaries[-1].pos)
    lines = split_open_header(ink, lines, cmap, he, template, grid.h_lines)  # headerband.py
    if len(lines) < 3:
        return Segmentation("no table found: too few row lines", None, (), he)
    gaps = np.diff([ln.pos for ln in lines])
    x0, x1 = cmap.boundaries[0].pos, cmap.boundaries[-1].pos

    def full(j: int) -> bool:
        return coverage(ink, lines[j], x0, x1, reach=4) >= 0.9

    def header_piece(i: int) -> bool:
        """The short piece from line i down ends the header: it is the lower level of a
        two-level header (line i, under the merged group cells only, does not cross the whole
        table, and no line above it does: the upper level's cells are merged) or it holds
        the printed column numbers; a short entry row is neither (a line the writing made in
        an entry row is as partial as an inner header line, but full row lines lie above it)."""
        return ((not full(i) and not any(full(j) for j in range(1, i)))
                or number_row(ink, lines[i], lines[i + 1], cmap, float(gaps[i])))

    first = first_entry_line(gaps, he, header_piece)
    # a two-level header (header.py) ends at its lower level's bottom line. When a short
    # piece was found three pieces down (first 4), the piece above it is an entry row under
    # the two-level header (a line the writing made split the next row), not more header:
    # a number row comes straight under the header (first 3 with a two-level header)
    lower = first in (1, 4) and lower_level(ink, lines, cmap, he, template)
    first = 2 if lower else first
    numbers = not lower and first >= 2 and gaps[first - 1] < 0.6 * he  # short piece under it
    if (not numbers and first + 2 < len(lines)  # a row under it: the table has a body
            and number_row(ink, lines[first], lines[first + 1], cmap, he)):
        first += 1  # a row of printed column numbers as tall as a short entry row
        numbers = True
    left, right = cmap.boundaries[0], cmap.boundaries[-1]
    xm = 0.5 * (left.pos + right.pos)
    bounds, he = _body_rows(ink, grid, cmap, template, lines, first, he, xm, faded, paper)
    body_lines = [b.line for b in bounds if b.t == 0.0]
    if ruling is None:  # only the lines taken as ruling: a shallow strike-through stays ink
        used = Grid(tuple(lines[:first] + body_lines), grid.v_lines, grid.bbox)
        ruling = ruling_mask(used, shape, extra_v=cmap.boundaries, ink=ink)
    clean = cv2.bitwise_and(ink, cv2.bitwise_not(ruling))
    grown = (grow_faint_ink(clean, cv2.bitwise_and(faint, cv2.bitwise_not(ruling)))
             if faint is not None else clean)
    h_top = _Curve(lines[first - 2 if numbers else first - 1])
    h_bot = _Curve(lines[first - 1 if numbers else first])
    header = _quad(h_top, _Curve(lines[first]), left, right)
    b = cmap.boundaries
    header_cells = tuple(_quad(h_top, h_bot, b[i], b[i + 1]) for i in range(len(b) - 1))
    body = _box(_quad(_Curve(lines[first]), _Curve(lines[-1]), left, right), shape, inset=3)
    min_area = min_written_area(clean, body, he)
    # on the ink with only the lines taken as rows removed: a shallow stroke through a short
    # row can pass for a weak ruling line
    strikes = find_strikes(clean, body, he, ruling)
    if strikes:  # the stroke is no writing: a row it only clips (its first, its last) is empty
        clean, grown = _without_strikes(clean, strikes), _without_strikes(grown, strikes)
    rows: list[RowSeg] = []
    curves = [_Curve(bd.line, bd.below, bd.t) for bd in bounds]
    for slot, (top, bot) in enumerate(zip(curves[:-1], curves[1:], strict=True)):
        if slot >= MAX_ROWS:
            break
        rows.append(_row(clean, grown, shape, slot, top, bot, cmap, template, min_area,
                         strikes))
    bottom = float(lines[-1].at(0.5 * (left.pos + right.pos)))
    # a row with no writing beyond its number cell (a number written ahead, a speck, stubs of
    # a ruling line the grid missed) is no entry: measured with straight strokes taken out
    struck = [bool(strikes) and _crosses(strikes, c0.y, c1.y, 0.05)
              for c0, c1 in zip(curves[:len(rows)], curves[1:len(rows) + 1], strict=True)]
    rows = unwritten_to_blank(rows, without_rules(clean, he), template, min_area, struck)
    if faded is not None and any(r.kind == "blank" for r in rows):
        # a pen so faded the strict ink shows next to nothing (faded.py): on a more sensitive
        # ink without the ruling, strikes and straight lines (the back page's ruling showing
        # through, stray borders)
        weak = cv2.bitwise_and(faded(), cv2.bitwise_not(ruling))
        bare = without_rules(_without_strikes(weak, strikes) if strikes else weak, he)
        rows = [_faded_row(bare, shape, r, curves, cmap, template, min_area, strikes)
                if r.kind == "blank" else r for r in rows]
    joined = join_continued(rows, template, _at_cut(cmap, template, shape[1]))
    # a long entry's cells are cut again over both its rows: a two-field cell's name in the
    # first row and its year in the second are one cell's two lines
    joined = [_row(clean, grown, shape, r.row, curves[r.row], curves[end + 1], cmap, template,
                   min_area, strikes) if end > r.row else r
              for r, end in ((r, last_slot(r, rows)) for r in joined)]
    return Segmentation("ok", header, tuple(joined), he, header_cells,
                        bottom=bottom,
                        cut_below=cut_below(bottom, shape[0], he) or open_end(lines, span))




def _body_rows(ink: np.ndarray, grid: Grid, cmap: ColumnMap, template: Template,
               lines: list[RuledLine], first: int, he: float,
               xm: float, faded: Callable[[], np.ndarray] | None = None,
               paper: np.ndarray | None = None) -> tuple[list[Boundary], float]:
    """Row boundaries from the first entry line to the table's bottom: every found line
    between them is a candidate, and so is every gap the handwriting leaves (see rowfit);
    and the usual row height they were fitted with."""
    top, bottom = lines[first], lines[-1]
    y0, y1 = float(top.at(xm)), float(bottom.at(xm))
    cands = [ln for ln in list(grid.h_lines) + lines[first + 1:-1]
             if y0 + 0.3 * he < float(ln.at(xm)) < y1 - 0.3 * he]
    x0, x1 = cmap.boundaries[0].pos, cmap.boundaries[-1].pos
    cands = as_drawn(ink, cands, x0, x1, he)
    cands.sort(key=lambda ln: -ln.strength)
    inner: list[RuledLine] = []
    for ln in cands:  # the same line found twice (grid and span fit): keep the stronger
        if all(abs(float(ln.at(xm)) - float(o.at(xm))) > 0.1 * he for o in inner):
            inner.append(ln)
    inner.sort(key=lambda ln: float(ln.at(xm)))
    # the entry numbers are read with only the well-drawn lines taken out: a weak "line" that
    # a row's writing made runs through that row's number and would erase it
    strong = Grid(tuple(lines[:first + 1] + [ln for ln in inner if ln.strength >= 0.6]
                        + [bottom]), grid.v_lines, grid.bbox)
    m_strong = ruling_mask(strong, ink.shape[:2], extra_v=cmap.boundaries, ink=ink)
    weak = Grid(tuple(ln for ln in inner if ln.strength < 0.6), (), grid.bbox)
    m_all = cv2.bitwise_or(m_strong, ruling_mask(weak, ink.shape[:2], ink=ink))
    clean = cv2.bitwise_and(ink, cv2.bitwise_not(m_all))
    clean_num = cv2.bitwise_and(ink, cv2.bitwise_not(m_strong))
    iy0, iy1 = int(np.floor(y0)), int(np.ceil(y1)) + 1
    # a stroke through unused rows is no writing: rows are found without it
    box = _box(_quad(_Curve(top), _Curve(bottom), cmap.boundaries[0], cmap.boundaries[-1]),
               ink.shape[:2], inset=3)
    strikes = find_strikes(clean, box, he, m_all)
    if strikes:
        clean, clean_num = _without_strikes(clean, strikes, 11), _without_strikes(clean_num,
                                                                                 strikes, 11)
    guides = [top] + [ln for ln in inner if ln.strength >= 0.6] + [bottom]
    prof, cols = column_profiles(without_rules(clean, he), cmap, top, bottom, iy0, iy1, guides)
    number = number_column(template)
    if number in cols and _runs_off(cmap, number, y0 + 0.5 * he, y1 - 0.5 * he,
                                    ink.shape[1], paper):
        cols_seen = [c for c in cols if c != number]  # its numbers stop where it leaves
    else:
        cols_seen = cols
    col = number_column(template, cols_seen)
    num = (number_profile(clean_num, cmap, col, strong.h_lines, top, bottom, iy0, iy1, he,
                          guides)
           if col is not None and col in cols else None)
    if num is not None and col != number_column(template):  # a stand-in's value may wrap
        num = join_wrapped(num, he)
    slots = [y0] + [float(ln.at(xm)) for ln in inner] + [y1]
    if (num is not None and faded is not None and col == number_column(template)
            and np.diff(slots).max() >= ROOM_FOR_TWO * he):
        # numbers in a pen too faded for ``ink``, where two rows may have stayed one (the
        # faded ink is made only for a page with such room)
        faint_num = _without_strikes(cv2.bitwise_and(faded(), cv2.bitwise_not(m_strong)),
                                     strikes, 11)
        num = with_faint_numbers(num, number_profile(faint_num, cmap, col, strong.h_lines, top,
                                                     bottom, iy0, iy1, he, guides), he,
                                 np.array(slots) - iy0)
    he = height_from_numbers(num, np.array(slots) - iy0, he)
    bounds = fit_rows(top, bottom, inner, prof, he, xm, y_origin=iy0, num=num)
    # the usual height again from the rows found (lines and writing gaps), when it differs
    ys = np.array([_Curve(bd.line, bd.below, bd.t).y(xm) for bd in bounds])
    if len(ys) >= 5:
        he2 = float(np.median(np.diff(ys)))
        if abs(he2 - he) > 0.1 * he:
            bounds = fit_rows(top, bottom, inner, prof, he2, xm, y_origin=iy0, num=num)
            he = he2
    return bounds, he



def _row(clean: np.ndarray, grown: np.ndarray, shape: tuple[int, int], slot: int, top: _Curve,
         bot: _Curve, cmap: ColumnMap, template: Template, min_area: int,
         strikes: list[tuple[float, float, float, float]], cut: bool = True) -> RowSeg:
    """One row slot between ``top`` and ``bot``: its fields and what it is. A row a stroke
    crosses whose writing lies on one side of it is the entry on that side of the stroke's
    end, read again there (``cut``), and the stroke runs through blank rows joined to it."""
    b = cmap.boundaries
    quad = _quad(top, bot, b[0], b[-1])
    fields: dict[str, FieldSeg] = {}
    edges: list[bool] = []  # per written field: its ink a flat band along the cell's edge
    min_comp = max(3, min_area // 4)
    for ci, col in enumerate(template.columns):
        cq = _quad(top, bot, b[ci], b[ci + 1])
        if ci in cmap.cut:  # off the image: nothing to read, and it says why
            for spec, t0, t1 in zip(col.fields, *_even(len(col.fields)), strict=True):
                fields[spec.name] = FieldSeg(_lerp_quad(cq, t0, t1), True, None, CUT_REASON)
            continue
        n = len(col.fields)
        cuts = [0.0] + (_field_split(clean, cq, n, shape) if n > 1 else []) + [1.0]
        cell = _box(cq, shape, inset=2)
        comps = _off_ruling(_components(clean, cell, min_comp), cell)
        wide = (_off_ruling(_components(grown, cell, min_comp), cell) if grown is not clean
                else comps)
        for spec, t0, t1 in zip(col.fields, cuts[:-1], cuts[1:], strict=True):
            fq = _lerp_quad(cq, t0, t1)
            mine = comps[in_band(comps, cq, t0, t1)] if len(comps) else comps  # at its x
            grew = wide[in_band(wide, cq, t0, t1)] if len(wide) else wide
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
            edges.append(_at_edge(ink, cell))
    if edges and all(edges):  # only the ends of a neighbour's writing or of a wobbly line
        fields = {k: f if f.empty else FieldSeg(f.quad, True, None)
                  for k, f in fields.items()}
    crossing = [st for st in strikes if _crosses([st], top.y, bot.y)]
    if crossing:
        xm = 0.5 * (b[0].pos + b[-1].pos)
        side = writing_side(clean, crossing, _lerp_quad(quad, STRUCK_GAP, 1.0 - STRUCK_GAP),
                            STRUCK_GAP * (bot.y(xm) - top.y(xm)), min_area,
                            [f.ink for f in fields.values() if f.ink is not None])
        if side is None:
            return RowSeg(slot, quad, "struck", fields)
        if cut:
            at = _stroke_end(crossing, top, bot, b[0].pos, b[-1].pos, side)
            upper, lower = (top, at) if side == "above" else (at, bot)
            return _row(clean, grown, shape, slot, upper, lower, cmap, template, min_area,
                        strikes, False)
    if all(f.empty for f in fields.values()):
        kind = "struck" if strikes and _crosses(strikes, top.y, bot.y, 0.05) else "blank"
    else:
        kind = "entry"
    return RowSeg(slot, quad, kind, fields)


def _runs_off(cmap: ColumnMap, ci: int, y0: float, y1: float, width: int,
              paper: np.ndarray | None = None) -> bool:
    """Whether column ``ci`` keeps under half its width on the page at ``y0`` or ``y1`` (the
    body's first and last rows): on the image, and on ``paper`` where given (a photo turned
    and cut at the paper's edge: the column runs off part-way down)."""
    left, right = cmap.boundaries[ci], cmap.boundaries[ci + 1]
    for y in (y0, y1):
        xa, xb = float(left.at(y)), float(right.at(y))
        if xb - xa <= 0:
            continue
        xs = np.linspace(xa, xb, 16)
        inside = (xs >= 0) & (xs < width)
        if paper is not None:
            yi = int(np.clip(round(y), 0, paper.shape[0] - 1))
            on = np.zeros(len(xs), bool)
            on[inside] = paper[yi, np.clip(np.round(xs[inside]).astype(int), 0,
                                           paper.shape[1] - 1)] > 0
            inside = on
        if inside.mean() < 0.5:
            return True
    return False


def _stroke_end(strikes: list[tuple[float, float, float, float]], top: _Curve, bot: _Curve,
                x0: float, x1: float, side: str) -> _Curve:
    """The boundary where the strokes through blank rows begin, for an entry on ``side`` of
    them: a line between ``top`` and ``bot`` (their blend) through the strokes' highest point
    between x0 and x1 (``side`` "above": the entry ends there) or their lowest ("below")."""
    xs = np.linspace(x0, x1, 33)
    best: tuple[float, float] | None = None
    for sx0, sy0, sx1, sy1 in strikes:
        if sx1 == sx0:
            continue
        ys = sy0 + (xs - sx0) * (sy1 - sy0) / (sx1 - sx0)
        k = int(np.argmin(ys) if side == "above" else np.argmax(ys))
        if best is None or (ys[k] < best[1] if side == "above" else ys[k] > best[1]):
            best = (float(xs[k]), float(ys[k]))
    if best is None:
        return bot if side == "above" else top
    x, y = best
    t = float(np.clip((y - top.y(x)) / max(1e-6, bot.y(x) - top.y(x)), 0.0, 1.0))
    ys = np.array([top.y(float(v)) + t * (bot.y(float(v)) - top.y(float(v))) for v in xs])
    coeffs = np.polyfit(xs, ys, 2)
    mid = 0.5 * (x0 + x1)
    return _Curve(RuledLine(float(np.polyval(coeffs, mid)), tuple(float(c) for c in coeffs),
                            0.0))


def _at_edge(ink: tuple[float, float, float, float], cell: tuple[int, int, int, int]) -> bool:
    """Whether a field's ink is a flat band (``EDGE_BAND`` of the cell's height at most)
    along the cell's top or bottom edge: a tilted or wobbly row line's box reaches past it,
    and the tails of the next row's writing, or pieces of the line, fall inside."""
    y0, y1 = cell[1], cell[3]
    return (ink[3] - ink[1] <= EDGE_BAND * (y1 - y0)
            and (ink[1] - y0 <= 4 or y1 - ink[3] <= 4))


def _faded_row(weak: np.ndarray, shape: tuple[int, int], r: RowSeg, curves: list[_Curve],
               cmap: ColumnMap, template: Template, min_area: int,
               strikes: list[tuple[float, float, float, float]]) -> RowSeg:
    """A row called blank judged again on the sensitive ink when most of its columns hold
    faint writing there (``faded.is_faded_row``); else the row as it was."""
    top, bot, b = curves[r.row], curves[r.row + 1], cmap.boundaries
    cells = [_box(_quad(top, bot, b[ci], b[ci + 1]), shape, inset=2)
             for ci in range(1, len(template.columns)) if ci not in cmap.cut]
    if not is_faded_row(weak, cells, min_area):
        return r
    again = _row(weak, weak, shape, r.row, top, bot, cmap, template, min_area, strikes)
    return again if again.kind == "entry" else r


def _without_strikes(ink: np.ndarray, strikes: list[tuple[float, float, float, float]],
                     width: int = 9) -> np.ndarray:
    """A copy of ``ink`` with the strokes painted out, ``width`` px wide."""
    out = ink.copy()
    for sx0, sy0, sx1, sy1 in strikes:
        cv2.line(out, (round(sx0), round(sy0)), (round(sx1), round(sy1)), 0, width)
    return out


def _lerp_quad(q: Pts, t0: float, t1: float) -> Pts:
    """Sub-quad between fractions t0 and t1 of the height of q (corners TL, TR, BR, BL)."""
    tl, tr, br, bl = (np.array(p) for p in q)
    a0, b0 = tl + t0 * (bl - tl), tr + t0 * (br - tr)
    a1, b1 = tl + t1 * (bl - tl), tr + t1 * (br - tr)
    return tuple((float(p[0]), float(p[1])) for p in (a0, b0, b1, a1))  # type: ignore[return-value]


def _even(n: int) -> tuple[list[float], list[float]]:
    return [i / n for i in range(n)], [(i + 1) / n for i in range(n)]


def _at_cut(cmap: ColumnMap, template: Template, width: int) -> set[str]:
    """Fields of the columns a cut edge removed or cuts through (not wholly on the image)."""
    b = cmap.boundaries
    return {f.name for ci, col in enumerate(template.columns) for f in col.fields
            if ci in cmap.cut or b[ci].pos < 0 or b[ci + 1].pos > width}
