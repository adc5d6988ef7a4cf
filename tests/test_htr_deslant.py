"""Strongly slanted writing is sheared upright before the network reads it
(models/deslant.py): the slant is read from the prepared input, ordinary hands and upright
print are left exactly as they are, and slanted hands read better with it (training-side
stroke writers only; the held-out ones are for bench_htr.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from models.deslant import TARGET_DEG, deslant, estimate_slant, shear
from models.preprocess import prepare
from sohoa.synth.pen import render_stroke_line
from sohoa.synth.stroke_writer import HELD_OUT_SEED0, StrokeWriter
from tests.htr_helpers import cer_with, written

TEXTS = ("Nguyễn Văn Hùng", "Lò Thị Hương", "xã Chiềng Mung", "Quàng Văn Minh",
         "huyện Mai Sơn", "Cầm Thị Lan", "bản Nà Sản", "Tòng Văn Ún")


def _line(text: str, seed: int, slant_deg: float) -> np.ndarray:
    assert 900_000 + seed < HELD_OUT_SEED0  # training-side validation writers only
    w = StrokeWriter.sample(900_000 + seed, x_height=13.0)
    w = replace(w, slant=math.tan(math.radians(slant_deg)))
    return render_stroke_line(text, w, np.random.default_rng(seed), photo=False)


def _sharpness(ink: np.ndarray) -> float:
    """Sum of squared column sums of the ink over its total squared: upright strokes pile
    their ink into few columns."""
    col = (ink > 0.4).sum(axis=0).astype(np.float64)
    return float((col ** 2).sum() / max(col.sum(), 1.0) ** 2 * len(col))


def _lean(ink: np.ndarray) -> float:
    s = estimate_slant(ink)
    assert s is not None
    return math.degrees(math.atan(s))


def test_a_hand_slanted_35_degrees_reads_as_strongly_slanted_and_is_sheared_upright():
    for i, text in enumerate(TEXTS[:4]):
        ink = prepare(_line(text, i, 35.0), 32, deslant=False)
        assert _lean(ink) > TARGET_DEG + 15, text
        out = deslant(ink)
        assert out is not ink and out.shape[0] == 32 and out.shape[1] > ink.shape[1]
        # sheared back: the strokes stand more upright, so the ink's column profile is
        # sharper (a measure the estimator does not use)
        assert _sharpness(out) > 1.1 * _sharpness(ink), text
        # nothing cut off: the same ink, moved
        assert out.sum() == pytest.approx(ink.sum(), rel=0.05)


def test_upright_print_and_blank_crops_are_left_exactly_as_they_are():
    from PIL import Image, ImageDraw

    from sohoa.synth.fonts import load_font, print_font_path

    img = Image.new("L", (420, 60), 255)
    ImageDraw.Draw(img).text((8, 10), "Nguyễn Thị Hoa 1987", fill=20,
                             font=load_font(print_font_path(), 32))
    ink = prepare(np.asarray(img), 32, deslant=False)
    assert deslant(ink) is ink
    assert np.array_equal(prepare(np.asarray(img), 32), ink)
    blank = np.zeros((32, 200), np.float32)
    assert estimate_slant(blank) is None and deslant(blank) is blank


def test_shear_moves_the_bottom_right_for_a_right_lean():
    a = np.zeros((32, 40), np.float32)
    a[:, 20] = 1.0
    out = shear(a, 0.5)
    top, bottom = out[1].argmax(), out[30].argmax()
    assert bottom - top == pytest.approx(0.5 * 29, abs=1.5)


def test_most_font_crops_are_not_touched():
    crops = written("name", 40, role="test", seed=3)
    same = sum(deslant(ink) is ink for ink in
               (prepare(img, 32, deslant=False) for _, img in crops))
    assert same >= 30


def test_slanted_training_side_hands_read_better_with_it():
    texts = [TEXTS[i % len(TEXTS)] for i in range(24)]
    imgs = [_line(t, 100 + i, 33.0 + (i % 5)) for i, t in enumerate(texts)]
    cer = {on: cer_with("DESLANT", on, imgs, texts) for on in (False, True)}
    assert cer[True] < cer[False], cer
