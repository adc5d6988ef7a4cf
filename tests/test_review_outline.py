"""The review screen outlines the focused field on the entry's row crop: the outline must land
on the field's writing, in the frame the row is cut in (``preprocessing.crops.warp_quad`` with a
margin of ``ROW_MARGIN`` of the row's height), also for a skewed row."""

from __future__ import annotations

import math
from types import SimpleNamespace

import cv2
import numpy as np

from preprocessing.crops import ROW_MARGIN, warp_quad
from review_ui.logic import _box_in


def _rotated(quad: list[tuple[float, float]], deg: float, centre: tuple[float, float]):
    a = math.radians(deg)
    cx, cy = centre
    return tuple((cx + (x - cx) * math.cos(a) - (y - cy) * math.sin(a),
                  cy + (x - cx) * math.sin(a) + (y - cy) * math.cos(a)) for x, y in quad)


def test_the_field_outline_lands_on_the_writing_of_a_skewed_row():
    page = np.full((700, 1200), 255, np.uint8)
    row = [(100.0, 300.0), (1100.0, 300.0), (1100.0, 400.0), (100.0, 400.0)]
    quad = _rotated(row, 1.5, (600.0, 350.0))
    # the field's writing near the row's left end (a name: where a margin counted in the
    # row's width put the outline tens of pixels off), drawn along the row (rotated with it)
    ink = np.array(_rotated([(160, 330), (280, 330), (280, 370), (160, 370)], 1.5,
                            (600.0, 350.0)), np.int32)
    cv2.fillPoly(page, [ink], 0)
    xs, ys = ink[:, 0], ink[:, 1]
    field_box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))  # on the page

    crop = warp_quad(page, quad, ROW_MARGIN)
    box = _box_in(SimpleNamespace(field_boxes={"nksHoTen": field_box}), "nksHoTen", quad)
    assert box is not None
    h, w = crop.shape
    x0, y0, x1, y1 = box[0] * w, box[1] * h, box[2] * w, box[3] * h
    dark_y, dark_x = np.nonzero(crop < 128)
    # the writing lies inside the outline, and the outline hugs it (a page box of a 1.5
    # degree row is a few pixels taller than the writing on the deskewed row)
    assert x0 - 2 <= dark_x.min() and dark_x.max() <= x1 + 2
    assert y0 - 2 <= dark_y.min() and dark_y.max() <= y1 + 2
    assert abs(x0 - dark_x.min()) < 6 and abs(x1 - dark_x.max()) < 6
    assert (y1 - y0) < 1.5 * (dark_y.max() - dark_y.min())

    assert _box_in(SimpleNamespace(field_boxes={}), "nksHoTen", quad) is None
    assert _box_in(SimpleNamespace(field_boxes={"nksHoTen": field_box}), "nksHoTen", None) \
        is None
