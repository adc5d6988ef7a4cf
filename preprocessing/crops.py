"""Cut entry and field images out of a page using the quads found by :func:`analyze_page`.

Each quad is warped to an upright rectangle, so crops come out deskewed (and turned upright on
sideways scans) without warping the whole page; boxes stay in the ingested image's pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

from preprocessing.clean import drop_red, remove_ruling
from preprocessing.layout import EntryLayout, FieldBox, PageLayout, Quad
from sohoa.records import FieldCrop
from sohoa.template import Template

FULL_WIDTH = True  # field crops span their cell's width (``_band``)
# the margin of an entry's row crop, in its quad's height: ``process`` cuts rows so, the store
# cuts them again so, and the review screen outlines fields in that frame
ROW_MARGIN = 0.05


def _quad_frame(quad: Quad, margin: float) -> tuple[np.ndarray, int, int, int]:
    """(homography from the upright rectangle to the quad on the page, its width, height, and
    the margin in pixels: ``margin`` of the quad's height on every side)."""
    q = np.array(quad, dtype=np.float32)
    w = max(2, int(round(max(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[2] - q[3])))))
    h = max(2, int(round(max(np.linalg.norm(q[3] - q[0]), np.linalg.norm(q[2] - q[1])))))
    rect = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    return cv2.getPerspectiveTransform(rect, q), w, h, int(round(margin * h))


def crop_points(quad: Quad, margin: float, points: np.ndarray
                ) -> tuple[np.ndarray, tuple[int, int]]:
    """Page points (N, 2) where they fall on ``warp_quad(image, quad, margin)``'s crop, and
    that crop's (width, height): what a screen needs to outline a field on an entry's row."""
    hom, w, h, m = _quad_frame(quad, margin)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    on_rect = cv2.perspectiveTransform(pts, np.linalg.inv(hom)).reshape(-1, 2)
    return on_rect + m, (w + 2 * m, h + 2 * m)


def warp_quad(image: np.ndarray, quad: Quad, margin: float = 0.0) -> np.ndarray:
    """The quad (corners TL, TR, BR, BL) as an upright rectangle; ``margin`` adds that
    fraction of the quad's height around it (handwriting often crosses the ruling)."""
    hom, w, h, m = _quad_frame(quad, margin)
    shift = np.array([[1, 0, -m], [0, 1, -m], [0, 0, 1]], dtype=np.float64)
    border = (255,) * image.shape[2] if image.ndim == 3 else 255
    return cv2.warpPerspective(
        image, hom @ shift, (w + 2 * m, h + 2 * m),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT, borderValue=border,
    )


def box_quad(box: tuple[float, float, float, float]) -> Quad:
    """An upright box (x0, y0, x1, y1) as a quad (corners TL, TR, BR, BL)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def entry_crop(image: np.ndarray, entry: EntryLayout, margin: float = ROW_MARGIN) -> np.ndarray:
    """The entry's row, deskewed, in the input's colours (grey or RGB), for people and PDFs."""
    return warp_quad(image, entry.quad, margin)


def _band(box: FieldBox) -> Quad:
    """The field's cell, from wall to wall, over the rows of its handwriting: a faint first or
    last letter that the ink box missed is still in the crop."""
    if box.empty or box.cell is None:
        return box.quad
    c = np.array(box.cell, dtype=np.float64)
    q = np.array(box.quad, dtype=np.float64)
    down = c[3] - c[0]
    t0, t1 = (float(np.dot(p - c[0], down) / max(np.dot(down, down), 1e-9)) for p in (q[0], q[3]))
    right = c[1] - c[0]
    out = (c[0] + t0 * down, c[0] + right + t0 * (c[2] - c[1]),
           c[0] + right + t1 * (c[2] - c[1]), c[0] + t1 * down)
    return tuple((float(x), float(y)) for x, y in out)  # type: ignore[return-value]


def field_crops(image: np.ndarray, layout: PageLayout, template: Template,
                entries: tuple[EntryLayout, ...] | None = None,
                margin: float = 0.08, full_width: bool = FULL_WIDTH) -> list[FieldCrop]:
    """Grey, deskewed, ruling-free crops of every field of every entry (or of ``entries``),
    with red stamp ink faded (``drop_red``) so a seal over the writing hides less of it.

    Crops come entry by entry, each entry's fields in template order, so there are exactly
    ``len(template.fields)`` crops per entry; empty cells are included with ``empty=True``.
    """
    grey = drop_red(image)
    out: list[FieldCrop] = []
    for entry in entries if entries is not None else layout.entries:
        for spec in template.fields:
            box = entry.fields.get(spec.name)
            if box is None:
                continue
            quad = _band(box) if full_width else box.quad
            crop = remove_ruling(warp_quad(grey, quad, margin))
            out.append(FieldCrop(field=spec.name, kind=spec.kind, image=crop, bbox=box.bbox,
                                 empty=box.empty, entry=entry.index,
                                 quad=tuple((float(x), float(y)) for x, y in quad),
                                 margin=float(margin)))
    return out
