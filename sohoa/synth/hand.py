"""Handwriting-like text: a font drawn character by character with a wandering baseline,
uneven spacing, slant, stroke width, elastic distortion and pen pressure.

``render_ink`` gives the ink coverage (float 0..1) that the page compositor tints with the
pen's colour; ``render_handwriting`` gives one grey line image for training the recogniser.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from sohoa.synth.fonts import fonts_for_role, load_font
from sohoa.synth.marks import compose, needs_compose

INKS = {
    "blue": (30, 45, 140),
    "dark-blue": (20, 30, 90),
    "black": (25, 25, 30),
    "violet": (70, 40, 120),
    "blue-black": (30, 35, 70),
}


@dataclass(frozen=True)
class HandStyle:
    """One writer with one pen. ``size`` is the nominal letter height in pixels (x-height is
    about half of it); ``slant`` is a shear factor (0.2 = 11° to the right)."""

    font: Path
    size: float
    slant: float = 0.0
    stroke: int = 0  # <0 thinner (erode), >0 bolder (dilate), in pixels
    jitter: float = 0.04  # baseline wander as a fraction of size
    spacing: float = 0.0  # extra space between letters as a fraction of their advance
    word_gap: float = 1.0  # multiplier of the space width
    elastic: float = 0.0  # elastic distortion amplitude in pixels
    tilt: float = 0.0  # baseline tilt in degrees (+ = rising to the right)
    ink: tuple[int, int, int] = INKS["blue"]
    pressure: float = 0.2  # 0 = even ink, 0.5 = strong fading along the line
    aspect: float = 1.0  # horizontal scale: < 1 narrow, cramped writing; > 1 wide
    glyph_jitter: float = 0.0  # per-letter size (std, fraction) and turn (x 50 degrees)
    mark_shift: float = 0.0  # tone marks set right of their letter, fraction of its width

    @classmethod
    def sample(
        cls, rng: np.random.Generator, font_role: str = "train", size: float = 40.0
    ) -> HandStyle:
        """A random writer: font of the role, size within ±25 %, slant -5..+20°, stroke,
        jitter, spacing, distortion and an ink colour."""
        fonts = fonts_for_role(font_role)
        font = fonts[int(rng.integers(len(fonts)))]
        ink_name = list(INKS)[int(rng.choice(len(INKS), p=[0.45, 0.2, 0.2, 0.05, 0.1]))]
        ink = tuple(int(np.clip(c + rng.normal(0, 10), 0, 255)) for c in INKS[ink_name])
        if size >= 45:
            stroke_px = int(rng.choice([-1, 0, 0, 1, 1, 2]))
        elif size >= 28:
            stroke_px = int(rng.choice([-1, 0, 0, 0, 1, 1]))
        else:
            stroke_px = int(rng.choice([0, 0, 1]))
        return cls(
            font=font,
            size=float(size * rng.uniform(0.78, 1.25)),
            slant=float(np.tan(np.radians(rng.uniform(-5, 20)))),
            stroke=stroke_px,
            jitter=float(rng.uniform(0.01, 0.07)),
            spacing=float(rng.uniform(-0.08, 0.15)),
            word_gap=float(rng.uniform(0.85, 1.6)),
            elastic=float(rng.uniform(0.0, 0.06) * size),
            tilt=float(rng.normal(0, 0.8)),
            ink=(ink[0], ink[1], ink[2]),
            pressure=float(rng.uniform(0.05, 0.35)),
            aspect=float(rng.uniform(0.8, 1.15)),
            glyph_jitter=float(rng.uniform(0.0, 0.08)),
        )


@cache
def _size_scale(font: Path) -> float:
    """Font size that gives an x-height of half the nominal size, per unit of nominal size."""
    f = load_font(font, 100)
    box = f.getbbox("x", anchor="ls")
    xh = max(1.0, -box[1])
    return 50.0 / xh


def _font_px(style: HandStyle) -> int:
    """Font size in pixels for the style, in steps of 2 px so glyph caches are shared."""
    return max(8, 2 * int(round(style.size * _size_scale(style.font) / 2)))


@lru_cache(maxsize=6000)
def _glyph(font_path: Path, size: int, ch: str) -> tuple[np.ndarray, int, int]:
    """A character's coverage bitmap and its offset from the pen position on the baseline."""
    if needs_compose(font_path, ch):
        built = compose(lambda c: _raw_glyph(font_path, size, c), ch, size)
        if built is not None:
            return built
    return _raw_glyph(font_path, size, ch)


_TONES_ABOVE = frozenset("\u0300\u0301\u0303\u0309")  # grave, acute, tilde, hook


def _without_tone(ch: str) -> str | None:
    """``ch`` without its tone mark above (keeping hat, breve, horn), or ``None``."""
    d = unicodedata.normalize("NFD", ch)
    if not any(m in _TONES_ABOVE for m in d[1:]):
        return None
    return unicodedata.normalize("NFC", "".join(m for m in d if m not in _TONES_ABOVE))


@lru_cache(maxsize=6000)
def _mark_shifted(font_path: Path, size: int, ch: str, shift_q: int) -> tuple[np.ndarray, int, int]:
    """``ch`` with the ink above its toneless letter (the tone mark) moved ``shift_q`` % of the
    letter's width to the right, as many clerks write it (over the gap or the next letter)."""
    toned = _glyph(font_path, size, ch)
    plain = _without_tone(ch)
    if plain is None or shift_q <= 0:
        return toned
    bitmap, gx, gy = toned
    if plain == "i":
        plain = "\u0131"  # the toned i has no dot: compare with the dotless i
    pmap, _, py = _glyph(font_path, size, plain)
    cut = py - gy  # rows of the toned glyph above the toneless letter
    if cut < 2 or cut >= bitmap.shape[0]:
        return toned
    dx = int(round(shift_q / 100 * pmap.shape[1]))
    gh, gw = bitmap.shape
    out = np.zeros((gh, gw + dx), np.float32)
    out[cut:, :gw] = bitmap[cut:]
    out[:cut, dx:dx + gw] = bitmap[:cut]
    return out, gx, gy


def _raw_glyph(font_path: Path, size: int, ch: str) -> tuple[np.ndarray, int, int]:
    font = load_font(font_path, size)
    x0, y0, x1, y1 = (int(v) for v in font.getbbox(ch, anchor="ls"))
    w, h = max(1, x1 - x0), max(1, y1 - y0)
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).text((-x0, -y0), ch, font=font, fill=255, anchor="ls")
    return np.asarray(img, dtype=np.float32) / 255.0, x0, y0


def _draw_chars(text: str, style: HandStyle, rng: np.random.Generator) -> np.ndarray:
    size = _font_px(style)
    font = load_font(style.font, size)
    ascent, descent = font.getmetrics()
    space = max(_advance(style.font, size, " "), size * 0.3)  # script fonts have thin spaces
    shifts = [_shift_q(style, ch, rng) for ch in text]
    glyphs = [_mark_shifted(style.font, size, ch, q) if q else _glyph(style.font, size, ch)
              for ch, q in zip(text, shifts, strict=True)]
    total = sum(g[0].shape[1] + abs(g[1]) for g in glyphs) * (1 + max(0.0, style.spacing))
    w = int(total + space * 2 * len(text) * 0.5 + 2 * size)
    h = int(ascent + descent + 2 * size)
    canvas = np.zeros((h, w), np.float32)
    x, base = size * 0.5, ascent + size
    drift = 0.0
    for ch, q, (bitmap, ox, oy) in zip(text, shifts, glyphs, strict=True):
        if ch == " ":
            x += space * style.word_gap * rng.uniform(0.8, 1.25)
            continue
        drift = 0.8 * drift + rng.normal(0, style.jitter * style.size * 0.6)
        gx, gy = int(round(x + ox)), int(round(base + drift + oy))
        if style.glyph_jitter > 0.005:
            bitmap, pad = _jittered(style.font, size, ch, int(round(style.glyph_jitter * 100)),
                                    int(rng.integers(4)), q)
            gx, gy = gx - pad, gy - pad
        gh, gw = bitmap.shape
        if gx < 0 or gy < 0 or gx + gw > w or gy + gh > h:
            continue
        region = canvas[gy:gy + gh, gx:gx + gw]
        np.maximum(region, bitmap, out=region)
        x += _advance(style.font, size, ch) * (1 + style.spacing + rng.normal(0, 0.04))
    return canvas


def _shift_q(style: HandStyle, ch: str, rng: np.random.Generator) -> int:
    """This letter's tone-mark shift in steps of 10 % (0: none; no draw for a style without
    shifted marks, so their pages stay as they were)."""
    if style.mark_shift <= 0 or _without_tone(ch) is None:
        return 0
    return 10 * int(round(style.mark_shift * rng.uniform(0.5, 1.3) * 10))


@lru_cache(maxsize=20000)
def _jittered(
    font_path: Path, size: int, ch: str, amount_q: int, variant: int, shift_q: int = 0
) -> tuple[np.ndarray, int]:
    """One of a few fixed variants of a letter, a little bigger or smaller and turned about
    its foot (cached: drawing a fresh variant per letter would triple the page time)."""
    bitmap = _mark_shifted(font_path, size, ch, shift_q)[0]
    amount = amount_q / 100.0
    r = np.random.default_rng([size, ord(ch), amount_q, variant])
    gh, gw = bitmap.shape
    pad = int(0.2 * max(gw, gh)) + 1
    scale = min(1.2, max(0.8, 1 + float(r.normal(0, amount))))
    m = cv2.getRotationMatrix2D((gw / 2, gh), float(r.normal(0, amount * 50)), scale)
    m[:, 2] += pad
    out = cv2.warpAffine(bitmap, m, (gw + 2 * pad, gh + 2 * pad), flags=cv2.INTER_LINEAR)
    return out, pad


@lru_cache(maxsize=6000)
def _advance(font_path: Path, size: int, ch: str) -> float:
    return float(load_font(font_path, size).getlength(ch))


def _smooth_field(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    small = rng.normal(0, 1, (max(2, h // cell + 2), max(2, w // cell + 2))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _crop(alpha: np.ndarray, margin: int = 1) -> np.ndarray:
    mask = alpha > 0.08
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return np.zeros((1, 1), np.float32)
    y0, y1 = max(0, rows[0] - margin), min(alpha.shape[0], rows[-1] + margin + 1)
    x0, x1 = max(0, cols[0] - margin), min(alpha.shape[1], cols[-1] + margin + 1)
    return alpha[y0:y1, x0:x1]


def render_ink(text: str, style: HandStyle, rng: np.random.Generator) -> np.ndarray:
    """Ink coverage (float32 in 0..1, tight crop) of ``text`` written in ``style``."""
    alpha = _crop(_draw_chars(text, style, rng), margin=int(style.size * 0.3) + 2)
    if style.stroke:
        k = np.ones((abs(style.stroke) + 1, abs(style.stroke) + 1), np.uint8)
        alpha = (cv2.dilate if style.stroke > 0 else cv2.erode)(alpha, k)
    h, w = alpha.shape
    if style.elastic > 0.3:
        cell = max(8, int(style.size * 0.6))
        gy, gx = np.indices((h, w), dtype=np.float32)
        gx += _smooth_field(rng, h, w, cell) * style.elastic
        gy += _smooth_field(rng, h, w, cell) * style.elastic
        alpha = cv2.remap(alpha, gx, gy, cv2.INTER_LINEAR, borderValue=0)
    # slant (shear about the middle of the line) and tilt in one affine map
    t = np.radians(style.tilt)
    m = np.array([[style.aspect, -style.slant, style.slant * h * 0.6], [0.0, 1.0, 0.0],
                  [0, 0, 1]])
    rot = cv2.getRotationMatrix2D((w * style.aspect / 2, h / 2), float(np.degrees(t)), 1.0)
    m3 = np.vstack([rot, [0, 0, 1]]) @ m
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ m3[:2].T
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    m3[0, 2] += 2 - lo[0]
    m3[1, 2] += 2 - lo[1]
    out_w, out_h = int(np.ceil(hi[0] - lo[0])) + 4, int(np.ceil(hi[1] - lo[1])) + 4
    alpha = cv2.warpAffine(alpha, m3[:2].astype(np.float32), (out_w, out_h),
                           flags=cv2.INTER_LINEAR)
    alpha = _crop(alpha)
    if style.pressure > 0:
        w = alpha.shape[1]
        p = _smooth_field(rng, 1, w, max(8, int(style.size))).reshape(1, w)
        alpha = alpha * (1.0 - style.pressure * (0.5 + 0.5 * np.tanh(p)))
    return alpha.astype(np.float32, copy=False)


def estimate_size(text: str, style: HandStyle) -> tuple[float, float]:
    """Approximate (width, height) in pixels of ``render_ink(text, style)`` without drawing,
    for choosing how to wrap a value before rendering it."""
    size = _font_px(style)
    width = 0.0
    for ch in text:
        if ch == " ":
            width += max(_advance(style.font, size, " "), size * 0.3) * style.word_gap
        else:
            width += _advance(style.font, size, ch) * (1 + style.spacing)
    height = size * 1.25
    return width * style.aspect + abs(style.slant) * height, height


def render_handwriting(text: str, style: HandStyle, rng: np.random.Generator) -> np.ndarray:
    """One handwritten line as a grey uint8 image (paper ~245, ink dark), tight crop plus a
    small random margin: what a segmenter hands to the recogniser."""
    alpha = render_ink(text, style, rng)
    grey_ink = float(np.dot(style.ink, (0.299, 0.587, 0.114)))
    paper = float(rng.uniform(228, 252))
    m = [int(rng.integers(2, max(3, int(style.size * 0.3)))) for _ in range(4)]
    alpha = np.pad(alpha, ((m[0], m[1]), (m[2], m[3])))
    img = paper - alpha * (paper - grey_ink)
    return np.clip(img, 0, 255).astype(np.uint8)
