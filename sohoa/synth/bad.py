"""Pages that are not register pages, for the preprocessing tests: a blank sheet, a page of
text without a table, a torn page and a photo of a wall (no page at all)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw

from sohoa.synth import degrade as dg
from sohoa.synth.fonts import load_font, print_font_path

BAD_KINDS = ("blank", "no_table", "torn", "wall")


def _blank(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    return np.clip(dg.paper(rng, w, h, hard=bool(rng.random() < 0.5)), 0, 255).astype(np.uint8)


def _no_table(rng: np.random.Generator, w: int, h: int, mm: float) -> np.ndarray:
    page = dg.paper(rng, w, h, hard=False)
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    font = load_font(print_font_path("regular"), int(mm * 4))
    words = ("Căn cứ Luật Hộ tịch năm 2014 và Nghị định số 123/2015/NĐ-CP quy định chi tiết "
             "một số điều và biện pháp thi hành Luật Hộ tịch, Ủy ban nhân dân xã thông báo "
             "việc đăng ký hộ tịch cho nhân dân trong xã được biết và thực hiện").split()
    y = int(mm * 20)
    while y < h - mm * 20:
        n = int(rng.integers(8, 16))
        line = " ".join(words[int(rng.integers(len(words)))] for _ in range(n))
        draw.text((int(mm * 20), y), line, font=font, fill=255)
        y += int(mm * 7)
    dg.apply_ink(page, np.asarray(img, np.float32) / 255.0, (30, 30, 30))
    return np.clip(page, 0, 255).astype(np.uint8)


def _torn(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    from sohoa.synth.page import generate_page

    img = generate_page("ks-2006", int(rng.integers(1 << 30)), "easy").image.copy()
    h, w = img.shape[:2]
    # a ragged tear removes a corner-to-edge piece of the page, showing the dark scanner bed
    xs = np.linspace(0, w, 40)
    base = rng.uniform(0.3, 0.7) * h
    ys = base + np.cumsum(rng.normal(0, h * 0.02, len(xs))) + np.linspace(0, h * 0.3, len(xs))
    poly = np.array([[0, h], *zip(xs, ys, strict=True), [w, h]], np.int32)
    cv2.fillPoly(img, [poly], (35, 35, 40))
    return img


def _wall(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    small = rng.normal(0, 1, (12, 16)).astype(np.float32)
    tone = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    base = np.array(rng.uniform(90, 190, 3), np.float32)
    img = base[None, None, :] * (1 + 0.12 * tone[..., None])
    img += rng.normal(0, 8, (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def render_bad_page(kind: str, seed: int, dpi: int = 200) -> np.ndarray:
    """An RGB uint8 image of a page the pipeline must refuse or flag."""
    if kind not in BAD_KINDS:
        raise ValueError(f"unknown bad page kind {kind!r}; use one of {', '.join(BAD_KINDS)}")
    rng = np.random.default_rng([seed, 991])
    mm = dpi / 25.4
    w, h = int(297 * mm), int(210 * mm)
    if kind == "blank":
        return _blank(rng, w, h)
    if kind == "no_table":
        return _no_table(rng, w, h, mm)
    if kind == "torn":
        return _torn(rng, w, h)
    return _wall(rng, w, h)
