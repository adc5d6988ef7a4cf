"""Register pages laid out unlike the template, for the layout tests.

The generator draws the template it is given, so a page "printed with other proportions" is
drawn from a copy of the template with other column widths (or rows per page) and analysed
with the shipped one. The page geometry can be changed after the generator samples it
(number row forced, uneven rows) by wrapping ``sample_geometry``; cut edges, erased lines and
phone-photo perspective are applied to the finished image and its truth here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache
from unittest import mock

import cv2
import numpy as np

from sohoa.synth import SynthPage, generate_page
from sohoa.synth import page as synth_page
from sohoa.synth.layout import PageGeometry, sample_geometry
from sohoa.template import Template, load_template

Shape = Callable[[PageGeometry, np.random.Generator], PageGeometry]


def variant(tid: str, widths: dict[int, float] | None = None, rows: int | None = None
            ) -> Template:
    """The template with some columns' widths multiplied (column number -> factor)."""
    tpl = load_template(tid)
    cols = tuple(replace(c, width=c.width * (widths or {}).get(c.number, 1.0))
                 for c in tpl.columns)
    return replace(tpl, columns=cols, rows_per_page=rows or tpl.rows_per_page)


def number_row(g: PageGeometry, rng: np.random.Generator) -> PageGeometry:
    """Force the printed row of column numbers under the header."""
    if g.numbers_bottom > g.header_bottom:
        return g
    nb = g.header_bottom + int(g.mm * 5)
    n = len(g.row_edges) - 1
    step = (g.row_edges[-1] - nb) / n
    edges = tuple(int(round(nb + i * step)) for i in range(n + 1))
    return replace(g, numbers_bottom=nb, row_edges=edges)


def no_number_row(g: PageGeometry, rng: np.random.Generator) -> PageGeometry:
    if g.numbers_bottom == g.header_bottom:
        return g
    n = len(g.row_edges) - 1
    step = (g.row_edges[-1] - g.header_bottom) / n
    edges = tuple(int(round(g.header_bottom + i * step)) for i in range(n + 1))
    return replace(g, numbers_bottom=g.header_bottom, row_edges=edges)


def uneven_rows(g: PageGeometry, rng: np.random.Generator) -> PageGeometry:
    """Rows between 0.7 and 1.55 of the usual height (same table height)."""
    n = len(g.row_edges) - 1
    h = np.array([1.0, 1.55, 0.9, 1.15, 0.7, 1.0, 1.3, 0.85, 1.0, 1.5, 1.1, 0.8, 1.3, 0.9,
                  1.05, 0.85, 1.2, 1.0, 0.75, 1.25])[:n]
    top, bottom = g.row_edges[0], g.row_edges[-1]
    cum = np.r_[0.0, np.cumsum(h)] / h.sum()
    return replace(g, row_edges=tuple(int(round(top + c * (bottom - top))) for c in cum))


def _chain(*shapes: Shape) -> Callable[..., PageGeometry]:
    def sample(template: Template, dpi: int, rng: np.random.Generator) -> PageGeometry:
        g = sample_geometry(template, dpi, rng)
        for s in shapes:
            g = s(g, rng)
        return g
    return sample


@cache
def drawn(tpl: Template, seed: int, shapes: tuple[Shape, ...] = (), difficulty: str = "easy",
          dpi: int = 150) -> SynthPage:
    """A generated page of ``tpl`` (cached), its geometry changed by ``shapes``."""
    with mock.patch.object(synth_page, "sample_geometry", _chain(*shapes)):
        return generate_page(tpl, seed, difficulty=difficulty, font_role="test", dpi=dpi)


def geometry_of(tpl: Template, seed: int, shapes: tuple[Shape, ...] = (),
                dpi: int = 150) -> PageGeometry:
    """The upright geometry the generator drew (same rng draws as :func:`drawn`)."""
    rng = np.random.default_rng([seed, 1])
    synth_page.page_plan(rng, tpl.rows_per_page)
    return _chain(*shapes)(tpl, dpi, rng)


def warp_page(p: SynthPage, m: np.ndarray, size: tuple[int, int]) -> SynthPage:
    """The page seen through homography ``m`` (3x3) into an image of ``size``; truth follows
    (boxes become the boxes around the mapped corners)."""
    img = cv2.warpPerspective(p.image, m, size, flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(60, 60, 60))

    def pts(q):
        a = np.asarray(q, np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(a, m).reshape(-1, 2)

    def box(b):
        c = pts([[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]])
        x0, y0 = np.clip(c.min(0), 0, size)
        x1, y1 = np.clip(c.max(0), 0, size)
        return [int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1))]

    truth = dict(p.truth)
    truth["entries"] = [
        {**e, "quad": pts(e["quad"]).round(1).tolist(), "bbox": box(e["bbox"]),
         "fields": {k: {**f, "bbox": box(f["bbox"])} for k, f in e["fields"].items()}}
        for e in p.truth["entries"]]
    truth["blank_rows"] = [box(b) for b in p.truth["blank_rows"]]
    truth["table"] = {"quad": pts(p.truth["table"]["quad"]).round(1).tolist()}
    return SynthPage(img, truth)


def crop_page(p: SynthPage, x0: int, x1: int) -> SynthPage:
    """The page cut to columns x0..x1 of the image (a cropped scan)."""
    m = np.array([[1.0, 0, -x0], [0, 1.0, 0], [0, 0, 1.0]])
    return warp_page(p, m, (x1 - x0, p.image.shape[0]))


def erase_vertical(p: SynthPage, g: PageGeometry, which: list[int]) -> SynthPage:
    """The page with the printed column lines ``which`` (boundary indices) painted over in
    paper colour from the header's top to the table's bottom (an upright, unskewed page)."""
    img = p.image.copy()
    paper = tuple(int(v) for v in np.median(img.reshape(-1, 3), axis=0))
    # map upright-page points to the image through the entry quads' affine (no rotation here)
    src = np.array([[g.x_edges[0], g.row_edges[0]], [g.x_edges[-1], g.row_edges[0]],
                    [g.x_edges[-1], g.row_edges[1]]], np.float32)
    q = p.truth["entries"][0]["quad"] if p.truth["entries"] else None
    assert q is not None and p.truth["entries"][0]["row"] == 0
    dst = np.array([q[0], q[1], q[2]], np.float32)
    a = cv2.getAffineTransform(src, dst)
    thick = max(3, int(g.mm * 0.9))
    for i in which:
        x = g.x_edges[i]
        top = a @ np.array([x, g.header_top, 1.0])
        bot = a @ np.array([x, g.row_edges[-1], 1.0])
        cv2.line(img, (int(top[0]), int(top[1]) - 2), (int(bot[0]), int(bot[1]) + 2), paper,
                 thick)
    return SynthPage(img, p.truth)


def table_fit(tid: str) -> Template:
    return load_template(tid)
