"""Cell degradations for training crops (models/augment.py): shapes, dtype, and that a stamp
really crosses the writing."""

from __future__ import annotations

import numpy as np

from models.augment import DEGRADATIONS, _stamp, degrade


def _line(h: int = 40, w: int = 300) -> np.ndarray:
    img = np.full((h, w), 255, np.uint8)
    img[12:28, 20:280:12] = 0  # strokes
    return img


def test_a_stamp_only_darkens_and_keeps_the_writing() -> None:
    rng = np.random.default_rng(7)
    img = _line()
    changed = 0
    for _ in range(20):
        out = _stamp(img.copy(), rng)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert (out <= img).all()  # ink is never lightened
        assert (out[img == 0] == 0).all()
        changed += int((out < img).any())
    assert changed >= 15  # arcs reach into the crop most of the time


def test_degrade_gives_grey_uint8_crops_and_sometimes_a_stamp() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        out = degrade(_line(), rng)
        assert out.ndim == 2 and out.dtype == np.uint8 and out.size > 0
    assert any(d.startswith("stamp") for d in DEGRADATIONS)
