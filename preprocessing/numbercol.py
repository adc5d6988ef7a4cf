"""The entry-number column: which column holds the numbers, its ink per row, and the usual
row height read from the numbers when the row lines cannot tell. Every entry has one number,
so the numbers say how many entries a stretch of the table holds and roughly where each one
is."""

from __future__ import annotations

import cv2
import numpy as np

from preprocessing.columns import ColumnMap
from preprocessing.grid import ruling_mask
from preprocessing.layout import Grid, RuledLine
from preprocessing.rowfit import (
    at_column,
    column_profiles,
    mark_runs,
    numbers_pitch,
    without_rules,
)
from sohoa.records import FieldKind
from sohoa.template import Template


def pitch_from_numbers(ink: np.ndarray, grid: Grid, cmap: ColumnMap, template: Template,
                       he: float) -> float:
    """``he``, or the entry numbers' spacing when the found row lines are too few to tell
    (rowfit.numbers_pitch)."""
    col = number_column(template)
    hs = sorted(grid.h_lines, key=lambda ln: ln.pos)
    if col is None or col in cmap.cut or len(hs) < 2:
        return he
    clean = without_rules(cv2.bitwise_and(ink, cv2.bitwise_not(
        ruling_mask(grid, ink.shape[:2], extra_v=cmap.boundaries, ink=ink))), he)
    y0, y1 = int(max(0, hs[0].pos)), int(min(ink.shape[0], hs[-1].pos + 1))
    prof, cols = column_profiles(clean, cmap, hs[0], hs[-1], y0, y1)
    if col not in cols:
        return he
    strong = sum(1 for ln in hs if ln.strength >= 0.6)
    return numbers_pitch(prof[cols.index(col)], he, strong)


def number_column(template: Template, visible: list[int] | None = None) -> int | None:
    """The template's column holding the entry number (None: the register has none). With
    ``visible`` (the columns on the page) and the number column not among them (cut off at
    the image's edge), a column that also holds one short value per entry stands in for it:
    sex, else the first one-field date (the registration date), so that two entries whose
    row line is missing are still told apart by their two values."""
    nums = [i for i, c in enumerate(template.columns)
            if any(f.kind == FieldKind.NUMBER for f in c.fields)]
    if visible is None or (nums and nums[0] in visible):
        return nums[0] if nums else None
    for kind in (FieldKind.SEX, FieldKind.DATE):
        alone = [i for i, c in enumerate(template.columns)
                 if len(c.fields) == 1 and c.fields[0].kind == kind and i in visible]
        if alone:
            return alone[0]
    return None


def join_wrapped(num: np.ndarray, he: float) -> np.ndarray:
    """A stand-in column's profile (``number_column``: sex or registration date, when the
    numbers are cut off) with the gaps under 0.3 rows between pieces of writing filled: a
    date wraps onto two lines ("ngay 3 thang" over "nam 1996", 0.14-0.2 rows apart), and two
    pieces in one row would read as two entries; one row's value and the next's are further
    apart."""
    out = num.copy()
    idx = np.nonzero(num >= 2)[0]
    gap = 0.3 * he
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        if 1 < b - a <= gap:
            out[a + 1:b] = np.maximum(out[a + 1:b], 2)
    return out


FAINT_NUMBER = 0.45  # a number only the faded ink shows: this share of the usual one's height
ROOM_FOR_TWO = 1.5  # a stretch between found lines this many rows tall may hold two entries


def with_faint_numbers(num: np.ndarray, faint: np.ndarray, he: float,
                       slots: np.ndarray) -> np.ndarray:
    """``num`` (the number column's strict ink per row, ``number_profile``) with the numbers
    that only ``faint`` (the same on the faded ink, ``faded.py``) shows, in the stretches
    between found lines (``slots``: their rows, top to bottom) tall enough for two entries
    (``ROOM_FOR_TWO`` rows), half a row or more clear of every strict number: there a
    missing row line leaves the numbers to tell the entries apart, and a pen too faded for
    the strict ink leaves none (mixed kt-2006 901022: entries 8 and 9 written faintly, the
    line between them not drawn, taken as one). A faint run counts when it is at least
    ``FAINT_NUMBER`` of the strict numbers' usual height. Elsewhere ``num`` is left as it
    is: the faded ink also holds specks and the stubs of lines, and taken everywhere they
    split rows and erased numbers (hand-ruled kt-2006 600001, whose numbers are small: specks
    of 6-7 px against numbers of 9)."""
    marks, sizes = mark_runs(num, he)
    least = FAINT_NUMBER * float(np.median(sizes)) if len(sizes) else 0.0
    out = num.copy()
    for c, t in zip(*mark_runs(faint, he), strict=True):
        k = int(np.searchsorted(slots, c)) - 1
        if t < least or not 0 <= k < len(slots) - 1:
            continue
        # clear of every strict number by half a row, edge to edge
        if float(slots[k + 1] - slots[k]) < ROOM_FOR_TWO * he or np.any(
                np.abs(marks - c) < 0.5 * (sizes + t) + 0.5 * he):
            continue
        a, b = max(0, int(round(c - t / 2))), min(len(num), int(round(c + t / 2)) + 1)
        out[a:b] = np.maximum(out[a:b], faint[a:b])
    return out


def number_profile(clean: np.ndarray, cmap: ColumnMap, col: int,
                   lines: tuple[RuledLine, ...], top: RuledLine, bottom: RuledLine, y0: int,
                   y1: int, he: float,
                   guides: list[RuledLine] | tuple[RuledLine, ...] = ()) -> np.ndarray:
    """The entry-number column's ink per row (as ``column_profiles``), with what is left of
    the row lines ``lines`` through it taken out: a pixel row with ink across most of the
    column (no digit fills that much), and the rows next to each line (a thick hand-drawn
    line's stub beside its traced path)."""
    b = cmap.boundaries
    xa, xb = float(b[col].pos), float(b[col + 1].pos)
    m = int(max(8.0, he))  # the strip and a margin for the straight-stroke test
    sx0, sx1 = int(max(0, min(xa, xb) - m)), int(min(clean.shape[1], max(xa, xb) + m))
    strip = np.zeros_like(clean)
    strip[:, sx0:sx1] = without_rules(np.ascontiguousarray(clean[:, sx0:sx1]), he)
    prof, cols = column_profiles(strip, cmap, top, bottom, y0, y1, guides)
    num = prof[cols.index(col)].copy()
    inset = max(3.0, min(8.0, 0.12 * (xb - xa)))
    width = max(1.0, xb - xa - 2 * inset)
    line = num >= 0.7 * width
    num[np.convolve(line, np.ones(3), mode="same") > 0] = 0
    # a line's y at the column, in the profile's rows (straightened as column_profiles)
    xc, xm = 0.5 * (xa + xb), 0.5 * (b[0].pos + b[-1].pos)
    reach = max(3, int(round(0.05 * he)))
    for ln in lines:
        y = float(ln.at(xc))
        shift = float(at_column(np.array([float(ln.at(xm))]), xc, xm, top, bottom, y0, y1,
                                guides)[0]) - float(ln.at(xm))
        r = int(round(y - shift - y0))
        num[max(0, r - reach):max(0, r + reach + 1)] = 0
    return num
