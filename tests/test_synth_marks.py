"""Hands that set tone marks to the right of their letters (``HandStyle.mark_shift``): the
mark moves, the letter stays, and hands without it draw exactly as before."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sohoa.synth import HandStyle, fonts_for_role, render_handwriting
from sohoa.synth.hand import _glyph, _mark_shifted, _without_tone


def _centre_x(a: np.ndarray) -> float:
    cols = a.sum(axis=0)
    return float((cols * np.arange(len(cols))).sum() / cols.sum())


@pytest.mark.parametrize("ch", ["à", "Á", "ở", "ì", "ễ"])
def test_the_mark_moves_right_and_the_letter_stays(ch: str) -> None:
    font = fonts_for_role("train")[0]
    plain, shifted = _glyph(font, 48, ch), _mark_shifted(font, 48, ch, 60)
    assert shifted[1:] == plain[1:]  # same pen offsets
    base = _glyph(font, 48, "ı" if ch == "ì" else _without_tone(ch))
    cut = base[2] - plain[2]
    assert cut >= 2, "the toned letter is taller than the toneless one"
    top_before, top_after = plain[0][:cut], shifted[0][:cut]
    assert _centre_x(top_after) - _centre_x(top_before) > 0.4 * base[0].shape[1]
    np.testing.assert_array_equal(shifted[0][cut:, :plain[0].shape[1]], plain[0][cut:])


def test_letters_without_a_tone_mark_above_are_untouched() -> None:
    font = fonts_for_role("train")[0]
    for ch in ("a", "â", "ơ", "ạ", "ậ", "7", "/"):  # the dot below stays under its letter
        assert _without_tone(ch) is None
        assert _mark_shifted(font, 40, ch, 50) is _glyph(font, 40, ch)
    assert _without_tone("ầ") == "â" and _without_tone("Ờ") == "Ơ"


def test_a_hand_without_shifted_marks_draws_as_before() -> None:
    style = HandStyle.sample(np.random.default_rng(5), "train", size=32)
    assert style.mark_shift == 0.0
    a = render_handwriting("Thào Giàng", style, np.random.default_rng(9))
    b = render_handwriting("Thào Giàng", replace(style, mark_shift=0.0),
                           np.random.default_rng(9))
    c = render_handwriting("Thào Giàng", replace(style, mark_shift=0.8),
                           np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_training_source_records_and_uses_shifted_marks() -> None:
    from models.data import SynthSource

    src = SynthSource("train", mark_share=1.0)
    assert src.describe()["mark_share"] == 1.0
    assert "mark_share" not in SynthSource("train").describe()  # older runs' records unchanged
    s = src.sample(np.random.default_rng(2))
    assert s.image.ndim == 2 and s.image.size and s.text
