"""The printed form of a register page: page size, title block, ruled table with the
template's column headers (wrapped) and an optional row of column numbers.

Everything here is drawn as ink coverage (uint8, 255 = full ink) on an upright page; the
page module adds handwriting, the degrade module paper, stains and the scan geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sohoa.synth.families import BookLayout
from sohoa.synth.fonts import load_font, print_families, print_font_path
from sohoa.synth.people import BookInfo
from sohoa.template import Template


@dataclass(frozen=True)
class PageGeometry:
    """Upright page layout in pixels (before skew and rotation)."""

    width: int
    height: int
    dpi: int
    x_edges: tuple[int, ...]  # column boundaries, len = columns + 1
    header_top: int
    header_bottom: int  # bottom of the header text row
    numbers_bottom: int  # bottom of the column-number row (= header_bottom when absent)
    row_edges: tuple[int, ...]  # row boundaries, len = rows + 1
    family: int = 0  # printed font family (fonts.print_families index)
    header_px: int = 24  # header font size in pixels
    header_mid: int = 0  # two-level header: y of the line under the group cells (0 = none)
    groups: tuple[tuple[int, int, str], ...] = ()  # (first col, last col, label) merged cells
    missing: frozenset[tuple[str, int]] = frozenset()  # ("v", x_edges i) / ("h", row_edges i)
    wobble: float = 0.0  # hand-drawn ruling: amplitude in pixels

    @property
    def mm(self) -> float:
        return self.dpi / 25.4

    def cell(self, row: int, col: int) -> tuple[int, int, int, int]:
        return (self.x_edges[col], self.row_edges[row], self.x_edges[col + 1],
                self.row_edges[row + 1])


@dataclass(frozen=True)
class FillIn:
    """A blank of the printed title that the clerk fills by hand."""

    x: int
    y: int  # baseline of the printed label the handwriting sits on
    max_width: int
    text: str
    key: str = ""  # commune, district, province, year, volume


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap to ``width`` pixels (a word longer than the width stays whole)."""
    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if cur and font.getlength(trial) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def _header_font_px(mm: float, rng: np.random.Generator) -> int:
    return max(8, int(round(mm * rng.uniform(2.6, 3.3))))


def sample_geometry(template: Template, dpi: int, rng: np.random.Generator) -> PageGeometry:
    """An A4-landscape-ish page with margins, title band, header and equal rows."""
    mm = dpi / 25.4
    width, height = int(round(297 * mm * rng.uniform(0.98, 1.02))), int(round(210 * mm))
    left = int(mm * rng.uniform(14, 24))
    right = width - int(mm * rng.uniform(8, 14))
    header_top = int(mm * rng.uniform(26, 32))
    bottom = height - int(mm * rng.uniform(9, 15))
    family = int(rng.choice(len(print_families()), p=_family_weights()))
    header_px = _header_font_px(mm, rng)
    font = load_font(print_font_path("bold", family), header_px)
    fr = template.column_fractions()
    jit = [0.0] + [float(rng.normal(0, 0.03)) for _ in fr[1:]] + [0.0]
    edges = []
    for i, (a, b) in enumerate(fr):
        edges.append(left + (a + jit[i] * (b - a)) * (right - left))
    edges.append(float(right))
    x_edges = tuple(int(round(e)) for e in edges)
    n_lines = max(
        len(wrap(c.header, font, (x_edges[i + 1] - x_edges[i]) - 0.8 * mm))
        for i, c in enumerate(template.columns)
    )
    line_h = font.size * 1.25
    header_bottom = header_top + int(n_lines * line_h + mm * rng.uniform(3, 6))
    numbers_bottom = header_bottom + (int(mm * rng.uniform(4, 5.5)) if rng.random() < 0.6 else 0)
    rows = template.rows_per_page
    row_h = (bottom - numbers_bottom) / rows
    row_edges = tuple(int(round(numbers_bottom + i * row_h)) for i in range(rows + 1))
    return PageGeometry(width, height, dpi, x_edges, header_top, header_bottom, numbers_bottom,
                        row_edges, family, header_px)


def vary_geometry(template: Template, dpi: int, rng: np.random.Generator, book: BookLayout,
                  missing_p: float = 0.0) -> PageGeometry:
    """A page of a book with a varied layout: the book's column widths, rows and header,
    with this page's small differences (margins, +-5 % row heights, faint or missing lines)."""
    mm = dpi / 25.4
    width, height = int(round(297 * mm * rng.uniform(0.98, 1.02))), int(round(210 * mm))
    left = int(mm * rng.uniform(12, 24))
    right = width - int(mm * rng.uniform(8, 14))
    header_top = int(mm * rng.uniform(26, 32))
    bottom = height - int(mm * rng.uniform(9, 15))
    fam = book.print_family
    header_px = max(8, int(round(_header_font_px(mm, rng) * book.header_scale)))
    font = load_font(print_font_path("bold", fam), header_px)
    w = np.asarray(book.widths) * rng.uniform(0.98, 1.02, len(book.widths))
    cum = np.concatenate([[0.0], np.cumsum(w)]) / w.sum()
    x_edges = tuple(int(round(left + c * (right - left))) for c in cum)
    n_lines = max(
        len(wrap(c.header, font, (x_edges[i + 1] - x_edges[i]) - 0.8 * mm))
        for i, c in enumerate(template.columns)
    )
    line_h = font.size * 1.25
    header_mid = 0
    header_bottom = header_top + int(n_lines * line_h + mm * rng.uniform(3, 6))
    if book.groups:
        header_mid = header_top + int(line_h * 1.2 + mm * 2)
        header_bottom += header_mid - header_top
    numbers_bottom = header_bottom + (int(mm * rng.uniform(4, 5.5)) if book.number_row else 0)
    hw = np.asarray(book.row_weights) * rng.uniform(0.95, 1.05, book.rows)
    ys = numbers_bottom + np.concatenate([[0.0], np.cumsum(hw)]) / hw.sum() * (
        bottom - numbers_bottom)
    row_edges = tuple(int(round(y)) for y in ys)
    missing = frozenset(
        [("v", i) for i in range(1, len(x_edges) - 1) if rng.random() < missing_p]
        + [("h", i) for i in range(1, len(row_edges) - 1) if rng.random() < missing_p])
    wobble = float(mm * rng.uniform(0.3, 0.9)) if book.hand_ruled else 0.0
    return PageGeometry(width, height, dpi, x_edges, header_top, header_bottom, numbers_bottom,
                        row_edges, fam, header_px, header_mid, book.groups, missing, wobble)


def _family_weights() -> list[float]:
    """Mostly the first (Times-like) family, sometimes the others."""
    n = len(print_families())
    w = [3.0] + [1.0] * (n - 1)
    return [x / sum(w) for x in w]


def _line(
    cov: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], thick: int, level: int,
    rng: np.random.Generator, broken: float,
) -> None:
    """A ruling line; ``broken`` > 0 leaves gaps and fades parts, as on worn print."""
    if broken <= 0:
        cv2.line(cov, p0, p1, level, thick, cv2.LINE_AA)
        return
    n = max(1, int(np.hypot(p1[0] - p0[0], p1[1] - p0[1]) // 40))
    for i in range(n):
        if rng.random() < broken * 0.15:
            continue
        a, b = i / n, (i + 1) / n
        q0 = (int(p0[0] + a * (p1[0] - p0[0])), int(p0[1] + a * (p1[1] - p0[1])))
        q1 = (int(p0[0] + b * (p1[0] - p0[0])), int(p0[1] + b * (p1[1] - p0[1])))
        lv = int(level * rng.uniform(1 - broken, 1.0))
        cv2.line(cov, q0, q1, lv, thick, cv2.LINE_AA)


def draw_ruling(
    cov: np.ndarray, g: PageGeometry, rng: np.random.Generator, broken: float = 0.0
) -> None:
    """Table lines: a thicker frame, thinner inner lines, header and number rows."""
    thin = max(1, int(round(g.mm * 0.2)))
    thick = max(thin + 1, int(round(g.mm * 0.4)))
    level = int(rng.uniform(170, 255))
    x0, x1 = g.x_edges[0], g.x_edges[-1]
    y0, y1 = g.header_top, g.row_edges[-1]
    if g.groups or g.missing or g.wobble:
        _draw_varied_ruling(cov, g, rng, broken, thin, thick, level)
        return
    for x in g.x_edges:
        t = thick if x in (x0, x1) else thin
        _line(cov, (x, y0), (x, y1), t, level, rng, broken)
    ys = [y0, g.header_bottom, g.numbers_bottom, *g.row_edges]
    for y in sorted(set(ys)):
        t = thick if y in (y0, y1, g.numbers_bottom) else thin
        _line(cov, (x0, y), (x1, y), t, level, rng, broken)


def _wobbly(cov: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], thick: int, level: int,
            rng: np.random.Generator, amp: float) -> None:
    """A hand-drawn ruling line: a slow sideways wander of up to ``amp`` pixels."""
    n = max(2, int(np.hypot(p1[0] - p0[0], p1[1] - p0[1]) // 15))
    t = np.linspace(0.0, 1.0, n)
    f1, f2 = rng.uniform(0.5, 2.0), rng.uniform(2.0, 5.0)
    off = amp * (0.7 * np.sin(2 * np.pi * (f1 * t + rng.random()))
                 + 0.3 * np.sin(2 * np.pi * (f2 * t + rng.random())))
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    norm = max(1e-6, float(np.hypot(dx, dy)))
    nx, ny = -dy / norm, dx / norm
    pts = np.stack([p0[0] + t * dx + off * nx, p0[1] + t * dy + off * ny], 1)
    cv2.polylines(cov, [np.round(pts).astype(np.int32)], False, level, thick, cv2.LINE_AA)


def _draw_varied_ruling(cov: np.ndarray, g: PageGeometry, rng: np.random.Generator,
                        broken: float, thin: int, thick: int, level: int) -> None:
    """Ruling of a varied layout: merged group cells in a two-level header, lines missing in
    the body (faded or never drawn), hand-drawn wobble."""
    x0, x1 = g.x_edges[0], g.x_edges[-1]
    y0, y1 = g.header_top, g.row_edges[-1]

    def line(p: tuple[int, int], q: tuple[int, int], t: int) -> None:
        if g.wobble:
            _wobbly(cov, p, q, t, level, rng, g.wobble)
        else:
            _line(cov, p, q, t, level, rng, broken)

    inner = {i for a, b, _ in g.groups for i in range(a + 1, b + 1)}
    for i, x in enumerate(g.x_edges):
        frame = i in (0, len(g.x_edges) - 1)
        top = g.header_mid if i in inner else y0
        bottom = g.numbers_bottom if ("v", i) in g.missing else y1
        line((x, top), (x, bottom), thick if frame else thin)
    for a, b, _ in g.groups:
        line((g.x_edges[a], g.header_mid), (g.x_edges[b + 1], g.header_mid), thin)
    # ("h", 0) missing: no line under the header nor its number row (generate_page's
    # header_line=False); the table's top frame stays
    ys = [(y0, thick)] + ([] if ("h", 0) in g.missing else
                          [(g.header_bottom, thin), (g.numbers_bottom, thick)])
    ys += [(y, thick if i == len(g.row_edges) - 1 else thin) for i, y in enumerate(g.row_edges)
           if ("h", i) not in g.missing]
    done: set[int] = set()
    for y, t in ys:
        if y not in done:
            done.add(y)
            line((x0, y), (x1, y), t)


def draw_print(
    g: PageGeometry, template: Template, book: BookInfo, page_no: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[FillIn]]:
    """Printed title, labels, column headers, column numbers and page number as coverage;
    returns the blanks (commune, year, volume) the clerk fills in by hand."""
    img = Image.new("L", (g.width, g.height), 0)
    draw = ImageDraw.Draw(img)
    mm = g.mm
    fam = g.family
    bold = load_font(print_font_path("bold", fam), int(mm * rng.uniform(5.5, 7)))
    regular = load_font(print_font_path("regular", fam), int(mm * rng.uniform(3.2, 3.8)))
    cx = (g.x_edges[0] + g.x_edges[-1]) // 2
    ty = int(mm * rng.uniform(6, 9))
    draw.text((cx, ty), template.title, font=bold, fill=255, anchor="mt")
    fills: list[FillIn] = []
    label_y = int(ty + bold.size + mm * 9)
    labels = [
        ("commune", "Xã/phường/thị trấn: ", f"{book.place.ward}", 45),
        ("district", "Huyện: ", f"{book.place.district}", 38),
        ("province", "Tỉnh: ", f"{book.place.province}", 32),
        ("year", "Năm: ", str(book.year), 18),
        ("volume", "Quyển số: ", book.volume, 14),
    ]
    x = g.x_edges[0] + int(mm * rng.uniform(0, 8))
    for key, label, value, width_mm in labels:
        draw.text((x, label_y), label, font=regular, fill=255, anchor="ls")
        lx = int(x + regular.getlength(label))
        w = int(width_mm * mm)
        dots = "." * max(3, int(w / max(1.0, regular.getlength("."))))
        draw.text((lx, label_y + int(mm * 0.4)), dots, font=regular, fill=200, anchor="ls")
        fills.append(FillIn(lx + int(mm * 2), label_y, w - int(mm * 3), value, key))
        x = lx + w + int(mm * 3)
    hfont = load_font(print_font_path("bold", fam), g.header_px)
    grouped = {i for a, b, _ in g.groups for i in range(a, b + 1)}
    for a, b, label in g.groups:
        xa, xb = g.x_edges[a], g.x_edges[b + 1]
        ln = wrap(label, hfont, (xb - xa) - 0.8 * mm)[0]
        draw.text(((xa + xb) / 2, (g.header_top + g.header_mid) / 2), ln, font=hfont,
                  fill=255, anchor="mm")
    for i, col in enumerate(template.columns):
        x0, x1 = g.x_edges[i], g.x_edges[i + 1]
        lines = wrap(col.header, hfont, (x1 - x0) - 0.8 * mm)
        lh = hfont.size * 1.2
        top = g.header_mid if i in grouped else g.header_top
        band = g.header_bottom - top
        y = top + (band - len(lines) * lh) / 2 + hfont.size * 0.95
        for ln in lines:
            draw.text(((x0 + x1) / 2, y), ln, font=hfont, fill=255, anchor="ms")
            y += lh
        if g.numbers_bottom > g.header_bottom:
            nfont = load_font(print_font_path("regular", fam), int(mm * 3))
            ny = (g.header_bottom + g.numbers_bottom) / 2
            draw.text(((x0 + x1) / 2, ny), str(col.number), font=nfont, fill=255, anchor="mm")
    pfont = load_font(print_font_path("regular", fam), int(mm * 3.2))
    px = g.x_edges[-1] if page_no % 2 == 0 else g.x_edges[0]
    anchor = "rs" if page_no % 2 == 0 else "ls"
    draw.text((px, g.height - int(mm * 4)), str(page_no), font=pfont, fill=255, anchor=anchor)
    return np.asarray(img, dtype=np.uint8).copy(), fills
