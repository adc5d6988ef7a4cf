"""The one line a clerk draws through unused rows (preprocessing/strikes.py): a pen stroke is
thin along its length, a "line" Hough threads through a row of words slightly askew is not
(kh-2006 731011: such a row, its row line missing, was taken as struck out and its entry
lost)."""

from __future__ import annotations

import cv2
import numpy as np

from preprocessing.strikes import THIN_SHARE, find_strikes, thin_share


def _path(x0: int, x1: int, y0: float, slope: float) -> tuple[np.ndarray, np.ndarray]:
    px = np.arange(x0, x1)
    return np.round(y0 + slope * (px - x0)).astype(int), px


def test_a_pen_stroke_is_thin_along_its_path_and_words_on_it_are_not() -> None:
    half = np.zeros((120, 600), np.uint8)
    py, px = _path(20, 580, 30.0, 0.1)
    for x, y in zip(px, py, strict=True):
        half[y:y + 2, x] = 255  # a stroke two pixels thick
    assert thin_share(half, py, px) == 1.0
    # a few words it crosses on its way: still mostly thin
    for x in range(100, 560, 150):
        half[:, x:x + 30][20:80] = np.where(np.arange(30) % 6 < 2, 255, 0)[None, :]
    assert thin_share(half, py, px) >= THIN_SHARE
    # letters' stems and bowls along a row of words: tall runs wherever the path meets ink
    words = np.zeros((120, 600), np.uint8)
    wy, wx = _path(20, 580, 50.0, 0.04)
    for x, y in zip(wx, wy, strict=True):
        if x % 40 < 30 and x % 5 < 3:  # words of stems, three pixels wide
            words[y - 8:y + 3, x] = 255
        elif x % 40 < 30:
            words[y:y + 2, x] = 255  # joins between the stems
    assert thin_share(words, wy, wx) < THIN_SHARE


def test_a_drawn_stroke_across_the_body_is_found() -> None:
    clean = np.zeros((500, 1400), np.uint8)
    cv2.line(clean, (100, 120), (1300, 300), 255, 3)
    found = find_strikes(clean, (0, 0, 1400, 500), 60.0)
    assert len(found) == 1
    x0, y0, x1, y1 = found[0]
    assert x0 < 140 and x1 > 1260 and abs(y0 - 120) < 10 and abs(y1 - 300) < 10
