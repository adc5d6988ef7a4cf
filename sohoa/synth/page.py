"""One synthetic register page with its ground truth in the ``read`` contract shape.

Determinism: the book (commune, year, pace of registrations) comes from ``seed`` alone, each
page from ``(seed, page_no)``, so page 7 of a book is the same whether or not pages 1-6 were
drawn, and the registration numbers ``so`` continue across pages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from sohoa.errors import SohoaError
from sohoa.records import FieldKind
from sohoa.synth import degrade as dg
from sohoa.synth.capture import cut_truth, drop_cut_fields, photo_scan
from sohoa.synth.cells import Written, ink_hull, write_value
from sohoa.synth.families import (
    BookLayout,
    LayoutFamily,
    LayoutFamilyError,
    get_family,
    page_spans,
    sample_book_layout,
)
from sohoa.synth.hand import HandStyle, render_ink
from sohoa.synth.layout import (
    FillIn,
    PageGeometry,
    draw_print,
    draw_ruling,
    sample_geometry,
    vary_geometry,
)
from sohoa.synth.people import BookInfo, sample_book
from sohoa.synth.truth import bbox_of, layout_truth, page_truth, row_box
from sohoa.synth.values import (
    ValueContext,
    Writer,
    registration_date,
    sample_facts,
    sample_value,
    sample_writer,
)
from sohoa.template import Template, load_template

log = logging.getLogger(__name__)

DIFFICULTIES = ("easy", "hard")
ROTATIONS = (0, 90, 180, 270)
_OPTIONAL = {FieldKind.PLACE, FieldKind.TEXT, FieldKind.ETHNICITY, FieldKind.NATIONALITY,
             FieldKind.RELATION, FieldKind.YEAR}


class SynthError(SohoaError, ValueError):
    """Bad arguments to the generator."""


@dataclass(frozen=True)
class SynthPage:
    """A rendered page: ``image`` (RGB uint8, as scanned) and ``truth`` (the ``read`` JSON
    shape with boxes in final image pixels, see docs/synth.md)."""

    image: np.ndarray
    truth: dict[str, Any]
    labels: np.ndarray | None = None  # int32, final pixels: 1 + index into label_names
    label_names: tuple[str, ...] = ()  # "row:field" for each label (row = table row)


@dataclass(frozen=True)
class PagePlan:
    """The first draws of a page's rng: rows left blank at the bottom, and a row written by
    mistake, struck out and rewritten on the next row with the same number."""

    blank: int
    cancelled: int | None

    def entries(self, rows: int) -> int:
        return rows - self.blank - (1 if self.cancelled is not None else 0)


def page_plan(rng: np.random.Generator, rows: int) -> PagePlan:
    blank = int(rng.integers(1, min(4, rows) + 1)) if rng.random() < 0.25 else 0
    cancelled = None
    if rng.random() < 0.1 and rows - blank >= 3:
        cancelled = int(rng.integers(0, rows - blank - 1))
    return PagePlan(blank, cancelled)


def book_for_seed(template: Template, seed: int) -> BookInfo:
    return sample_book(np.random.default_rng([seed, 0]), str(template.register_type))


def book_layout(template: Template, seed: int, layout: str | None) -> BookLayout | None:
    """The varied layout book ``seed`` of family ``layout`` shares (None: the default)."""
    try:
        fam = get_family(layout)
    except LayoutFamilyError as exc:
        raise SynthError(str(exc)) from exc
    return None if fam is None else sample_book_layout(template, fam, seed)


def first_so(template: Template, seed: int, page_no: int, layout: str | None = None) -> int:
    """Registration number of the first entry on ``page_no`` (entries of earlier pages)."""
    bl = book_layout(template, seed, layout)
    rows = bl.rows if bl else template.rows_per_page
    fam = bl.family if bl else None
    done = 0
    for q in range(1, page_no):
        plan = page_plan(np.random.default_rng([seed, q]), rows)
        spans = page_spans(seed, q, rows, rows - plan.blank, plan.cancelled, fam)
        done += plan.entries(rows) - len(spans)
    return done + 1


def check_args(template: Template | str, difficulty: str, rotation: int, page_no: int
               ) -> Template:
    """The template, after checking the other arguments; a clear error otherwise."""
    tpl = load_template(template) if isinstance(template, str) else template
    if difficulty not in DIFFICULTIES:
        raise SynthError(f"difficulty must be one of {DIFFICULTIES}, got {difficulty!r}")
    if rotation not in ROTATIONS:
        raise SynthError(f"rotation must be one of {ROTATIONS}, got {rotation!r}")
    if page_no < 1:
        raise SynthError(f"page_no must be >= 1, got {page_no}")
    return tpl


def _clerks(seed: int, font_role: str, mm: float) -> list[tuple[HandStyle, Writer]]:
    """The 2-4 clerks who keep this book all year: same hand and habits on every page."""
    rng = np.random.default_rng([seed, 0, 1])
    size = mm * rng.uniform(3.8, 5.0)
    return [(HandStyle.sample(rng, font_role, size=size * rng.uniform(0.9, 1.1)),
             sample_writer(rng)) for _ in range(int(rng.integers(2, 5)))]


def _writers(rng: np.random.Generator, clerks: list[tuple[HandStyle, Writer]], hard: bool
             ) -> list[tuple[HandStyle, Writer]]:
    """1-3 of the book's clerks write this page, each with today's pen (ink colour shifts a
    little from day to day); on old (hard) books some inks have faded."""
    n = min(len(clerks), int(rng.choice([1, 1, 2, 2, 3])))
    out = []
    for i in rng.choice(len(clerks), size=n, replace=False):
        style, writer = clerks[int(i)]
        ink = np.clip(np.asarray(style.ink, float) + rng.normal(0, 8, 3), 0, 255)
        if hard and rng.random() < 0.3:
            ink = ink + (190 - ink) * rng.uniform(0.2, 0.45)
        style = replace(style, ink=(int(ink[0]), int(ink[1]), int(ink[2])),
                        pressure=float(np.clip(style.pressure + rng.normal(0, 0.05), 0, 0.4)))
        out.append((style, writer))
    return out


Cell = tuple[str, str, Written, tuple[float, float, float, float]]  # text, value, ink, slot


def _slot_rows(g: PageGeometry, row: int, last: int, spec_line: int, n: int, kind: FieldKind
               ) -> tuple[float, float, int, int]:
    """Where a field goes: (top, bottom, lines in that band, its line there). A long entry
    over rows ``row``..``last`` writes stacked fields one per row, wraps places and notes
    over both rows, and keeps short values in its first row."""
    if last == row:
        return g.row_edges[row], g.row_edges[row + 1], n, spec_line
    if n >= 2:
        r = row + min(spec_line, last - row)
        return g.row_edges[r], g.row_edges[r + 1], 1, 0
    if kind in (FieldKind.PLACE, FieldKind.TEXT):
        return g.row_edges[row], g.row_edges[last + 1], 1, 0
    return g.row_edges[row], g.row_edges[row + 1], 1, 0


def _write_entry(
    page: np.ndarray, g: PageGeometry, tpl: Template, row: int, ctx: ValueContext,
    style: HandStyle, rng: np.random.Generator, labels: np.ndarray | None, names: list[str],
    last: int | None = None,
) -> dict[str, Cell]:
    """Write one entry in table row ``row`` (through row ``last`` for a long entry)."""
    out: dict[str, Cell] = {}
    pad = g.mm * 0.7
    for ci, col in enumerate(tpl.columns):
        x0, x1 = g.x_edges[ci], g.x_edges[ci + 1]
        for spec in col.fields:
            fv = sample_value(spec, rng, ctx)
            if fv is None or (spec.kind in _OPTIONAL and rng.random() < 0.03):
                continue
            y0, y1, n, line = _slot_rows(g, row, row if last is None else last, spec.line,
                                         len(col.fields), spec.kind)
            slot = (y1 - y0 - 2 * pad) / n
            top = y0 + pad + line * slot
            over = ctx.writer.sprawl * (y1 - y0)  # a sprawling hand crosses the row lines
            box = (x0 + pad, top - (over if line == 0 else 0.0), x1 - pad,
                   top + slot + (over if line == n - 1 else 0.0))
            max_lines = 4 if n == 1 and spec.kind in (FieldKind.PLACE, FieldKind.TEXT) else (
                2 if n == 1 else 1)
            names.append(f"{row}:{spec.name}")
            written = write_value(page, box, fv.text, spec.kind, style, rng, max_lines,
                                  labels, len(names))
            if len(written.hull):
                slot_h = (y1 - y0) / n
                out[spec.name] = (fv.text, fv.value, written,
                                  (x0, y0 + line * slot_h, x1, y0 + (line + 1) * slot_h))
    return out


def _strike(page: np.ndarray, g: PageGeometry, first: int, last: int, style: HandStyle,
            rng: np.random.Generator) -> np.ndarray:
    """One diagonal pen stroke across rows ``first``..``last``; returns its hull points."""
    x0, x1 = g.x_edges[0] + g.mm * 3, g.x_edges[-1] - g.mm * 3
    y0, y1 = g.row_edges[first] + g.mm * 2, g.row_edges[last + 1] - g.mm * 2
    cov = np.zeros((int(y1 - y0) + 8, int(x1 - x0) + 8), np.uint8)
    cv2.line(cov, (4, 4), (cov.shape[1] - 5, cov.shape[0] - 5), 255,
             max(2, int(g.mm * 0.35)), cv2.LINE_AA)
    a = cov.astype(np.float32) / 255.0 * rng.uniform(0.75, 1.0)
    dg.apply_ink(page, a, style.ink, int(x0) - 4, int(y0) - 4)
    return ink_hull(a, int(x0) - 4, int(y0) - 4)


def generate_page(
    template: Template | str,
    seed: int,
    difficulty: str = "easy",
    font_role: str = "test",
    page_no: int = 1,
    rotation: int = 0,
    dpi: int = 200,
    with_labels: bool = False,
    layout: str | None = None,
    header_line: bool = True,
) -> SynthPage:
    """Render one page of a synthetic register book and its ground truth.

    ``truth["angle"]`` is the skew applied in degrees, positive = counter-clockwise (the
    cv2.getRotationMatrix2D / skimage.transform.rotate convention): rotating the image by
    ``-angle`` straightens it. ``rotation`` turns the whole scan counter-clockwise by that many
    degrees (np.rot90), as when a page is fed sideways. ``with_labels`` also returns a mask of
    which field wrote each final pixel (for tests and pixel-exact training crops).
    ``layout`` names a layout family (``sohoa.synth.families``; None or "default": the
    original layout, drawn exactly as before). ``header_line=False`` (a layout family's page
    only) draws no line under the header or its number row: the first entry's writing sits
    right under the printed header, as in a book whose line was never ruled or wore away
    (``truth["layout"]["missing_lines"]["rows"]`` then holds 0).
    """
    tpl = check_args(template, difficulty, rotation, page_no)
    hard = difficulty == "hard"
    bl = book_layout(tpl, seed, layout)
    fam = bl.family if bl else None
    book = book_for_seed(tpl, seed)
    rng = np.random.default_rng([seed, page_no])
    n_rows = bl.rows if bl else tpl.rows_per_page
    plan = page_plan(rng, n_rows)
    g = sample_geometry(tpl, dpi, rng) if bl is None else vary_geometry(
        tpl, dpi, rng, bl, bl.family.missing_lines)
    if not header_line:
        if bl is None:
            raise SynthError("header_line=False needs a layout family (--layout)")
        g = replace(g, missing=g.missing | {("h", 0)})
    page, fills = _printed_form(g, tpl, book, page_no, rng, hard)
    writers = _writers(rng, _clerks(seed, font_role, dpi / 25.4), hard)
    header = {f.key: (f.text, _fill_in(page, f, writers[0][0], rng)) for f in fills}
    labels = np.zeros((g.height, g.width), np.int32) if with_labels else None
    spans = page_spans(seed, page_no, n_rows, n_rows - plan.blank, plan.cancelled, fam)
    rows = _write_rows(page, g, tpl, book, plan, first_so(tpl, seed, page_no, layout), writers,
                       rng, labels, n_rows, spans)
    if hard:
        _age(page, g, book, rng)
    scan = dg.sample_scan(rng, g.width, g.height, hard, rotation, g.mm)
    cap = np.random.default_rng([seed, page_no, 6])
    if fam is not None:
        scan = photo_scan(scan, cap, fam, hard, g)
    img = _scan(page, scan, rng, hard, g.mm, fam, cap)
    if labels is not None:
        labels = dg.rotate(dg.warp_labels(labels, scan), rotation)
    size = scan.final_size
    truth = page_truth(tpl, g, scan, book, page_no, rows.entries, n_rows, plan.blank,
                       rows.strike is not None, size)
    if bl is not None:
        truth["layout"] = layout_truth(tpl, g, scan, bl, spans, size)
        cut = cut_truth(tpl, g, scan)
        if cut is not None:
            truth["layout"]["cut"] = cut
            hulls = {(row, name): scan.map_points(c[2].hull)
                     for row, _, fields in rows.entries for name, c in fields.items()}
            drop_cut_fields(truth, scan, hulls)
    truth["struck_rows"] = [row_box(g, scan, r, size) for r in rows.struck_rows]
    truth["blank_rows"] = sorted(truth["blank_rows"] + truth["struck_rows"],
                                 key=lambda b: (b[1], b[0]))
    truth["header_fields"] = {
        key: {"text": text, "bbox": bbox_of(scan.map_points(hull), size)}
        for key, (text, hull) in header.items() if len(hull)
    }
    if rows.strike is not None and len(rows.strike):
        truth["strike_bbox"] = bbox_of(scan.map_points(rows.strike), size)
    return SynthPage(img, truth, labels, tuple(rows.names))


def _printed_form(
    g: PageGeometry, tpl: Template, book: BookInfo, page_no: int, rng: np.random.Generator,
    hard: bool,
) -> tuple[np.ndarray, list[FillIn]]:
    """Paper with the printed title, labels, headers and ruling."""
    page = dg.paper(rng, g.width, g.height, hard)
    print_cov, fills = draw_print(g, tpl, book, page_no, rng)
    draw_ruling(print_cov, g, rng, broken=float(rng.uniform(0.2, 0.6)) if hard else 0.0)
    darkness = rng.uniform(0.75, 0.93) if hard else rng.uniform(0.85, 0.95)
    dg.apply_grey(page, print_cov, float(darkness))
    return page, fills


def _fill_in(page: np.ndarray, fill: FillIn, style: HandStyle, rng: np.random.Generator
             ) -> np.ndarray:
    """Handwrite one blank of the title line; returns the ink hull."""
    a = render_ink(fill.text, style, rng)
    s = min(1.0, fill.max_width / a.shape[1])
    if s < 1:
        a = cv2.resize(a, (max(1, int(a.shape[1] * s)), max(1, int(a.shape[0] * s))))
    y = fill.y - int(a.shape[0] * rng.uniform(0.7, 0.9))
    dg.apply_ink(page, a, style.ink, fill.x, y)
    return ink_hull(a, fill.x, y)


@dataclass(frozen=True)
class _Rows:
    entries: list[tuple[int, int, dict[str, Cell]]]  # first row, last row, fields
    struck_rows: list[int]
    strike: np.ndarray | None  # hull of the stroke across the blank rows
    names: list[str]


def _write_rows(
    page: np.ndarray, g: PageGeometry, tpl: Template, book: BookInfo, plan: PagePlan, so: int,
    writers: list[tuple[HandStyle, Writer]], rng: np.random.Generator,
    labels: np.ndarray | None, rows: int, spans: tuple[int, ...] = (),
) -> _Rows:
    """Fill the rows top down: entries numbered on from ``so``, the cancelled row struck and
    rewritten below, the unused rows left blank (and sometimes struck); an entry in a row of
    ``spans`` also takes the next row."""
    entries: list[tuple[int, int, dict[str, Cell]]] = []
    names: list[str] = []
    struck_rows: list[int] = []
    wi, facts = 0, None
    for row in range(rows - plan.blank):
        if row - 1 in spans:
            continue
        if rng.random() < 0.15:
            wi = int(rng.integers(len(writers)))
        style, writer = writers[wi]
        if facts is None or row - 1 != plan.cancelled:  # a cancelled row is rewritten as is
            facts = sample_facts(rng, book, so, registration_date(book, so, float(rng.random())))
        ctx = ValueContext(book, facts, writer)
        if row == plan.cancelled:
            _write_entry(page, g, tpl, row, ctx, style, rng, None, [])
            _strike(page, g, row, row, style, rng)
            struck_rows.append(row)
            continue
        last = row + 1 if row in spans else row
        entries.append((row, last, _write_entry(page, g, tpl, row, ctx, style, rng, labels,
                                                names, last)))
        so += 1
    strike = None
    if plan.blank > 0 and rng.random() < 0.5:
        strike = _strike(page, g, rows - plan.blank, rows - 1, writers[wi][0], rng)
    return _Rows(entries, struck_rows, strike, names)


def _age(page: np.ndarray, g: PageGeometry, book: BookInfo, rng: np.random.Generator) -> None:
    """Old books: the back page showing through, stains, the commune's red seal."""
    if rng.random() < 0.35:
        dg.show_through(page, rng, g.mm)
    dg.stains(page, rng, int(rng.integers(0, 4)))
    if rng.random() < 0.6:
        cx = int(rng.uniform(g.x_edges[0], g.x_edges[-1]))
        cy = int(rng.uniform(g.row_edges[0], g.row_edges[-1]))
        seal = f"UBND XÃ {book.place.ward.upper()} * {book.place.district.upper()}"
        dg.stamp(page, rng, seal, cx, cy, g.mm)


def _scan(page: np.ndarray, scan: dg.ScanGeometry, rng: np.random.Generator, hard: bool,
          mm: float, fam: LayoutFamily | None = None, cap: np.random.Generator | None = None,
          ) -> np.ndarray:
    """The sheet on the scanner bed: skew/curl, gutter, noise, blur, JPEG, rotation; a
    varied family's capture (its own rng ``cap``) sets the facing page and uneven light."""
    grey = rng.uniform(15, 75)
    bed = tuple(int(grey + v) for v in rng.uniform(-6, 6, 3)) if hard else (235, 235, 235)
    img = dg.warp(page, scan, bed)  # type: ignore[arg-type]
    if fam is None or cap is None:
        if hard and rng.random() < 0.4:
            dg.gutter(img, scan, rng, mm)
    else:
        if hard and cap.random() < fam.facing:
            dg.gutter(img, scan, cap, mm)
        if fam.light > 0:
            img = dg.uneven_light(img, cap, fam.light * (1.0 if hard else 0.5))
    img = dg.noise_blur_jpeg(img, rng, hard)
    return dg.rotate(img, scan.rotation)
