"""The line splitter (``preprocessing.lines.text_line_bands``) cuts a field crop into lines
only on clear evidence of two lines: tall single lines whose baseline drifts, that lean, that
carry tall ascenders, descenders and stacked tone marks, or lie under uneven light stay whole;
true two-line cells are cut in the gap between their lines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from preprocessing.lines import text_line_bands
from sohoa.synth.pen import render_stroke_line
from sohoa.synth.stroke_writer import StrokeWriter

TEXTS = ("Nguyễn Thị Hường", "bản Phiêng Ngần, xã Chiềng Ơn, huyện Quỳnh Nhai",
         "Đặng Quốc Kỳ, Lý Thị Ghép", "ngày 23 tháng 5 năm 2006", "Giàng Seo Pháy, Hmông",
         "Lường Văn Dũng", "Kỷ Ỷ Ẵng Ễ Ỗ Ữ ỹ ỵ gầy", "Yên Bái, Lục Yên, Lâm Thượng")


def _paper(img: np.ndarray) -> int:
    return int(np.percentile(img, 90))


def _tall_single(seed: int) -> np.ndarray:
    """One line in a cell up to twice its height: strong word drift and baseline wave,
    leaning, maybe under a light gradient."""
    rng = np.random.default_rng(seed)
    w = replace(StrokeWriter.sample(seed), drift=float(rng.uniform(0.15, 0.45)),
                wave=float(rng.uniform(0.2, 0.6)), word_tilt=float(rng.uniform(2, 8)),
                mark_scale=float(rng.uniform(1.0, 1.6)), mark_dy=float(rng.uniform(-0.3, 0)))
    img = render_stroke_line(TEXTS[seed % len(TEXTS)], w, rng)
    ang = float(rng.uniform(-3.5, 3.5))
    hh, ww = img.shape
    pad = int(abs(np.sin(np.radians(ang))) * ww / 2) + 2
    img = np.pad(img, ((pad, pad), (0, 0)), constant_values=_paper(img))
    img = cv2.warpAffine(img, cv2.getRotationMatrix2D((ww / 2, img.shape[0] / 2), ang, 1.0),
                         (ww, img.shape[0]), borderValue=_paper(img))
    extra = int(img.shape[0] * rng.uniform(0.2, 1.0))
    top = int(rng.integers(0, extra + 1))
    out = np.pad(img, ((top, extra - top), (0, 0)), constant_values=_paper(img))
    if seed % 2:
        g = np.linspace(rng.uniform(0.45, 0.75), 1.0, out.shape[0])[:, None]
        out = out.astype(np.float32) * (g if seed % 4 == 1 else g[::-1])
    return np.clip(out, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", range(24))
def test_a_tall_single_line_is_never_cut(seed):
    img = _tall_single(seed)
    assert text_line_bands(img) == [(0, img.shape[0])]


def test_the_two_halves_of_a_drifting_line_are_one_line():
    rng = np.random.default_rng(5)
    w = StrokeWriter.sample(5)
    a = render_stroke_line("Lò Văn", w, rng, photo=False)
    b = render_stroke_line("Hùng", w, rng, photo=False)
    h = a.shape[0] + b.shape[0] + 6  # "Hùng" written well above the end of "Lò Văn"
    img = np.full((h, a.shape[1] + b.shape[1]), 255, np.uint8)
    img[h - a.shape[0]:, : a.shape[1]] = a
    img[: b.shape[0], a.shape[1]:] = b
    assert text_line_bands(img) == [(0, h)]


@pytest.mark.parametrize("seed", range(10))
def test_a_true_two_line_cell_is_cut_in_its_gap(seed):
    rng = np.random.default_rng(100 + seed)
    w = StrokeWriter.sample(100 + seed)
    a = render_stroke_line(TEXTS[seed % len(TEXTS)], w, rng, photo=False)
    b = render_stroke_line(TEXTS[(seed + 3) % len(TEXTS)], w, rng, photo=False)
    gap = max(2, int(a.shape[0] * rng.uniform(0.08, 0.4)))
    width = max(a.shape[1], b.shape[1])
    img = np.full((a.shape[0] + gap + b.shape[0], width), 255, np.uint8)
    img[: a.shape[0], : a.shape[1]] = a
    img[a.shape[0] + gap:, : b.shape[1]] = b
    bands = text_line_bands(img)
    assert len(bands) == 2, bands
    assert bands[0][0] == 0 and bands[1][1] == img.shape[0]
    cut = bands[0][1]
    ink = img < 128
    assert not ink[cut].any()  # the cut runs through an empty row
    assert ink[:cut].any() and ink[cut:].any()


def _stack(lines: list[np.ndarray], gap: int = 6) -> np.ndarray:
    paper = max(_paper(x) for x in lines)
    width = max(x.shape[1] for x in lines)
    rows = []
    for x in lines:
        rows.append(np.pad(x, ((0, gap), (0, width - x.shape[1])), constant_values=paper))
    return np.vstack(rows).astype(np.uint8)


def _font(name: str):
    import fontpkg_pacifico  # the PyPI font package pyproject.toml installs

    return next(Path(fontpkg_pacifico.__file__).parent.rglob(name))


def test_a_three_line_cell_with_a_short_middle_line_and_a_ruling_remnant_is_cut():
    """A place wrapped on three lines ("Bệnh viện / da khoa / huyện Lục Yên") whose short
    middle line holds little ink per row, under the dark remnant of the cell's top ruling
    line: a threshold taken from the densest rows must not drop the middle line (the demo
    read such cells as 'B')."""
    rng = np.random.default_rng(11)
    # the hand this case was seen with (training writer 11 before the writers' ranges were
    # widened), pinned so that the case stays the same when the sampler changes
    w = replace(StrokeWriter.sample(11), font=_font("Pacifico-Regular.ttf"), x_height=15.0,
                slant=-0.122, width=0.85, spacing=0.273, spacing_jitter=0.027, word_gap=0.66,
                drift=0.209, word_tilt=2.49, wave=0.111, wobble=0.071, wobble_len=2.66,
                letter_jitter=0.048, join=0.936, mark_dx=0.07, mark_dy=-0.015,
                mark_scale=1.139, mark_jitter=0.118, tone_right=0.205, pen="ballpoint",
                pen_width=0.103, pressure=0.243, nib_angle=0.618, ink=71.2, ascender=1.0,
                descender=1.0, width_jitter=0.0)
    lines = [render_stroke_line(t, w, rng) for t in
             ("Bệnh viện đa khoa", "da khoa", "huyện Lục Yên, tỉnh Yên Bái")]
    img = _stack(lines)
    img = np.vstack([np.full((3, img.shape[1]), 60, np.uint8), img])  # ruling remnant
    bands = text_line_bands(img)
    assert len(bands) == 3, bands
    tops = np.cumsum([3] + [x.shape[0] + 6 for x in lines])[:3]
    for (y0, y1), top, x in zip(bands, tops, lines, strict=True):
        assert y0 <= top + x.shape[0] // 2 < y1  # each band holds its line's middle


_LOW = ("nần nặn xẫm trấn xỡn", "rấ rẩm trếi nhợn ổm", "mỗn nểi vờ", "rặc xẳu ằ", "mổu mệu cầu",
        "nhồi vẫn sấm", "ơn ước mợi", "cẩm nậu xếu", "sờ vẩn ơi", "nhấc rỗi ờn")


@pytest.mark.parametrize("seed", range(20))
def test_loose_tone_marks_far_above_a_low_line_never_make_a_band(seed):
    """Words with few ascenders under stacked marks (hat + tone) set high above them, big or
    small hands, photographed or not: the marks are a row of ticks with paper between them,
    or one mark alone; they go with their line (the old splitter cut 12 % of such lines)."""
    rng = np.random.default_rng(7000 + seed)
    w = replace(StrokeWriter.sample(7000 + seed, x_height=float(rng.uniform(8, 40))),
                mark_dy=float(rng.uniform(-0.8, -0.4)), mark_scale=float(rng.uniform(1.2, 1.7)),
                ascender=1.0, descender=1.0)
    img = render_stroke_line(_LOW[seed % len(_LOW)], w, rng, photo=seed % 2 == 0)
    assert text_line_bands(img) == [(0, img.shape[0])]


def _ink_rows(img: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero((img < 160).any(axis=1))
    return img[rows[0]: rows[-1] + 1]


def _cell(texts: tuple[str, ...], w: StrokeWriter, seed: int, gap: float = 0.3
          ) -> tuple[np.ndarray, list[int]]:
    """Lines of one writer stacked ``gap`` x-heights apart, each from the left edge; the crop
    and each line's middle row."""
    rng = np.random.default_rng(seed)
    lines = [_ink_rows(render_stroke_line(t, w, rng, photo=False)) for t in texts]
    width = max(x.shape[1] for x in lines) + 6
    g = max(2, int(round(gap * w.x_height)))
    rows, mids, y = [np.full((g, width), 255, np.uint8)], [], g
    for x in lines:
        rows += [np.pad(x, ((0, 0), (3, width - 3 - x.shape[1])), constant_values=255),
                 np.full((g, width), 255, np.uint8)]
        mids.append(y + x.shape[0] // 2)
        y += x.shape[0] + g
    return np.vstack(rows), mids


@pytest.mark.parametrize("seed", range(6))
def test_a_small_hand_keeps_the_short_middle_line_of_three_apart(seed):
    """A small hand (x-height 8-10 px) wraps a place on three lines whose middle one is short
    and low ("xã an"): its band is much lower than the full lines' (no ascenders) and holds
    little ink, yet it is a line (the old splitter folded it into a neighbour as if it were
    a row of marks)."""
    w = replace(StrokeWriter.sample(300 + seed, x_height=8.0 + seed * 0.4), mark_dy=0.0,
                drift=0.05, wave=0.05)
    img, mids = _cell(("Bệnh viện đa khoa", "xã an", "huyện Lục Yên, tỉnh Yên Bái"), w,
                      seed)
    bands = text_line_bands(img)
    assert len(bands) == 3, bands
    for (y0, y1), m in zip(bands, mids, strict=True):
        assert y0 <= m < y1


@pytest.mark.parametrize("seed", range(6))
def test_a_one_word_second_line_is_its_own_band(seed):
    """A long first line and a one-word second line ("Lai Châu, / Tỉnh" ... "Bản"): the short
    line's rows hold a tenth of the long line's ink, which a threshold taken from the densest
    rows counted as gap."""
    w = replace(StrokeWriter.sample(400 + seed), drift=0.05, wave=0.05)
    img, mids = _cell(("Huổi Lự, xã Mai Hịch, huyện Mai Châu, tỉnh Hòa", "Bình"), w, seed,
                      gap=0.4)
    bands = text_line_bands(img)
    assert len(bands) == 2, bands
    assert bands[0][0] <= mids[0] < bands[0][1] and bands[1][0] <= mids[1] < bands[1][1]


def test_a_neighbouring_cells_writing_cut_by_the_crop_edge_is_no_line():
    """A two-line cell whose crop caught the bottom of the line above (the next cell's value
    cut by the crop's top edge): two bands, the fragment goes with the first line."""
    w = replace(StrokeWriter.sample(21), drift=0.05, wave=0.05)
    img, mids = _cell(("Xã Châu Quế Hạ,", "huyện Văn Yên"), w, 5)
    rng = np.random.default_rng(5)
    above = _ink_rows(render_stroke_line("tỉnh Yên Bái", w, rng, photo=False))
    piece = above[-max(3, above.shape[0] // 3):, : img.shape[1]]
    piece = np.pad(piece, ((0, 0), (0, img.shape[1] - piece.shape[1])), constant_values=255)
    img = np.vstack([piece, np.full((3, img.shape[1]), 255, np.uint8), img])
    mids = [m + piece.shape[0] + 3 for m in mids]
    bands = text_line_bands(img)
    assert len(bands) == 2, bands
    assert bands[0][0] == 0 and bands[0][0] <= mids[0] < bands[0][1] <= mids[1]
