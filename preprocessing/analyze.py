"""Page analysis driver: one call from a page image to its entries and field boxes.

The stages are small named functions chained here: grey -> flatten -> binarise -> skew ->
quarter turn -> grid -> columns -> rows/fields -> map back to the scan. All measuring happens on
a copy scaled to about 150 dpi (fast, and plenty for ruling and text lines); the boxes are then
mapped to the ingested image through one affine transform, which the layout keeps so crops can
be cut from the full-resolution page.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import cache

import cv2
import numpy as np

from preprocessing.clean import (
    bed_mask,
    binarize,
    drop_red,
    ink_fraction,
    normalize_background,
    red_mask,
    to_grey,
)
from preprocessing.colfit import columns_of_page
from preprocessing.columns import ColumnMap
from preprocessing.consensus import BookPrior
from preprocessing.entries import Pts, Segmentation, segment
from preprocessing.geometry import (
    apply,
    bbox_of,
    clockwise,
    scale_matrix,
    straight_within,
    to_affine,
    to_quad,
    undo_turns,
    upright_transform,
    warp,
)
from preprocessing.layout import ColumnGeometry, EntryLayout, FieldBox, Grid, PageLayout, SkippedRow
from preprocessing.orientation import Orientation, orient
from preprocessing.perspective import grid_quad, rectifying, table_quad
from preprocessing.skew import estimate_skew
from sohoa.template import Template

log = logging.getLogger(__name__)

ANALYSIS_SIDE = 1600  # longer side of the analysis copy, pixels
BLANK_INK = 0.0015  # ink fraction below which a page is blank
FAINT_K = 0.05  # Sauvola k of the faint strokes that field boxes grow into (grow_faint_ink)
FADED_K = 0.1  # ... of the ink rows called blank are looked at again on (faded.py)
STRICT_K = 0.2  # Sauvola k of the ink everything is measured on
RULING_K = 0.12  # ... and on a page whose ruling that ink breaks up (faint, thin lines)
MAX_STRUCK_AMONG = 2  # rows above the last entry taken as struck through, at most, on an "ok" page
NOISE_INK = 0.3  # a written register page is mostly paper; above this it is noise or a photo


def analysis_grey(image: np.ndarray) -> np.ndarray:
    """Grey for analysis with red stamp ink turned to paper: a commune seal over the grid must
    not count as handwriting (dark pen strokes under the seal are not red and stay). The seal's
    pixels take the level of the paper around them, not white: in a photo or a shadow the
    paper is grey, and a white ring on it leaves its surroundings darker than the paper next
    to them, which binarisation turns into specks of "writing" (filling in from the
    neighbours instead, inpainting, smears the ruling into the seal's star)."""
    grey = drop_red(image)
    red = red_mask(image)
    if red is None:
        return grey
    r = image[:, :, 0].astype(np.int16)
    gb = np.maximum(image[:, :, 1], image[:, :, 2]).astype(np.int16)
    seal = (red & ((r - gb) > 10)).astype(np.uint8)  # pen strokes are not redder than paper
    ys, xs = np.nonzero(seal)
    if len(ys) == 0:
        return grey
    pad = 8
    y0, y1 = max(0, int(ys.min()) - pad), min(grey.shape[0], int(ys.max()) + 1 + pad)
    x0, x1 = max(0, int(xs.min()) - pad), min(grey.shape[1], int(xs.max()) + 1 + pad)
    box, mask = grey[y0:y1, x0:x1], seal[y0:y1, x0:x1] > 0
    paper = box[~mask]
    if paper.size:
        box[mask] = np.uint8(np.percentile(paper, 75))
    return grey


def _status_for_table(grid: Grid, cmap: ColumnMap | None, template: Template,
                      size: tuple[int, int]) -> str:
    n = len(template.columns) + 1
    if not grid.found or cmap is None:
        return "no table found"
    visible = n - len(cmap.cut)
    if cmap.matched < max(3, int(0.4 * visible)) or visible < 0.4 * n:
        return (f"no table found matching template {template.id} "
                f"({cmap.matched} of {n} column lines)")
    w, _ = size
    lpos, rpos = cmap.boundaries[0].pos, cmap.boundaries[-1].pos
    if min(rpos, w) - max(lpos, 0) < 0.3 * w:
        return "no table found (only a small ruled patch)"
    return "ok"


def _cut_status(cmap: ColumnMap, template: Template) -> str:
    """"partial page: ..." when columns lie off the image (their fields are empty), else ""."""
    if not cmap.cut:
        return ""
    n = len(template.columns)
    sides = []
    left = [c for c in cmap.cut if c < n / 2]
    right = [c for c in cmap.cut if c >= n / 2]
    for name, cols in (("left", left), ("right", right)):
        if cols:
            sides.append(f"{name} (column{'s' if len(cols) > 1 else ''} {_span(cols)} missing)")
    return "partial page: the table is cut off at the " + " and the ".join(sides)


def _span(cols: list[int]) -> str:
    a, b = min(cols) + 1, max(cols) + 1
    return str(a) if a == b else f"{a}-{b}"


def _strong_rows(grid: Grid) -> int:
    """Row lines seen along most of the table."""
    return sum(ln.strength >= 0.6 for ln in grid.h_lines) if grid.found else 0


def _faint_ruling(grid: Grid) -> bool:
    """Whether the ruling came out broken: no table, or under three row lines seen along most
    of the table (a faint, thin ruling in a photo binarises into dashes shorter than the
    line masks keep). A table of even four rows has six."""
    return _strong_rows(grid) < 3


def _upright(flat: np.ndarray, ink: np.ndarray, template: Template, k: float
             ) -> tuple[float, np.ndarray, tuple[int, int], np.ndarray, np.ndarray,
                        np.ndarray | None, np.ndarray, Orientation]:
    """Skew, perspective and quarter turn of the page on ink binarised with Sauvola ``k``:
    (angle, deskewing matrix, its size, flat and ink deskewed and rectified, table quad,
    homography, orientation with the grid)."""
    h, w = flat.shape
    angle = estimate_skew(ink)
    m0, size0 = upright_transform(w, h, angle, 0)
    flat0 = warp(flat, m0, size0)
    ink0 = binarize(flat0, k=k)
    quad = table_quad(ink0)  # a photo at an angle: rectify the table (homography)
    hom = rectifying(quad) if quad is not None else np.eye(3)
    if quad is not None:
        flat0 = warp(flat, hom @ m0, size0)
        ink0 = binarize(flat0, k=k)
    found = orient(ink0, template)
    # the grid's lines still fanning out: no frame was found (a faint, dashed ruling), or the
    # frame found was not the table's (a wobbly hand-drawn side): rectify by the lines
    turned = grid_quad(found.grid)
    if turned is not None:
        # the quad in the deskewed page's frame (it was found on the page turned upright)
        turn = upright_transform(w, h, angle, found.rotation)[0] @ np.linalg.inv(m0)
        more = clockwise(apply(np.linalg.inv(turn), turned))
        quad = more if quad is None else quad
        hom = rectifying(more) @ hom
        flat0 = warp(flat, hom @ m0, size0)
        ink0 = binarize(flat0, k=k)
        found = orient(ink0, template)
    return angle, m0, size0, flat0, ink0, quad, hom, found


def _analysis_copy(image: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The scale to the analysis size; the page at that size, grey (``analysis_grey``);
    flattened with the scanner bed and the page's edge set to paper (neither ink nor ruling);
    and that bed's mask."""
    big_h, big_w = image.shape[:2]
    s = min(1.0, ANALYSIS_SIDE / max(big_h, big_w))
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    resized = image if s == 1.0 else _shrink(image, (max(1, round(big_w * s)),
                                                     max(1, round(big_h * s))))
    small = analysis_grey(resized)
    flat = normalize_background(small)
    bed = bed_mask(small)
    if bed.any():
        flat[bed > 0] = 255
    return s, small, flat, bed


def page_orientation(image: np.ndarray, template: Template) -> Orientation:
    """The quarter turn ``analyze_page`` finds for a page (RGB or grey uint8), with each
    turn's score, from the same first steps (analysis copy, skew, perspective) and no more:
    what ``preprocessing.spread`` asks of a spread's two pages."""
    _, _, flat, _ = _analysis_copy(image)
    return _upright(flat, binarize(flat), template, STRICT_K)[-1]


def analyze_page(image: np.ndarray, template: Template, *, ocr_header: bool = False,
                 prior: BookPrior | tuple[float, ...] | None = None) -> PageLayout:
    """Find the entries and their field boxes on one page image (RGB or grey uint8).

    Never raises for a bad page: the reason goes into ``status`` ("blank page", "no table
    found", "partial page ..."). ``ocr_header`` checks the column mapping with Tesseract.
    ``prior``: the book's layout (``preprocessing.consensus.BookPrior``, or only its column
    boundaries 0..1), used instead of the template's widths only when this page's own lines
    are weak (missing, extra, a poor fit, a column cut off) and they fit the book's layout
    well (``geometry.prior_used``).
    """
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"analyze_page: expected an RGB or grey image array, got {image!r:.80}")
    big_h, big_w = image.shape[:2]
    s, small, flat, bed = _analysis_copy(image)
    h, w = small.shape
    ink = binarize(flat)
    base = PageLayout(status="", angle=0.0, rotation=0, width=big_w, height=big_h)
    paper = _has_paper(small)
    share = _meaningful_ink(ink)
    if share < BLANK_INK:
        return _with(base, status="blank page" if paper else NO_PAPER)
    raw = ink_fraction(ink)
    if raw > NOISE_INK:
        return _with(base, status=f"not a register page: ink covers {raw:.0%} of the image")
    angle, m0, size0, flat0, ink0, quad, hom, found = _upright(flat, ink, template, STRICT_K)
    if _faint_ruling(found.grid):  # a second look with a more sensitive ink
        again = _upright(flat, binarize(flat, k=RULING_K), template, RULING_K)
        if _strong_rows(again[-1].grid) > _strong_rows(found.grid):
            angle, m0, size0, flat0, ink0, quad, hom, found = again
    rotation = found.rotation
    ink_w = np.ascontiguousarray(np.rot90(ink0, undo_turns(rotation)))
    flat_w = np.ascontiguousarray(np.rot90(flat0, undo_turns(rotation)))
    m_turned, size_small = upright_transform(w, h, angle, rotation)
    m_small = m_turned @ np.linalg.inv(m0) @ hom @ m0  # turn after the rectification
    grid, hmask, vmask = found.grid, found.hmask, found.vmask
    # faint strokes, for sizing field boxes only (entries and empty cells use the strict ink)
    faint_w = binarize(flat_w, k=FAINT_K)
    # full-resolution transform: input pixels -> work pixels at the input's scale
    m_full = scale_matrix(1.0 / s) @ m_small @ scale_matrix(s)
    work_size = (round(size_small[0] / s), round(size_small[1] / s))
    base = _with(base, angle=angle, rotation=rotation, transform=to_affine(m_full),
                 work_size=work_size,
                 perspective=tuple(float(v) for v in m_full.ravel()) if quad is not None
                 else None)
    # where the scan has paper on the work page (not the canvas, not the scanner bed)
    valid = warp(np.where(bed > 0, 0, 255).astype(np.uint8), m_small, size_small, border=0)
    bounds = prior.bounds if isinstance(prior, BookPrior) else prior
    cmap = (columns_of_page(grid, template, ink_w, hmask, vmask, bounds, valid, flat_w)
            if grid.found else None)
    status = _status_for_table(grid, cmap, template, (ink_w.shape[1], ink_w.shape[0]))
    if status != "ok" or cmap is None:
        return _with(base, status=status if paper else NO_PAPER)
    if cmap.boundaries[0].pos < 0 or cmap.boundaries[-1].pos > ink_w.shape[1]:  # cut table
        grid = replace(grid, h_lines=straight_within(grid.h_lines, 0, ink_w.shape[1]))
    # the faded ink is made at most once: the entry numbers and the rows called blank use it
    seg = segment(ink_w, grid, template, cmap, faint=faint_w,
                  faded=cache(lambda: binarize(flat_w, k=FADED_K)), paper=valid)
    if seg.status != "ok":
        return _with(base, status=seg.status)
    inv = np.linalg.inv(m_full) @ scale_matrix(1.0 / s)  # small work -> input
    layout = _layout(base, seg, cmap, inv, s, template)
    if layout.ok:
        layout = _with(layout, status=_cut_status(cmap, template) or layout.status)
    if layout.ok:  # writing really cut off: the scanner bed in the table, or the image's edge
        rows = len(layout.entries) + len(layout.skipped_rows)
        if bed.any() and _dark_share(bed, m_small, size_small, seg) > 0.03:
            layout = _with(layout, status=f"torn page: the table is torn ({rows} rows left)")
        elif seg.cut_below:
            layout = _with(layout, status="partial page: the table is cut off at the bottom "
                           f"({rows} rows found)")
    if ocr_header and seg.header_cells:
        layout = _with(layout, notes=layout.notes + (_header_note(image, seg, inv, template),))
    return layout


def _header_note(image: np.ndarray, seg: Segmentation, inv: np.ndarray,
                 template: Template) -> str:
    """Read the header cells with Tesseract and say how many name their template column."""
    from preprocessing.columns import header_keyword_hits, ocr_header
    from preprocessing.crops import warp_quad

    h, w = image.shape[:2]
    cells = [to_grey(warp_quad(image, _map(inv, q, w, h)[0])) for q in seg.header_cells]
    texts = ocr_header(cells)
    hits = header_keyword_hits(texts, template)
    if not any(texts):
        return "header OCR: nothing read"
    return f"header OCR: {hits} of {len(template.columns)} columns match their keywords"


NO_PAPER = "not a register page: no paper in the image"


def _has_paper(grey: np.ndarray) -> bool:
    """Paper shows as a large bright area; a photo of a wall or a desk has none."""
    return float(np.percentile(grey, 95)) >= 190.0


def _dark_share(bed: np.ndarray, m_small: np.ndarray, size: tuple[int, int],
                seg: Segmentation, rows: float = 0.2) -> float:
    """Share of the scanner bed (``bed`` mask) in the table and ``rows`` rows below it (a
    tear shows the dark bed where rows should be)."""
    work = warp(bed, m_small, size, border=0)
    tl, tr, br, bl = (np.array(p) for p in seg.header or ((0, 0),) * 4)
    x0, x1 = int(min(tl[0], bl[0])), int(max(tr[0], br[0]))
    y0 = int(min(tl[1], tr[1]))
    y1 = int(max(seg.bottom, max(br[1], bl[1])) + seg.entry_height * rows)
    roi = work[max(0, y0):min(work.shape[0], y1), max(0, x0):min(work.shape[1], x1)]
    return float(np.count_nonzero(roi > 127)) / max(1, roi.size)


def _shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average down to ``size``; an integer-factor step first takes OpenCV's fast path."""
    f = min(image.shape[1] // size[0], image.shape[0] // size[1])
    if f >= 2:
        image = cv2.resize(image, (image.shape[1] // f, image.shape[0] // f),
                           interpolation=cv2.INTER_AREA)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _meaningful_ink(ink: np.ndarray) -> float:
    """Ink fraction without specks (dust, scanner noise)."""
    opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return ink_fraction(opened)


def _with(layout: PageLayout, **changes: object) -> PageLayout:
    from dataclasses import replace

    return replace(layout, **changes)  # type: ignore[arg-type]


def _struck_among_entries(seg: Segmentation) -> str:
    """"check page: ..." when more than ``MAX_STRUCK_AMONG`` rows above the last entry were
    taken as struck through, else "". A clerk strikes the unused rows under the last entry
    with one line, and now and then one entry written by mistake (rewritten on the next row);
    rows struck all over a page are rather row lines taken for strokes (a hand-ruled photo
    whose lines stay tilted: hand-photo hard kh-2006 781077 gave 1 of 7 entries as "ok").
    Its entries are kept, and a person looks at the page."""
    last = max(r.row for r in seg.rows if r.kind == "entry")
    among = [r.row + 1 for r in seg.rows if r.kind == "struck" and r.row < last]
    if len(among) <= MAX_STRUCK_AMONG:
        return ""
    return (f"check page: {len(among)} rows among the entries taken as struck through "
            f"(rows {', '.join(map(str, among))})")


def _map(inv: np.ndarray, q: Pts, w: int, h: int):  # type: ignore[no-untyped-def]
    pts = apply(inv, np.array(q))
    return to_quad(pts), bbox_of(pts, w, h)


def _layout(base: PageLayout, seg: Segmentation, cmap: ColumnMap, inv: np.ndarray, s: float,
            template: Template) -> PageLayout:
    w, h = base.width, base.height
    entries: list[EntryLayout] = []
    skipped: list[SkippedRow] = []
    for row in seg.rows:
        quad, bbox = _map(inv, row.quad, w, h)
        if row.kind != "entry":
            skipped.append(SkippedRow(row.row, bbox, row.kind))
            continue
        fields = {}
        for name, f in row.fields.items():
            cq, cb = _map(inv, f.quad, w, h)
            if f.ink is None:
                fields[name] = FieldBox(bbox=cb, quad=cq, empty=True, cell=cq, reason=f.reason)
                continue
            x0, y0, x1, y1 = f.ink
            ink_rect = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
            iq, ib = _map(inv, ink_rect, w, h)
            fields[name] = FieldBox(bbox=ib, quad=iq, empty=False, cell=cq)
        entries.append(EntryLayout(index=len(entries), bbox=bbox, quad=quad, fields=fields))
    header = _map(inv, seg.header, w, h)[1] if seg.header else None
    cols = tuple(
        (round(a.pos / s), round(b.pos / s))
        for a, b in zip(cmap.boundaries[:-1], cmap.boundaries[1:], strict=True)
    )
    xs = [b.pos for b in cmap.boundaries]
    geometry = ColumnGeometry(tuple(round((x - xs[0]) / (xs[-1] - xs[0]), 5) for x in xs),
                              round(cmap.cost / max(1, cmap.matched), 4), len(cmap.placed),
                              len(cmap.cut), cmap.prior_used,
                              round(seg.entry_height / max(1.0, xs[-1] - xs[0]), 5),
                              tuple(cmap.placed), tuple(cmap.cut))
    notes = (f"{cmap.matched}/{len(cmap.boundaries)} column lines found"
             + (", the rest placed by the book's layout" if cmap.prior_used else ""),
             f"entry row height {seg.entry_height / s:.0f}px")
    status = "ok" if entries or skipped else "no entry rows found"
    if entries:
        status = _struck_among_entries(seg) or status
    return _with(base, status=status, entries=tuple(entries), skipped_rows=tuple(skipped),
                 header_bbox=header, columns=cols, notes=notes, geometry=geometry)
