"""Letters as pen strokes: a font glyph rendered large, skeletonised (scikit-image) and traced
into centre-line polylines, in units of the font's x-height with the pen origin on the
baseline (y grows downwards). Vietnamese letters are split by NFD into a base letter, drawn
from the font, and its diacritics (hat, breve, horn, tone marks, the bar of đ), drawn as
small strokes of their own so a writer can place and size them by hand.

``letter_strokes(font, ch)`` -> :class:`Letter` (cached per font and character).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from sohoa.synth.fonts import font_codepoints, load_font

RENDER_PX = 72  # font size the skeletons are traced at

# combining marks of Vietnamese and where they go: above, below or at the top right (horn)
MARKS_ABOVE = frozenset("\u0300\u0301\u0303\u0309\u0302\u0306")
MARK_BELOW = "\u0323"
HORN = "\u031b"
TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")

Polyline = np.ndarray  # (n, 2) float32, x-height units


@dataclass(frozen=True)
class Letter:
    """A base letter's strokes, its advance and its ink box (all in x-height units)."""

    strokes: tuple[Polyline, ...]
    advance: float
    box: tuple[float, float, float, float]  # x0, y0 (top, negative), x1, y1


def split_marks(ch: str) -> tuple[str, tuple[str, ...]]:
    """``ch`` as (base letter, its combining marks) by NFD; đ/Đ keep their own letter."""
    if ch in "đĐ":
        return ch, ()
    d = unicodedata.normalize("NFD", ch)
    return d[0], tuple(d[1:])


def _neighbours(y: int, x: int, on: set[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(y + dy, x + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
            if (dy or dx) and (y + dy, x + dx) in on]


def trace_skeleton(skel: np.ndarray) -> list[np.ndarray]:
    """Polylines (x, y pixel coordinates) that cover a one-pixel-wide skeleton: walks from
    ends and junctions along unvisited edges, then around the loops that are left."""
    on = {(int(y), int(x)) for y, x in zip(*np.nonzero(skel), strict=True)}
    if not on:
        return []
    deg = {p: len(_neighbours(*p, on)) for p in on}
    seen: set[frozenset[tuple[int, int]]] = set()
    paths: list[np.ndarray] = []

    def walk(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
        path = [a, b]
        seen.add(frozenset((a, b)))
        while deg[path[-1]] == 2:
            nxt = [q for q in _neighbours(*path[-1], on) if frozenset((path[-1], q)) not in seen]
            if not nxt:
                break
            seen.add(frozenset((path[-1], nxt[0])))
            path.append(nxt[0])
        return path

    starts = sorted(p for p in on if deg[p] != 2)
    for p in starts:
        for q in _neighbours(*p, on):
            if frozenset((p, q)) not in seen:
                paths.append(np.array(walk(p, q), np.float32)[:, ::-1])
        if deg[p] == 0:
            paths.append(np.array([p, p], np.float32)[:, ::-1])
    for p in sorted(on):  # closed loops (o, 0, the bowl of a) have no ends
        for q in _neighbours(*p, on):
            if frozenset((p, q)) not in seen:
                paths.append(np.array(walk(p, q), np.float32)[:, ::-1])
    return paths


def _simplify(path: np.ndarray, min_len: float) -> np.ndarray | None:
    if len(path) > 2:
        path = cv2.approxPolyDP(path.reshape(-1, 1, 2), 0.9, False).reshape(-1, 2)
    length = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum()) if len(path) > 1 else 0
    return path.astype(np.float32) if length >= min_len else None


def _prune(paths: list[np.ndarray], spur: float) -> list[np.ndarray]:
    """Drop short spurs: paths from a junction to a free end (a skeleton's whiskers at the
    corners of thick strokes), keeping short links between two junctions."""
    from collections import Counter

    ends = Counter((round(float(x)), round(float(y))) for p in paths for x, y in (p[0], p[-1]))

    def is_spur(p: np.ndarray) -> bool:
        length = float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) if len(p) > 1 else 0
        free = [ends[(round(float(x)), round(float(y)))] == 1 for x, y in (p[0], p[-1])]
        return length < spur and any(free) and not all(free)

    out = [p for p in paths if not is_spur(p)]
    return out or paths[:1]


@cache
def x_height_px(font: Path) -> float:
    box = load_font(font, RENDER_PX).getbbox("x", anchor="ls")
    return float(max(4.0, -box[1]))


def _has(font: Path, ch: str) -> bool:
    return ord(ch) in font_codepoints(font)


@lru_cache(maxsize=8000)
def letter_strokes(font: Path, ch: str) -> Letter:
    """The centre-line strokes of one base letter (no combining marks) in ``font``."""
    f = load_font(font, RENDER_PX)
    xh = x_height_px(font)
    advance = float(f.getlength(ch)) / xh
    if ch.isspace() or not _has(font, ch):
        return Letter((), advance if ch.isspace() else 0.6, (0.0, -1.0, advance, 0.0))
    x0, y0, x1, y1 = (int(v) for v in f.getbbox(ch, anchor="ls"))
    pad = 4
    w, h = max(1, x1 - x0) + 2 * pad, max(1, y1 - y0) + 2 * pad
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).text((pad - x0, pad - y0), ch, font=f, fill=255, anchor="ls")
    mask = np.asarray(img) > 110
    if not mask.any():
        return Letter((), advance, (0.0, -1.0, advance, 0.0))
    from skimage.morphology import skeletonize

    skel = skeletonize(mask)
    half = float(cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3).max())
    paths = _prune(trace_skeleton(skel), spur=max(xh * 0.12, 1.6 * half))
    strokes = []
    for p in paths:
        s = _simplify(p, min_len=1.0)
        if s is None:
            s = p[[0, -1]] if len(p) > 1 else np.repeat(p, 2, axis=0)
        # pixel -> font units: origin at the pen position on the baseline
        s = (s - np.array([pad - x0, pad - y0], np.float32)) / xh
        strokes.append(s.astype(np.float32))
    pts = np.concatenate(strokes)
    box = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()),
           float(pts[:, 1].max()))
    return Letter(tuple(strokes), advance, box)


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float,
         n: int = 9) -> np.ndarray:
    t = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1).astype(np.float32)


def mark_strokes(mark: str, rng: np.random.Generator, wobble: float) -> list[np.ndarray]:
    """One hand-drawn diacritic, centred on (0, 0), about 0.4 x-height wide; ``wobble``
    varies its shape (each call draws it a little differently)."""
    j = lambda s=1.0: float(rng.normal(0, wobble * s))  # noqa: E731
    if mark == "\u0301":  # sắc: a short stroke rising to the right
        out = [np.array([[-0.1 + j(), 0.15 + j()], [0.12 + j(), -0.18 + j()]], np.float32)]
    elif mark == "\u0300":  # huyền
        out = [np.array([[-0.12 + j(), -0.18 + j()], [0.1 + j(), 0.15 + j()]], np.float32)]
    elif mark == "\u0309":  # hỏi: a small hook like a question mark without its dot
        out = [np.concatenate([_arc(0.0, -0.08, 0.12 + j(0.5), 0.1, np.pi * 1.1,
                                    np.pi * 2.35),
                               np.array([[0.0 + j(), 0.2 + j(0.5)]], np.float32)])]
    elif mark == "\u0303":  # ngã: a wave
        t = np.linspace(-1, 1, 9)
        amp = 0.08 + j(0.5)
        out = [np.stack([t * (0.2 + j(0.3)), -amp * np.sin(t * np.pi)], 1).astype(np.float32)]
    elif mark == MARK_BELOW:  # nặng: a dot
        out = [np.array([[0.0, 0.0], [0.03 + j(0.3), 0.02 + j(0.3)]], np.float32)]
    elif mark == "\u0302":  # hat
        h = 0.2 + j(0.5)
        out = [np.array([[-0.2 + j(), 0.08], [0.0 + j(), -h], [0.2 + j(), 0.08]], np.float32)]
    elif mark == "\u0306":  # breve: a little cup
        out = [_arc(0.0, -0.1, 0.18 + j(0.5), 0.17 + j(0.5), np.pi * 0.05, np.pi * 0.95)]
    elif mark == HORN:
        out = [np.array([[0.0, 0.08], [0.16 + j(), 0.02 + j()], [0.22 + j(), -0.2 + j()]],
                        np.float32)]
    else:  # an unexpected combining mark: a short bar
        out = [np.array([[-0.15, 0.0], [0.15, 0.0]], np.float32)]
    return out


def bar_stroke(ch: str, box: tuple[float, float, float, float]) -> np.ndarray:
    """The bar of đ (across the ascender) or Đ (across the left stem)."""
    x0, y0, x1, y1 = box
    if ch == "đ":
        y = y0 + (y1 - y0) * 0.22
        return np.array([[x1 - 0.55, y], [x1 + 0.1, y]], np.float32)
    y = y0 + (y1 - y0) * 0.5
    return np.array([[x0 - 0.15, y], [x0 + 0.45, y]], np.float32)
