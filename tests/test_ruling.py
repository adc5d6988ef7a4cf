"""Lines written on ruled or squared ("ô ly") paper (``sohoa.synth.ruled``): the vertical lines
of a squared grid are taken out before reading (``models.preprocess.remove_ruling``), the
writing kept; crops without such a grid pass as they are."""

from __future__ import annotations

import numpy as np
import pytest

from models.preprocess import remove_ruling
from sohoa.synth.pen import render_stroke_line
from sohoa.synth.ruled import rule
from sohoa.synth.stroke_writer import HELD_OUT_SEED0, StrokeWriter

TEXTS = ("xã Chiềng Mung, huyện Mai Sơn", "Lò Thị Hương", "Bản Nà Sản, xã Hát Lót",
         "Quàng Văn Minh", "phường Chiềng Lề, thành phố Sơn La", "Cầm Thị Lan")


def _line(text: str, seed: int, paper: str, photo: bool = False) -> np.ndarray:
    assert 900_000 + seed < HELD_OUT_SEED0  # tuning writers only
    return render_stroke_line(text, StrokeWriter.sample(900_000 + seed, x_height=13.0),
                              np.random.default_rng(seed), photo=photo, paper=paper)


def test_ruling_styles() -> None:
    plain = _line("Lò Thị Hương", 1, "plain")
    grid = _line("Lò Thị Hương", 1, "grid")
    lined = _line("Lò Thị Hương", 1, "lined")
    # the same writing on each paper; the ruling only ever darkens
    assert plain.shape == grid.shape == lined.shape
    assert (grid <= plain).all() and (lined <= plain).all()
    assert (grid < plain - 20).sum() > (lined < plain - 20).sum() > 0
    with pytest.raises(ValueError, match="plain, lined, grid"):
        rule(plain, np.zeros(plain.shape, np.float32), "dotted", np.random.default_rng(0))


def _contrast(img: np.ndarray, cols: np.ndarray) -> float:
    """How much darker the columns ``cols`` are than the columns 4 px either side."""
    f = img.astype(float)
    return float(np.mean([(f[:, max(0, c - 4)].mean() + f[:, min(f.shape[1] - 1, c + 4)].mean())
                          / 2 - f[:, c].mean() for c in cols]))


def test_a_squared_grid_is_taken_out_and_the_writing_kept() -> None:
    for seed, text in enumerate(TEXTS):
        plain = _line(text, 10 + seed, "plain")
        grid = _line(text, 10 + seed, "grid")
        out = remove_ruling(grid)
        assert out is not grid, text
        # the grid's vertical lines: columns darkened over most of the crop's height; they
        # stand out from their neighbours much less once taken out
        cols = np.flatnonzero((grid < plain - 30).mean(axis=0) > 0.6)
        assert len(cols) >= 3, text

        assert _contrast(out, cols) < 0.4 * _contrast(grid, cols), text
        # the writing stays: the ink of the plain line is still ink
        ink = plain < 100
        assert (out[ink] < 140).mean() > 0.97, text
        assert remove_ruling(out) is out  # nothing left to take out


def test_crops_without_a_grid_pass_as_they_are() -> None:
    plain = _line("xã Chiềng Mung, huyện Mai Sơn", 3, "plain", photo=True)
    assert remove_ruling(plain) is plain
    lined = _line("xã Chiềng Mung, huyện Mai Sơn", 3, "lined", photo=True)
    assert remove_ruling(lined) is lined  # horizontal lines are left to the network
    # a cell's two borders and a letter's stem from top to bottom are no grid
    cell = np.full((40, 300), 230, np.uint8)
    cell[:, 1:3] = 60
    cell[:, 296:298] = 60
    cell[:, 100:103] = 30
    cell[15:30, 20:140:9] = 30
    assert remove_ruling(cell) is cell


def _greedy_cer(crops: list[np.ndarray], texts: list[str], on: bool) -> float:
    """Greedy CER of the shipped model on ``crops`` read as whole lines, with
    ``RULING_OUT`` switched ``on`` or off."""
    from models import preprocess
    from models.checkpoint import load_model_dir
    from models.ctc_decode import greedy
    from models.evaluate import score
    from models.recognize import log_probs
    from models.registry import model_in_use

    m = load_model_dir(model_in_use(None))
    old = preprocess.RULING_OUT
    preprocess.RULING_OUT = on
    try:
        lps = log_probs(m.module.eval(), m.config.height, crops, whole_line=True)
    finally:
        preprocess.RULING_OUT = old
    got = [greedy(lp, m.charset).text for lp in lps]
    return float(score(got, texts, ["place"] * len(texts))["cer"])


def test_lines_on_squared_paper_read_better_with_the_grid_taken_out() -> None:
    texts = [TEXTS[i % len(TEXTS)] for i in range(12)]
    crops = [_line(t, 40 + i, "grid", photo=True) for i, t in enumerate(texts)]
    cer = {on: _greedy_cer(crops, texts, on) for on in (False, True)}
    assert cer[True] < 0.9 * cer[False], cer  # greedy: htr-v7 29.1 -> 20.9 %, htr-v6 26.6 -> 22.5 %


def test_field_crops_are_never_taken_for_squared_paper() -> None:
    """The pipeline's cells are read as they come: a tight date cell with its border and
    tall strokes ("1", "/") stood like a grid, and lost pieces of its digits."""
    from models import preprocess
    from models.preprocess import prepare

    cell = np.full((20, 150), 225, np.uint8)
    cell[:, 0:2] = 70  # the cell's border
    for x in (40, 80, 120):  # tall strokes a pitch apart
        cell[1:20, x:x + 2] = 60
    cell[5:15, 10:140:6] = 60
    assert remove_ruling(cell) is not cell  # as a whole line, it would be taken for one
    as_field = prepare(cell, 32)
    preprocess.RULING_OUT = False
    try:
        assert np.array_equal(as_field, prepare(cell, 32))
    finally:
        preprocess.RULING_OUT = True
    assert not np.array_equal(as_field, prepare(cell, 32, whole_line=True))


def test_training_draws_stroke_lines_on_ruled_and_squared_paper() -> None:
    from models.data import SynthSource
    from models.train_options import RESUME_MAY_CHANGE

    src = SynthSource("train", stroke_share=1.0, ruled_share=1.0)
    assert src.describe()["ruled_share"] == 1.0
    plain = SynthSource("train", stroke_share=1.0)
    assert "ruled_share" not in plain.describe()
    a = [src.sample(np.random.default_rng(i)) for i in range(6)]
    b = [plain.sample(np.random.default_rng(i)) for i in range(6)]
    # the same texts, written on ruled or squared paper instead of plain
    assert [s.text for s in a] == [s.text for s in b]
    assert sum(x.image.shape != y.image.shape or bool((x.image != y.image).any())
               for x, y in zip(a, b, strict=True)) == 6
    assert "ruled_share" in RESUME_MAY_CHANGE
