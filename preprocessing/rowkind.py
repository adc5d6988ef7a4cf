"""What a row slot of the table is: an entry, a blank row or a struck row; and a long entry
written over two printed rows taken back into one. Works on the rows ``entries.segment`` cut
(field regions and the ink found in them)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from preprocessing.strikes import components, off_ruling
from sohoa.records import FieldKind
from sohoa.template import Template

Pts = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class FieldSeg:
    """A field's region (its cell, or its line of a cell that holds two fields) and the box
    around the handwriting found in it (None when empty)."""

    quad: Pts
    empty: bool
    ink: tuple[float, float, float, float] | None = None
    reason: str = ""  # why an empty field has no reading ("column cut off")


@dataclass(frozen=True)
class RowSeg:
    """One row slot of the table: ``kind`` is "entry", "blank" or "struck"."""

    row: int
    quad: Pts
    kind: str
    fields: dict[str, FieldSeg]


def _box(q: Pts, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in q], [p[1] for p in q]
    x0 = int(np.clip(round(min(xs)) + 2, 0, shape[1]))
    y0 = int(np.clip(round(min(ys)) + 2, 0, shape[0]))
    x1 = int(np.clip(round(max(xs)) - 2, 0, shape[1]))
    y1 = int(np.clip(round(max(ys)) - 2, 0, shape[0]))
    return x0, y0, max(x0, x1), max(y0, y1)


def written_beyond_number(row: RowSeg, bare: np.ndarray, template: Template,
                          min_area: int) -> bool:
    """Whether a row holds writing outside its entry-number cell, measured on ``bare`` (the
    ink with what is left of ruling lines taken out: straight strokes over half a row). Every
    register entry has more than its number; a blank row is not made an entry by a number
    written ahead, a speck in the number cell, or the stubs of a ruling line the grid did not
    find (or found off its place) running through its cells or along their edges."""
    number = {f.name for f in template.fields if f.kind == FieldKind.NUMBER}
    min_comp = max(3, min_area // 4)
    for name, f in row.fields.items():
        if name in number or f.empty:
            continue
        cell = _box(f.quad, bare.shape)
        comps = off_ruling(components(bare, cell, min_comp), cell)
        # a thin level piece is a row line's stub (where the line left its fitted curve),
        # not writing: letters are taller than 4 px on the analysis copy; at the field's top
        # or bottom edge a thick hand-drawn line's bent end is up to a fifth of its height
        h, w = comps[:, 3] - comps[:, 1], comps[:, 2] - comps[:, 0]
        fh = cell[3] - cell[1]
        edge = (comps[:, 1] - cell[1] <= 0.2 * fh) | (cell[3] - comps[:, 3] <= 0.2 * fh)
        comps = comps[~((w >= 4 * h) & ((h <= 4) | (edge & (h <= 0.2 * fh))))]
        if len(comps) and comps[:, 4].sum() >= min_area:
            return True
    return False


def unwritten_to_blank(rows: list[RowSeg], bare: np.ndarray, template: Template,
                       min_area: int, struck: list[bool]) -> list[RowSeg]:
    """Rows called entries that hold no writing beyond their number cell become blank rows
    (``struck[i]``: a strike-through stroke touches row i: then struck), their fields empty."""
    out = []
    for r, s in zip(rows, struck, strict=True):
        if r.kind == "entry" and not written_beyond_number(r, bare, template, min_area):
            fields = {k: replace(f, empty=True, ink=None) for k, f in r.fields.items()}
            r = replace(r, kind="struck" if s else "blank", fields=fields)
        out.append(r)
    return out


def join_continued(rows: list[RowSeg], template: Template,
                   unseen: set[str] | frozenset[str] = frozenset()) -> list[RowSeg]:
    """A long entry written over two printed rows stays one entry: a written row whose number
    and first one-field name or date cell (the registration date, the name) are empty, under
    an entry that has them, continues that entry. A two-field cell (name over birth date) does
    not decide: a long entry writes its second field in the second row. A cell in ``unseen``
    (its column cut off, or cut through, at the image's edge) is no evidence: empty there
    means cut away, and with no such cell left to decide no row is joined."""
    keys = [f.name for f in template.fields if f.kind == FieldKind.NUMBER][:1]
    alone = [c.fields[0] for c in template.columns if len(c.fields) == 1]
    keys += [f.name for f in alone if f.kind in (FieldKind.NAME, FieldKind.DATE)][:1]
    keys = [k for k in keys if k not in unseen]
    if not keys:
        return rows
    out: list[RowSeg] = []
    for row in rows:
        prev = out[-1] if out else None
        if (prev is not None and row.kind == "entry" and prev.kind == "entry"
                and all(row.fields[k].empty for k in keys)
                and not all(prev.fields[k].empty for k in keys)):
            out[-1] = _joined(prev, row)
            continue
        out.append(row)
    return out


def last_slot(row: RowSeg, slots: list[RowSeg]) -> int:
    """The last row slot a (joined) row takes: the slot whose bottom is the row's."""
    for s in slots[row.row:]:
        if s.quad[2] == row.quad[2]:
            return s.row
    return row.row


def _joined(a: RowSeg, b: RowSeg) -> RowSeg:
    fields = {}
    for name, fa in a.fields.items():
        fb = b.fields[name]
        if fb.ink is None:
            fields[name] = fa
            continue
        quad = (fa.quad[0], fa.quad[1], fb.quad[2], fb.quad[3])
        if fa.ink is None:
            fields[name] = FieldSeg(quad, False, fb.ink)
            continue
        ink = (min(fa.ink[0], fb.ink[0]), min(fa.ink[1], fb.ink[1]),
               max(fa.ink[2], fb.ink[2]), max(fa.ink[3], fb.ink[3]))
        fields[name] = FieldSeg(quad, False, ink)
    return RowSeg(a.row, (a.quad[0], a.quad[1], b.quad[2], b.quad[3]), "entry", fields)
