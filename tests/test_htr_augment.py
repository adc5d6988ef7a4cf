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


def test_distort_bends_and_reinks_the_writing_but_keeps_it_readable_in_shape() -> None:
    """distort() (the shape/ink augmentation for unseen hands) keeps a crop's size and type,
    changes its pixels, keeps the ink dark on light paper, and is what SynthSource applies
    to ``distort_share`` of its lines (recorded in describe())."""
    import cv2

    from models.augment import DISTORTIONS, distort
    from models.data import SynthSource

    img = np.full((40, 200), 235, np.uint8)
    cv2.putText(img, "Co Ma 1998", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    changed = 0
    for seed in range(20):
        out = distort(img.copy(), np.random.default_rng(seed))
        assert out.shape == img.shape and out.dtype == np.uint8
        changed += int(np.abs(out.astype(int) - img).mean() > 0.5)
        assert np.median(out) > 150  # still paper
        assert out.min() < 150  # still ink
    assert changed >= 15
    tiny = np.full((5, 5), 255, np.uint8)
    assert distort(tiny, np.random.default_rng(0)) is tiny
    src = SynthSource("train", distort_share=1.0)
    assert src.describe()["distortions"] == list(DISTORTIONS)
    s = src.sample(np.random.default_rng(3))
    assert s.image.ndim == 2 and s.text
