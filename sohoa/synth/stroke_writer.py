"""Writers who write with pen strokes: a :class:`StrokeWriter` is a seeded style (letter shapes
from one font family, slant, letter width and spacing, word drift, wobble of the stroke paths,
how often letters are joined, where and how big the diacritics go, which pen), and
:func:`write_strokes` lays a line of text out as pen strokes in pixels.

Writers are split by seed and font family: seeds below :data:`HELD_OUT_SEED0` and the
training families write training lines; held-out writers (seeds from ``HELD_OUT_SEED0``, the
:data:`HELD_OUT_FAMILIES`) are for measuring only and no training data source draws them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from sohoa.synth.strokes import (
    HORN,
    MARK_BELOW,
    Letter,
    bar_stroke,
    letter_strokes,
    mark_strokes,
    split_marks,
)

HELD_OUT_SEED0 = 1_000_000
HELD_OUT_FAMILIES = ("Caveat", "Kalam", "Satisfy", "ShadowsIntoLight")
PENS = ("ballpoint", "fountain", "felt")


def _family(path: Path) -> str:
    return path.stem.split("-")[0].split("[")[0]


# families that never give a training writer's letters: the held-out writers' and the test
# and bench fonts' (sohoa.synth.fonts roles), matched on the family key of _family, any case
NEVER_TRAIN = (*HELD_OUT_FAMILIES, "DancingScript", "setofont", "playpen", "borel",
               "DejaVuMath")  # a maths font is no hand
PRINT_SHARE = 0.3  # training writers whose letters come from a printed/school font's skeleton


def _never_train(path: Path) -> bool:
    fam = _family(path).lower().replace("-", "").replace("_", "")
    return any(fam.startswith(n.lower()) for n in NEVER_TRAIN)


@cache
def stroke_fonts(held_out: bool) -> tuple[Path, ...]:
    """Fonts whose letter skeletons training writers (or, with ``held_out``, the measuring
    writers) use. Never the test or bench fonts of :func:`sohoa.synth.fonts_for_role`.

    Training: the train-role fonts, every extra handwriting font (PyPI ``fontpkg-*`` and the
    Debian handwriting fonts of :func:`sohoa.synth.fonts.extra_training_fonts`) and the
    printed/school fonts (their skeletons write like a careful print hand), less the held-out
    families. Held-out: only the :data:`HELD_OUT_FAMILIES` (unchanged since they were set)."""
    from sohoa.synth.fonts import extra_training_fonts, fonts_for_role

    hand, printed = extra_training_fonts()
    if held_out:
        return tuple(p for p in hand if _family(p) in HELD_OUT_FAMILIES)
    train = tuple(fonts_for_role("train")) + hand + printed
    return tuple(p for p in train if not _never_train(p))


@cache
def training_families() -> tuple[dict[str, tuple[Path, ...]], dict[str, tuple[Path, ...]]]:
    """``(handwriting, printed)`` training skeleton fonts grouped by family, so that a family
    with many files (Noto, Lobster Two) is not drawn more often than one with a single file."""
    from sohoa.synth.fonts import extra_training_fonts

    _, printed = extra_training_fonts()
    groups: tuple[dict[str, list[Path]], dict[str, list[Path]]] = ({}, {})
    for p in stroke_fonts(False):
        groups[p in printed].setdefault(_family(p), []).append(p)
    return ({k: tuple(v) for k, v in sorted(groups[0].items())},
            {k: tuple(v) for k, v in sorted(groups[1].items())})


def _training_font(rng: np.random.Generator) -> Path:
    hand, printed = training_families()
    pool = printed if printed and (not hand or rng.random() < PRINT_SHARE) else hand
    fam = pool[sorted(pool)[int(rng.integers(len(pool)))]]
    return fam[int(rng.integers(len(fam)))]


@dataclass(frozen=True)
class StrokeWriter:
    """One writer's hand. Lengths are in x-heights unless they say px."""

    seed: int
    font: Path
    x_height: float  # px
    slant: float  # shear, + leans right
    width: float  # letter width factor
    spacing: float  # extra gap between letters
    spacing_jitter: float
    word_gap: float
    drift: float  # per-word baseline offset (std)
    word_tilt: float  # per-word turn, degrees (std)
    wave: float  # slow baseline wave over the line (amplitude)
    wobble: float  # smooth displacement of the stroke paths (amplitude)
    wobble_len: float  # its wavelength
    letter_jitter: float  # per-letter size (std, fraction) and turn (x 40 degrees)
    join: float  # probability that two letters of a word are joined
    mark_dx: float  # where diacritics go relative to the letter's centre / top
    mark_dy: float
    mark_scale: float
    mark_jitter: float
    tone_right: float  # probability a tone sits right of a hat/breve instead of above it
    pen: str  # ballpoint, fountain or felt
    pen_width: float  # stroke width (x-heights)
    pressure: float  # how much width and ink vary along the line
    nib_angle: float  # fountain pen nib, radians
    ink: float  # ink grey level (0 black .. 255)
    ascender: float = 1.0  # height of ascenders (above the x-height) relative to the font's
    descender: float = 1.0  # depth of descenders relative to the font's
    width_jitter: float = 0.05  # per-letter width variation (std of the log)
    # letter variety (training writers drawn with ``variety``; see :func:`_varied`): letters
    # of other fonts mixed in, each letter always from the same font; each letter's own
    # lasting shape change; stroke ends cut short or run on
    mix_fonts: tuple[Path, ...] = ()
    mix_share: float = 0.0  # share of the letters (by kind) taken from ``mix_fonts``
    letter_warp: float = 0.0  # amplitude of each letter's own shape change (x-heights)
    trim: float = 0.0  # std of a stroke end cut short (-) or run on (+), x its length

    @classmethod
    def sample(cls, seed: int, held_out: bool = False, x_height: float | None = None,
               variety: bool = False) -> StrokeWriter:
        """The writer of ``seed``: training writers have seeds below ``HELD_OUT_SEED0``,
        held-out ones from it (and other font families). ``variety``: a training writer
        also given letter variety (:func:`_varied`); every other parameter the same."""
        if held_out != (seed >= HELD_OUT_SEED0):
            raise ValueError(f"writer seed {seed}: held-out writers have seeds >= "
                             f"{HELD_OUT_SEED0}, training writers below")
        if variety and held_out:
            raise ValueError("letter variety is for training writers only: the held-out "
                             "writers are frozen")
        fonts = stroke_fonts(held_out)
        if not fonts:
            raise ValueError(f"no {'held-out' if held_out else 'training'} stroke fonts "
                             "installed (make setup installs the train extra's fonts)")
        rng = np.random.default_rng(seed)
        if held_out:
            return cls._frozen(seed, rng, fonts, x_height)
        w = cls._wide(seed, rng, x_height)
        return _varied(w) if variety else w

    @classmethod
    def _frozen(cls, seed: int, rng: np.random.Generator, fonts: tuple[Path, ...],
                x_height: float | None) -> StrokeWriter:
        """The measuring writers' distribution, exactly as when the held-out set was drawn
        (same ranges, same random stream): changing it would change the benchmark."""
        return cls._draw(seed, rng, _MEASURING, lambda: fonts[int(rng.integers(len(fonts)))],
                         x_height)

    @classmethod
    def _wide(cls, seed: int, rng: np.random.Generator, x_height: float | None
              ) -> StrokeWriter:
        """Training writers: letters from any of ~40 families (handwriting and printed/school
        skeletons, family-balanced) and wider ranges than the measuring writers' on every
        parameter, plus ascender/descender proportions and per-letter width jitter."""
        return cls._draw(seed, rng, _TRAINING, lambda: _training_font(rng), x_height)

    @classmethod
    def _draw(cls, seed: int, rng: np.random.Generator, r: _Ranges,
              font: Callable[[], Path], x_height: float | None) -> StrokeWriter:
        """One writer from the ranges ``r``, every draw in a fixed order (the held-out
        writers' stream depends on it)."""
        def u(lo_hi: tuple[float, float]) -> float:
            return float(rng.uniform(*lo_hi))

        pen = PENS[int(rng.choice(3, p=r.pens))]
        w = cls(
            seed=seed, font=font(),
            x_height=float(x_height or rng.uniform(*r.x_height)),
            slant=float(np.tan(np.radians(rng.uniform(*r.slant_deg)))),
            width=u(r.width), spacing=u(r.spacing), spacing_jitter=u(r.spacing_jitter),
            word_gap=u(r.word_gap), drift=u(r.drift), word_tilt=u(r.word_tilt),
            wave=u(r.wave), wobble=u(r.wobble), wobble_len=u(r.wobble_len),
            letter_jitter=u(r.letter_jitter),
            join=float(rng.choice([0.0, rng.uniform(*r.join_loose), rng.uniform(0.7, 1.0)],
                                  p=r.join_p)),
            mark_dx=float(rng.normal(0.1, r.mark_dx_sd)),
            mark_dy=float(rng.normal(0.0, r.mark_dy_sd)),
            mark_scale=u(r.mark_scale), mark_jitter=u(r.mark_jitter),
            tone_right=float(rng.uniform(0.0, 1.0)),
            pen=pen, pen_width=u(r.pen_widths[pen]), pressure=u(r.pressure),
            nib_angle=u(r.nib_angle), ink=u(r.ink),
        )
        if not r.proportions:
            return w
        return replace(w, ascender=u((0.7, 1.35)), descender=u((0.6, 1.4)),
                       width_jitter=u((0.02, 0.14)))


@dataclass(frozen=True)
class _Ranges:
    """Where a writer's parameters are drawn from (uniform unless named otherwise)."""

    pens: tuple[float, float, float]  # ballpoint, fountain, felt
    pen_widths: dict[str, tuple[float, float]]
    x_height: tuple[float, float]
    slant_deg: tuple[float, float]
    width: tuple[float, float]
    spacing: tuple[float, float]
    spacing_jitter: tuple[float, float]
    word_gap: tuple[float, float]
    drift: tuple[float, float]
    word_tilt: tuple[float, float]
    wave: tuple[float, float]
    wobble: tuple[float, float]
    wobble_len: tuple[float, float]
    letter_jitter: tuple[float, float]
    join_loose: tuple[float, float]  # a loosely joining hand's join probability
    join_p: tuple[float, float, float]  # never, loosely, mostly joined
    mark_dx_sd: float
    mark_dy_sd: float
    mark_scale: tuple[float, float]
    mark_jitter: tuple[float, float]
    pressure: tuple[float, float]
    nib_angle: tuple[float, float]
    ink: tuple[float, float]
    proportions: bool  # ascender/descender proportions and per-letter width jitter


# the measuring (held-out) writers' ranges: frozen, the benchmark's crops depend on them
_MEASURING = _Ranges(
    pens=(0.6, 0.2, 0.2),
    pen_widths={"ballpoint": (0.07, 0.13), "fountain": (0.09, 0.17), "felt": (0.13, 0.22)},
    x_height=(9, 19), slant_deg=(-8, 28), width=(0.78, 1.25), spacing=(-0.08, 0.3),
    spacing_jitter=(0.02, 0.12), word_gap=(0.55, 1.4), drift=(0.0, 0.22), word_tilt=(0.0, 4.0),
    wave=(0.0, 0.3), wobble=(0.02, 0.12), wobble_len=(1.0, 3.5), letter_jitter=(0.02, 0.12),
    join_loose=(0.3, 0.7), join_p=(0.2, 0.35, 0.45), mark_dx_sd=0.15, mark_dy_sd=0.1,
    mark_scale=(0.7, 1.5), mark_jitter=(0.03, 0.12), pressure=(0.05, 0.45),
    nib_angle=(0.3, 1.2), ink=(15, 110), proportions=False)
# the training writers': wider on every parameter
_TRAINING = _Ranges(
    pens=(0.5, 0.25, 0.25),
    pen_widths={"ballpoint": (0.05, 0.16), "fountain": (0.07, 0.2), "felt": (0.11, 0.27)},
    x_height=(8, 22), slant_deg=(-15, 36), width=(0.65, 1.45), spacing=(-0.14, 0.42),
    spacing_jitter=(0.01, 0.18), word_gap=(0.4, 1.7), drift=(0.0, 0.3), word_tilt=(0.0, 6.0),
    wave=(0.0, 0.4), wobble=(0.01, 0.17), wobble_len=(0.8, 4.0), letter_jitter=(0.01, 0.16),
    join_loose=(0.2, 0.7), join_p=(0.25, 0.35, 0.4), mark_dx_sd=0.22, mark_dy_sd=0.15,
    mark_scale=(0.6, 1.7), mark_jitter=(0.02, 0.16), pressure=(0.0, 0.55),
    nib_angle=(0.2, 1.4), ink=(5, 125), proportions=True)


# the ranges of letter variety (training writers only)
MIX_FONTS = (1, 3)  # how many other fonts a writer mixes in
MIX_SHARE = (0.1, 0.6)
LETTER_WARP = (0.0, 0.12)
TRIM = (0.0, 0.1)


def _varied(w: StrokeWriter) -> StrokeWriter:
    """``w`` with letter variety, from a random stream of its own (the writer's other
    parameters stay as drawn). Real hands are no font: a writer's letters come from several
    fonts' shapes (always the same shape for the same letter), each letter has a lasting
    twist of its own, and strokes stop short or run on."""
    rng = np.random.default_rng([w.seed, 36])
    n = int(rng.integers(MIX_FONTS[0], MIX_FONTS[1] + 1))
    return replace(w, mix_fonts=tuple(_training_font(rng) for _ in range(n)),
                   mix_share=float(rng.uniform(*MIX_SHARE)),
                   letter_warp=float(rng.uniform(*LETTER_WARP)),
                   trim=float(rng.uniform(*TRIM)))


def _unit(*key: object) -> float:
    """A number in [0, 1) fixed by ``key`` (a writer's lasting choice about one letter)."""
    return zlib.crc32(repr(key).encode()) / 2**32


def _font_of(w: StrokeWriter, base: str) -> Path:
    """The font this writer takes ``base`` from: always the same one for the same letter."""
    if not w.mix_fonts or _unit(w.seed, base, "mix") >= w.mix_share:
        return w.font
    return w.mix_fonts[int(_unit(w.seed, base, "font") * len(w.mix_fonts))]


def _warp(pts: np.ndarray, w: StrokeWriter, base: str) -> np.ndarray:
    """The writer's lasting shape change of letter ``base``: a smooth displacement (two
    sine waves a direction, fixed per writer and letter) of ``letter_warp`` x-heights."""
    if not w.letter_warp:
        return pts
    r = np.random.default_rng(int(_unit(w.seed, base, "warp") * 2**32))
    k = r.normal(0, 1, (2, 2, 2)) * np.pi
    ph = r.uniform(0, 2 * np.pi, (2, 2))
    x, y = pts[:, 0], pts[:, 1]
    d = [sum(np.sin(k[a, i, 0] * x + k[a, i, 1] * y + ph[a, i]) for i in range(2)) / 2
         for a in range(2)]
    return (pts + w.letter_warp * np.stack(d, 1)).astype(np.float32)


def _trimmed(p: np.ndarray, w: StrokeWriter, rng: np.random.Generator) -> np.ndarray:
    """A stroke whose ends stop short or run on along their direction (by up to a quarter
    of its length), as a hurried hand leaves an ``o`` open or runs an ``a`` past its stem;
    strokes under half an x-height (dots, short bars) are left alone."""
    if not w.trim or len(p) < 3:
        return p
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    total = float(seg.sum())
    if total < 0.5:
        return p
    d = np.concatenate([[0.0], np.cumsum(seg)])
    a, b = np.clip(rng.normal(0, w.trim, 2), -0.25, 0.25) * total
    t = np.linspace(max(0.0, -a), total - max(0.0, -b), len(p))
    out = np.stack([np.interp(t, d, p[:, 0]), np.interp(t, d, p[:, 1])], 1)
    if a > 0:  # run on before the start, along the first segment's direction
        u = (p[0] - p[1]) / max(float(seg[0]), 1e-6)
        out = np.vstack([p[0] + u * a, out])
    if b > 0:
        u = (p[-1] - p[-2]) / max(float(seg[-1]), 1e-6)
        out = np.vstack([out, p[-1] + u * b])
    return out.astype(np.float32)


@dataclass(frozen=True)
class Stroke:
    """One pen stroke in pixels: points (n, 2) and the pen's pressure at each (0..1)."""

    points: np.ndarray
    pressure: np.ndarray


def _letter(font: Path, base: str) -> tuple[Letter, list[np.ndarray]]:
    """A base letter's strokes, with the bar of đ/Đ drawn by hand on d/D."""
    if base in "đĐ":
        plain = letter_strokes(font, "d" if base == "đ" else "D")
        return plain, [*plain.strokes, bar_stroke(base, plain.box)]
    got = letter_strokes(font, base)
    if not got.strokes and not base.isspace():
        from sohoa.synth.fonts import fonts_for_role

        got = letter_strokes(fonts_for_role("train")[0], base)  # a glyph the font lacks
    return got, list(got.strokes)


def _place_marks(marks: tuple[str, ...], box: tuple[float, float, float, float],
                 w: StrokeWriter, rng: np.random.Generator) -> list[np.ndarray]:
    x0, y0, x1, y1 = box
    cx = (x0 + x1) / 2 + w.mark_dx
    top = min(y0, -1.0)
    out: list[np.ndarray] = []
    hat = any(m in "\u0302\u0306" for m in marks)
    for m in marks:
        s = w.mark_scale * float(np.exp(rng.normal(0, 0.12)))
        jx, jy = rng.normal(0, w.mark_jitter, 2)
        if m == MARK_BELOW:
            at = ((x0 + x1) / 2 + jx * 0.5, max(y1, 0.0) + 0.3 + w.mark_dy * 0.3 + jy * 0.5)
        elif m == HORN:
            at = (x1 - 0.04 + jx * 0.4, y0 + 0.06 + jy * 0.4)
            s = min(max(s, 0.9), 1.3)
        elif m in "\u0302\u0306":
            at = (cx + jx, top - 0.32 + w.mark_dy + jy)
        elif hat and rng.random() < w.tone_right:  # tone to the right of the hat
            at = (cx + 0.38 * s + jx, top - 0.5 + w.mark_dy + jy)
        else:
            at = (cx + jx, top - (0.75 if hat else 0.38) + w.mark_dy + jy)
        for p in mark_strokes(m, rng, 0.025):
            out.append(p * s + np.array(at, np.float32))
    return out


def _ends(strokes: list[np.ndarray]) -> np.ndarray:
    return np.array([p for s in strokes for p in (s[0], s[-1])], np.float32)


def _joint(prev: list[np.ndarray], nxt: list[np.ndarray]) -> np.ndarray | None:
    """A connecting stroke from the previous letter's exit to the next letter's entry."""
    a, b = _ends(prev), _ends(nxt)
    a = a[a[:, 1] > -1.3]
    b = b[b[:, 1] > -1.3]
    if not len(a) or not len(b):
        return None
    p = a[np.argmax(a[:, 0] + 0.4 * a[:, 1])]
    q = b[np.argmin(b[:, 0] + 0.3 * np.abs(b[:, 1] + 0.4))]
    if not -0.3 < q[0] - p[0] < 1.3:
        return None
    ctrl = np.array([(p[0] + q[0]) / 2, max(p[1], q[1], -0.1) + 0.1], np.float32)
    t = np.linspace(0, 1, 7)[:, None]
    return ((1 - t) ** 2 * p + 2 * (1 - t) * t * ctrl + t ** 2 * q).astype(np.float32)


def _proportion(pts: np.ndarray, w: StrokeWriter) -> np.ndarray:
    """Ascenders (above the x-height, y < -1) and descenders (below the baseline, y > 0)
    stretched or shortened by the writer's proportions."""
    if w.ascender == 1.0 and w.descender == 1.0:
        return pts
    y = pts[:, 1]
    y2 = np.where(y < -1, -1 + (y + 1) * w.ascender, np.where(y > 0, y * w.descender, y))
    return np.stack([pts[:, 0], y2], 1).astype(np.float32)


def _turn(pts: np.ndarray, deg: float, about: np.ndarray) -> np.ndarray:
    r = np.radians(deg)
    m = np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]], np.float32)
    return (pts - about) @ m.T + about


def write_strokes(text: str, w: StrokeWriter, rng: np.random.Generator) -> list[Stroke]:
    """``text`` as this writer's pen strokes, in pixels (baseline near y = 0)."""
    strokes: list[np.ndarray] = []
    x = 0.0
    for word in text.split(" "):
        if not word:
            x += w.word_gap * 0.5
            continue
        start = len(strokes)
        dy = float(rng.normal(0, w.drift))
        prev: list[np.ndarray] | None = None
        for ch in word:
            base, marks = split_marks(ch)
            letter, own = _letter(_font_of(w, base), base)
            own = [_trimmed(_warp(p, w, base), w, rng) for p in own]  # as is without variety
            s = float(np.exp(rng.normal(0, w.letter_jitter)))
            turn = float(rng.normal(0, w.letter_jitter * 40))
            k = np.array([w.width * s * float(np.exp(rng.normal(0, w.width_jitter))), s],
                         np.float32)
            own = [_proportion(p, w) for p in own]
            off = np.array([x, dy + rng.normal(0, w.drift * 0.25)], np.float32)
            lx0, ly0, lx1, ly1 = letter.box
            if w.ascender != 1.0 or w.descender != 1.0:
                ly0, ly1 = (float(v) for v in _proportion(
                    np.array([[0, ly0], [0, ly1]], np.float32), w)[:, 1])
            box = (lx0 * k[0], ly0 * k[1], lx1 * k[0], ly1 * k[1])
            drawn = [_turn(p * k, turn, np.zeros(2, np.float32)) + off for p in own]
            drawn += [p + off for p in _place_marks(marks, box, w, rng)]
            if prev is not None and base.isalpha() and base.islower() and drawn and \
                    rng.random() < w.join:
                joint = _joint(prev, drawn[:len(own)])
                if joint is not None:
                    strokes.append(joint)
            strokes += drawn
            prev = drawn[:len(own)] if base.isalpha() and own else None
            x += letter.advance * k[0] + w.spacing + float(rng.normal(0, w.spacing_jitter))
        if len(strokes) > start:  # the word turns a little about its start
            tilt = float(rng.normal(0, w.word_tilt))
            about = np.array([strokes[start][0, 0], dy], np.float32)
            strokes[start:] = [_turn(p, tilt, about) for p in strokes[start:]]
        x += w.word_gap * float(np.exp(rng.normal(0, 0.15)))
    return _finish(strokes, w, rng)


def _finish(strokes: list[np.ndarray], w: StrokeWriter, rng: np.random.Generator
            ) -> list[Stroke]:
    """Slant, baseline wave, wobble of the paths (a smooth displacement field), pressure."""
    if not strokes:
        return []
    k = rng.normal(0, 1, (3, 2)) * (2 * np.pi / w.wobble_len)
    ph = rng.uniform(0, 2 * np.pi, (3, 2))
    wave_len, wave_ph = float(rng.uniform(8, 20)), float(rng.uniform(0, 2 * np.pi))
    press_k, press_ph = float(rng.uniform(0.2, 0.8)), float(rng.uniform(0, 2 * np.pi))
    out = []
    for p in strokes:
        p = _resample(p, 0.12)
        x, y = p[:, 0], p[:, 1]
        dx = sum(np.sin(k[i, 0] * x + k[i, 1] * y + ph[i, 0]) for i in range(3))
        dy = sum(np.sin(k[i, 1] * x - k[i, 0] * y + ph[i, 1]) for i in range(3))
        y2 = y + w.wobble * dy / 1.7 + w.wave * np.sin(2 * np.pi * x / wave_len + wave_ph)
        x2 = x + w.wobble * dx / 1.7 - w.slant * y2
        press = 1 - w.pressure * (0.5 + 0.5 * np.sin(press_k * x + press_ph))
        pts = np.stack([x2, y2], 1) * w.x_height
        out.append(Stroke(pts.astype(np.float32), press.astype(np.float32)))
    return out


def _resample(p: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` along the polyline (so the wobble bends straight segments)."""
    if len(p) < 2:
        return np.repeat(p[:1], 2, axis=0)
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    d = np.concatenate([[0.0], np.cumsum(seg)])
    if d[-1] <= step:
        return p
    t = np.linspace(0, d[-1], int(np.ceil(d[-1] / step)) + 1)
    return np.stack([np.interp(t, d, p[:, 0]), np.interp(t, d, p[:, 1])], 1).astype(np.float32)
