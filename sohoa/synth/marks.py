"""Stacked Vietnamese diacritics drawn from parts, for fonts whose precomposed letters squash
them (SetoFont draws the circumflex of ậ, ấ, ầ ... two pixels high).

A letter with a circumflex or breve and a tone mark is built from the font's own letter with
the first mark (â) and the tone mark cut from the font's single-mark letter (á minus a), set
above the hat (or below the letter for the dot), slightly to the right as people write it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

Glyph = tuple[np.ndarray, int, int]  # coverage, x and y of its top-left from the pen point

COMPOSE_FONTS = ("setofont",)  # file-name prefixes of fonts that need it
_HATS = ("\u0302", "\u0306")  # circumflex, breve
_TONES = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_DOT = "\u0323"
_HOOK = "\u0309"


def _split(ch: str) -> tuple[str, str, str] | None:
    """(letter, hat, tone) of a letter to build from parts, else ``None``: a circumflex or
    breve with any tone, or any letter with the hook above (drawn tiny by such fonts).
    NFD orders the dot below before the hat and the other tones after it."""
    d = unicodedata.normalize("NFD", ch)
    tones = [m for m in d[1:] if m in _TONES]
    others = [m for m in d[1:] if m not in _TONES]
    if len(tones) != 1 or len(others) > 1:
        return None
    hat = others[0] if others else ""
    if hat in _HATS or tones[0] == _HOOK:
        return d[0], hat, tones[0]
    return None


def needs_compose(font_path: Path, ch: str) -> bool:
    return font_path.name.lower().startswith(COMPOSE_FONTS) and _split(ch) is not None


def _ink_box(a: np.ndarray) -> tuple[int, int, int, int] | None:
    rows, cols = np.flatnonzero(a.max(axis=1) > 0.1), np.flatnonzero(a.max(axis=0) > 0.1)
    if len(rows) == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _tone_mark(raw: Callable[[str], Glyph], tone: str) -> Glyph | None:
    """The tone mark alone: the font's a-with-tone minus its plain a."""
    src, sx, sy = raw(unicodedata.normalize("NFC", "a" + tone))
    plain, _, ay = raw("a")
    if tone == _DOT:
        cut = ay + plain.shape[0] - sy  # rows below the plain a
        part, py = src[max(0, cut):], sy + max(0, cut)
    else:
        cut = ay - sy - 1  # rows above the plain a
        part, py = src[: max(0, cut)], sy
    box = _ink_box(part) if part.size else None
    if box is None:
        return None
    x0, y0, x1, y1 = box
    return part[y0:y1, x0:x1], sx + x0, py + y0


def _hook_mark(raw: Callable[[str], Glyph], size: int) -> Glyph | None:
    """A hook above drawn as a small question mark without its dot (the font's own hook is a
    tiny dash)."""
    q, qx, qy = raw("?")
    rows = np.flatnonzero(q.max(axis=1) > 0.5)
    if len(rows) < 4:
        return None
    gaps = np.diff(rows)
    cut = rows[int(np.argmax(gaps))] + 1 if gaps.max() > 1 else len(q)
    top = q[:cut]
    scale = max(0.2, size * 0.22 / max(1, top.shape[0]))
    h, w = max(1, int(top.shape[0] * scale)), max(1, int(top.shape[1] * scale))
    small = cv2.resize(top, (w, h), interpolation=cv2.INTER_AREA)
    box = _ink_box(small)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    return small[y0:y1, x0:x1], qx, qy


def compose(raw: Callable[[str], Glyph], ch: str, size: int) -> Glyph | None:
    """``ch`` drawn as hat letter + tone mark, or ``None`` if the parts are missing."""
    parts = _split(ch)
    if parts is None:
        return None
    letter, hat, tone = parts
    if letter == "i" and tone != _DOT:
        letter = "\u0131"  # dotless i under a mark
    base, bx, by = raw(unicodedata.normalize("NFC", letter + hat))
    mark = _hook_mark(raw, size) if tone == _HOOK else _tone_mark(raw, tone)
    if mark is None:
        return None
    m, _, my = mark
    bh, bw = base.shape
    mh, mw = m.shape
    gap = max(1, round(size * 0.05))
    if tone == _DOT:
        mx = bx + (bw - mw) // 2
    else:
        shift = 0 if tone == "\u0303" else int(bw * 0.3)
        mx, my = bx + (bw - mw) // 2 + shift, by - gap - mh
    x0, y0 = min(bx, mx), min(by, my)
    x1, y1 = max(bx + bw, mx + mw), max(by + bh, my + mh)
    out = np.zeros((y1 - y0, x1 - x0), np.float32)
    out[by - y0:by - y0 + bh, bx - x0:bx - x0 + bw] = base
    region = out[my - y0:my - y0 + mh, mx - x0:mx - x0 + mw]
    np.maximum(region, m, out=region)
    return out, x0, y0
