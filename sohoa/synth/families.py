"""Layout families: named ranges of how a register book's printed form and its capture vary
(column proportions, number row, one- or two-level header with merged cells, print font,
rows per page and their heights, long entries over two rows, missing or hand-drawn ruling,
cut edges, phone-photo perspective and light, the facing page).

A book draws its :class:`BookLayout` once from its family (all its pages share it; pages vary a
little: margins, row heights, which lines are faint). Families marked ``held_out`` are for
benchmarks only: no training, tuning or calibration fit may use them (see docs/synth.md).
The family ``default`` is the generator's original layout, drawn exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sohoa.template import Template


class LayoutFamilyError(ValueError):
    """An unknown layout family name."""


@dataclass(frozen=True)
class LayoutFamily:
    """Ranges a book's layout is drawn from. Probabilities are per book unless noted."""

    name: str
    held_out: bool
    about: str
    width_spread: float = 0.5  # each column's width x U(1 - s, 1 + s) of the template's
    number_row: float = 0.5  # a printed row of column numbers under the header
    two_level: float = 0.0  # a two-level header: group cells merged over 2-4 columns
    print_families: tuple[int, ...] = (0, 1, 2)  # indexes of fonts.print_font_path()
    header_scale: tuple[float, float] = (0.9, 1.1)  # header font size factor
    rows: tuple[int, int] = (5, 15)  # printed rows per page (inclusive)
    row_unevenness: float = 0.2  # row heights x U(1 - u, 1 + u), book-wide, +-5 % per page
    two_row_entry: float = 0.0  # per page: one long entry written over two printed rows
    missing_lines: float = 0.0  # per page and inner ruling line: not drawn
    hand_ruled: float = 0.0  # wobbly hand-drawn ruling
    crop: float = 0.0  # per hard page: the table cut at the left or right image edge
    perspective: float = 0.0  # hard pages: keystone, corner shift up to this share of a side
    light: float = 0.0  # uneven light strength (easy pages get half)
    facing: float = 0.0  # per hard page: the facing page's edge and gutter shadow


FAMILIES: dict[str, LayoutFamily] = {f.name: f for f in (
    LayoutFamily("proportions", False, "other column proportions, number row, 8-12 rows",
                 width_spread=0.5, number_row=0.5, rows=(8, 12), row_unevenness=0.1),
    LayoutFamily("two-level", False, "two-level header with merged group cells",
                 width_spread=0.35, number_row=0.6, two_level=1.0, print_families=(0, 1),
                 rows=(6, 12), two_row_entry=0.3),
    LayoutFamily("hand-ruled", False, "hand-drawn, wobbly, partly missing ruling, uneven rows",
                 width_spread=0.4, number_row=0.3, print_families=(0, 2), rows=(5, 15),
                 row_unevenness=0.3, missing_lines=0.12, hand_ruled=1.0, two_row_entry=0.2),
    LayoutFamily("photo", False, "phone photos: perspective, cut edge, light, facing page",
                 width_spread=0.3, rows=(8, 12), crop=0.5, perspective=0.05, light=0.5,
                 facing=0.6),
    LayoutFamily("mixed", False, "a bit of everything",
                 width_spread=0.5, number_row=0.5, two_level=0.4, rows=(5, 15),
                 row_unevenness=0.25, two_row_entry=0.2, missing_lines=0.05, hand_ruled=0.3,
                 crop=0.3, perspective=0.04, light=0.4, facing=0.4),
    LayoutFamily("hand-photo", False, "hand-ruled book photographed with a phone: wobbly "
                 "and missing lines, long entries, uneven rows, perspective, cut edge, light",
                 width_spread=0.45, number_row=0.4, two_level=0.35, print_families=(0, 1, 2),
                 header_scale=(0.85, 1.25), rows=(4, 16), row_unevenness=0.4,
                 two_row_entry=0.4, missing_lines=0.15, hand_ruled=1.0, crop=0.5,
                 perspective=0.07, light=0.7, facing=0.7),
    LayoutFamily("sans-print", False, "forms printed in sans or school type of other widths "
                 "(Liberation Sans, Noto Sans, Andika): wider header text, more wrapped "
                 "header lines, some two-level headers, phone photos",
                 width_spread=0.5, number_row=0.6, two_level=0.35, print_families=(4, 5, 6),
                 header_scale=(0.85, 1.2), rows=(5, 14), row_unevenness=0.2,
                 two_row_entry=0.15, missing_lines=0.04, crop=0.3, perspective=0.04,
                 light=0.4, facing=0.4),
    LayoutFamily("wide-columns", False, "columns from 0.4 to 1.6 of the template's widths "
                 "(past the half-to-twice the product is built for), header type 0.7-1.3, "
                 "4-18 rows, number rows, two-level headers, a few missing lines",
                 width_spread=0.6, number_row=0.7, two_level=0.5, print_families=(0, 1, 2),
                 header_scale=(0.7, 1.3), rows=(4, 18), row_unevenness=0.3,
                 two_row_entry=0.2, missing_lines=0.05),
    # held out: benchmarks only
    LayoutFamily("ho-ministry", True, "held out: Ministry form of another print run: other "
                 "proportions, number row, other font, 6-10 rows, some two-level headers",
                 width_spread=0.5, number_row=1.0, two_level=0.4, print_families=(3,),
                 header_scale=(0.8, 1.0), rows=(6, 10), row_unevenness=0.15,
                 two_row_entry=0.15, missing_lines=0.03, crop=0.4, perspective=0.05,
                 light=0.4, facing=0.5),
    LayoutFamily("ho-handbook", True, "held out: hand-ruled book photographed: 5-15 uneven "
                 "rows, wobbly and missing lines, long entries, cut edges, perspective",
                 width_spread=0.5, number_row=0.5, two_level=0.3, print_families=(3, 1),
                 header_scale=(1.0, 1.2), rows=(5, 15), row_unevenness=0.35,
                 two_row_entry=0.3, missing_lines=0.1, hand_ruled=1.0, crop=0.4,
                 perspective=0.06, light=0.6, facing=0.6),
)}
DEFAULT = "default"
HELD_OUT = tuple(n for n, f in FAMILIES.items() if f.held_out)
TRAINING = tuple(n for n, f in FAMILIES.items() if not f.held_out)
GROUP_LABELS = ("Người được đăng ký", "Nội dung đăng ký", "Cha, mẹ", "Thông tin về cha mẹ",
                "Người đi khai", "Phần ghi của cán bộ")


def family_names() -> tuple[str, ...]:
    return (DEFAULT, *FAMILIES)


def get_family(name: str | None) -> LayoutFamily | None:
    """The family called ``name`` (None or ``default``: the original layout)."""
    if name is None or name == DEFAULT:
        return None
    if name not in FAMILIES:
        raise LayoutFamilyError(
            f"unknown layout family {name!r}; use one of {', '.join(family_names())}")
    return FAMILIES[name]


@dataclass(frozen=True)
class BookLayout:
    """One book's printed form, drawn once from its family."""

    family: LayoutFamily
    widths: tuple[float, ...]  # relative column widths
    number_row: bool
    groups: tuple[tuple[int, int, str], ...]  # (first column, last column, label); () = 1 level
    print_family: int
    header_scale: float
    rows: int
    row_weights: tuple[float, ...]
    hand_ruled: bool


def _groups(n_cols: int, rng: np.random.Generator) -> tuple[tuple[int, int, str], ...]:
    """1-2 runs of 2-4 neighbouring columns (never the first) under one merged label."""
    out: list[tuple[int, int, str]] = []
    start = 1 + int(rng.integers(0, 3))
    labels = list(rng.permutation(len(GROUP_LABELS)))
    while len(out) < int(rng.integers(1, 3)) and start + 1 < n_cols:
        size = int(rng.integers(2, 5))
        last = min(n_cols - 1, start + size - 1)
        out.append((start, last, GROUP_LABELS[labels[len(out)]]))
        start = last + 1 + int(rng.integers(0, 3))
    return tuple(out)


def sample_book_layout(template: Template, fam: LayoutFamily, seed: int) -> BookLayout:
    """The layout every page of book ``seed`` shares (its own rng stream)."""
    rng = np.random.default_rng([seed, 0, 3])
    s = fam.width_spread
    widths = tuple(c.width * float(rng.uniform(1 - s, 1 + s)) for c in template.columns)
    n_cols = len(template.columns)
    groups = _groups(n_cols, rng) if n_cols >= 4 and rng.random() < fam.two_level else ()
    rows = int(rng.integers(fam.rows[0], fam.rows[1] + 1))
    u = fam.row_unevenness
    weights = tuple(float(rng.uniform(1 - u, 1 + u)) for _ in range(rows))
    return BookLayout(
        fam, widths, bool(rng.random() < fam.number_row), groups,
        int(rng.choice(fam.print_families)), float(rng.uniform(*fam.header_scale)), rows,
        weights, bool(rng.random() < fam.hand_ruled))


def page_spans(seed: int, page_no: int, rows: int, written: int, cancelled: int | None,
               fam: LayoutFamily | None) -> tuple[int, ...]:
    """Rows whose entry also takes the next printed row (a long entry over two rows); drawn
    from the page's own stream so ``first_so`` can count entries without drawing."""
    if fam is None or fam.two_row_entry <= 0:
        return ()
    rng = np.random.default_rng([seed, page_no, 5])
    if rng.random() >= fam.two_row_entry:
        return ()
    bad = set() if cancelled is None else {cancelled, cancelled + 1}
    choices = [r for r in range(written - 1) if r not in bad and r + 1 not in bad]
    return (int(rng.choice(choices)),) if choices else ()
