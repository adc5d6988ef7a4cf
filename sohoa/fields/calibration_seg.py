"""Segmentation evidence for the calibrated confidence: doubt about where a field's box is.

A reading can be perfectly legible and still wrong because the box holds the wrong text: a
column boundary placed across a word, the neighbouring column's value, a cell cut at the image
edge. What the crop itself shows is measured here, cheaply, on the crop the engine read:

- ``edge_ink``: how much of the crop's side walls (the cell's left and right boundary, ``margin``
  inside the crop) runs through ink: handwriting crossing a field box edge;
- ``ink``: share of ink pixels inside the walls (an "empty" cell that holds ink is not empty);
- ``layout_residual``: page analysis's doubt about its columns (0 = a clean fit, 1 = no
  trust): ``FieldCrop.layout_residual``, which ``sohoa.pipeline.segment_image`` sets from
  ``PageLayout.geometry`` (:func:`layout_residual_of`: boundaries placed without a line of
  their own, alignment cost); 0 when page analysis does not say.

``other_kind`` (the value parses better as another column's kind than as its own) is measured
in ``choose`` from the text. All of them enter ``Features`` and so the logistic map, whose
weights are fitted on readings of non-held-out layout families only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sohoa.fields.parse import parse_field
from sohoa.records import FieldKind

CROP_MARGIN = 0.08  # preprocessing.crops.field_crops(margin=...): the walls sit this far in
EDGE_DOUBT = 0.2  # a cell whose walls run through more ink than this is doubtful
# (calibration.DOUBT_CAP keeps such a reading below auto-accept; tests check both agree)
OTHER_DOUBT = 0.3  # a value parsing this much better as another kind is doubtful
# the most handwritten lines a field of each kind takes in its cell (more: the crop holds
# a neighbour's writing too, e.g. the name above a year in a two-field cell)
MAX_LINES = {FieldKind.YEAR: 1, FieldKind.SEX: 1, FieldKind.NUMBER: 1, FieldKind.ETHNICITY: 1,
             FieldKind.NATIONALITY: 1, FieldKind.RELATION: 1, FieldKind.NAME: 2,
             FieldKind.DATE: 2, FieldKind.PLACE: 4, FieldKind.TEXT: 4}
EMPTY_WITH_INK = 0.3  # confidence of an empty reading of a cell that holds ink
INK_SHARE_EMPTY = 0.004  # more ink than this inside an "empty" cell's walls: not empty
_OTHER_KINDS = (FieldKind.DATE, FieldKind.YEAR, FieldKind.SEX, FieldKind.ETHNICITY,
                FieldKind.NATIONALITY, FieldKind.PLACE, FieldKind.NAME, FieldKind.RELATION,
                FieldKind.NUMBER)


@dataclass(frozen=True)
class LayoutEvidence:
    """What a crop says about its own box (all in [0, 1])."""

    edge_ink: float = 0.0
    ink: float = 0.0
    layout_residual: float = 0.0
    lines: int = 1  # handwritten lines in the crop (preprocessing.lines.text_line_bands)
    column_doubt: float = 0.0  # set per page by calibration_page
    page_doubt: float = 0.0  # the recogniser's doubt over the page's cells (calibration_page)

    def to_json(self) -> list[float]:
        return [round(self.edge_ink, 4), round(self.ink, 5), round(self.layout_residual, 4),
                self.lines]

    @classmethod
    def from_json(cls, data: Any) -> LayoutEvidence | None:
        if not data or len(data) != 4:
            return None
        e, i, r, n = data
        return cls(float(e), float(i), float(r), int(n))


def extra_lines(kind: FieldKind, lines: int) -> float:
    """1 when the crop holds more handwritten lines than a field of ``kind`` takes."""
    return 1.0 if lines > MAX_LINES.get(FieldKind(kind), 4) else 0.0


def _components(grey: np.ndarray, u8: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dark connected components, without what is left of the ruling (flat dashes of a
    broken row line) and specks: (labels, stats, kept). ``u8``: the same image as uint8 when
    it is one (its paper level is then read from a histogram: the same value, faster)."""
    import cv2

    from preprocessing.quantile import percentile_u8

    paper = percentile_u8(u8, 90, np.float32) if u8 is not None else \
        float(np.percentile(grey, 90))
    ink = (grey < paper - max(40.0, 0.35 * paper)).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h = grey.shape[0]
    w, ht = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    keep = (stats[:, cv2.CC_STAT_AREA] >= 6) & ~((ht <= max(3, 0.06 * h)) & (w >= 3 * ht))
    keep[0] = False
    return lab, stats, keep


def crop_evidence(image: np.ndarray | None, residual: float = 0.0,
                  margin: float = CROP_MARGIN,
                  bands: Sequence[tuple[int, int]] | None = None) -> LayoutEvidence:
    """Layout evidence of a grey field crop cut with ``margin`` (see module doc). ``bands``:
    the crop's text line bands when the caller has them (``text_line_bands`` of the same
    grey uint8 image), so they are not found twice."""
    import cv2

    res = float(min(max(residual, 0.0), 1.0))
    if image is None:
        return LayoutEvidence(layout_residual=res)
    grey = np.asarray(image)
    if grey.ndim == 3:
        grey = grey.mean(axis=2)
    h_img, w_img = grey.shape[:2]
    m = int(round(margin * h_img / (1 + 2 * margin)))  # warp_quad: m = margin x cell height
    if h_img - 2 * m < 4 or w_img - 2 * m < 4:
        return LayoutEvidence(layout_residual=res)
    lab, stats, keep = _components(grey.astype(np.float32),
                                   grey if grey.dtype == np.uint8 and grey.size else None)
    ink = keep[lab]
    rows = h_img - 2 * m
    walls = [float(ink[m:h_img - m, max(0, x - 1):x + 2].any(axis=1).sum()) / rows
             for x in (m, w_img - m - 1)]
    # this cell's own writing: components that do not come in over the top or bottom edge
    # (a neighbouring row's sprawl)
    top = stats[:, cv2.CC_STAT_TOP]
    bottom = top + stats[:, cv2.CC_STAT_HEIGHT]
    own = keep & (top > 0) & (bottom < h_img)
    share = float(stats[own, cv2.CC_STAT_AREA].sum()) / float(rows * (w_img - 2 * m))
    if share <= 0:
        lines = 0
    elif bands is not None:
        lines = len(bands)
    else:
        from preprocessing.lines import text_line_bands

        lines = len(text_line_bands(grey.astype(np.uint8)))
    return LayoutEvidence(edge_ink=max(walls), ink=share, layout_residual=res, lines=lines)


def layout_residual_of(layout: Any) -> float:
    """How much page analysis doubts its columns, from ``PageLayout.geometry`` when it has
    one: the share of column boundaries placed without a ruling line of their own, and the
    alignment cost per matched line (squashed to 0..1). 0 when nothing is known."""
    geo = getattr(layout, "geometry", None)
    if geo is None:
        return 0.0
    try:
        n = max(1, len(geo.bounds) - 1)
        placed = min(1.0, float(geo.placed) / n)
        fit = 1.0 - float(np.exp(-max(0.0, float(geo.fit))))
    except (AttributeError, TypeError, ValueError):
        return 0.0
    return round(min(1.0, 0.5 * placed + 0.5 * fit), 4)


def evidence_of(crop: Any, bands: Sequence[tuple[int, int]] | None = None) -> LayoutEvidence:
    """Evidence of a ``FieldCrop`` (its image, and its ``layout_residual`` when set)."""
    return crop_evidence(getattr(crop, "image", None),
                         float(getattr(crop, "layout_residual", 0.0) or 0.0), bands=bands)


def empty_confidence(evidence: LayoutEvidence | None) -> float:
    """Confidence that a cell segmentation called empty really is: never high when the cell
    holds ink."""
    if evidence is None:
        return 1.0
    return EMPTY_WITH_INK if evidence.ink > INK_SHARE_EMPTY else 1.0


def other_kind_score(kind: FieldKind, text: str, own_evidence: float, own_ok: bool,
                     ref_year: int | None = None) -> float:
    """How much better ``text`` parses as another kind than as its own (0 = not better): a
    place read in a name column, a date in a place column."""
    kind = FieldKind(kind)
    if not text.strip() or kind == FieldKind.TEXT:
        return 0.0
    own = own_evidence if own_ok else 0.0
    if own >= 1.0:  # evidence is at most 1: no kind can do better (parsing them cost choice
        return 0.0  # a third of its time, s9speed)
    best = 0.0
    for other in _OTHER_KINDS:
        if other == kind:
            continue
        pv = parse_field(other, text, ref_year=ref_year)
        if pv.ok:
            best = max(best, float(pv.evidence))
            if best >= 1.0:
                break  # the most any kind can give
    return float(max(0.0, best - own))
