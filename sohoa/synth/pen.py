"""Pens, paper and photographs for stroke handwriting: :func:`ink_coverage` draws a writer's
strokes (:mod:`sohoa.synth.stroke_writer`) with a ballpoint (thin, even, skipping grain), a
fountain pen (width from the nib angle, pooled ends) or a felt pen (wide, soft, even), and
:func:`photograph` puts the ink on paper under uneven light with sensor noise and JPEG.

``render_stroke_line(text, writer, rng)`` -> grey uint8 line image (dark ink, light paper).
"""

from __future__ import annotations

import cv2
import numpy as np

from sohoa.synth.stroke_writer import Stroke, StrokeWriter, write_strokes

SS = 3  # supersampling of the drawing canvas


def _widths(s: Stroke, w: StrokeWriter) -> np.ndarray:
    base = w.pen_width * w.x_height
    if w.pen == "fountain":
        d = np.diff(s.points, axis=0, append=s.points[-1:] + (s.points[-1:] - s.points[-2:-1]
                                                            if len(s.points) > 1 else 0))
        ang = np.arctan2(d[:, 1], d[:, 0])
        return base * (0.3 + 0.9 * np.abs(np.sin(ang - w.nib_angle))) * (0.7 + 0.3 * s.pressure)
    if w.pen == "felt":
        return np.full(len(s.points), base) * (0.9 + 0.1 * s.pressure)
    return base * (0.75 + 0.25 * s.pressure)


def ink_coverage(strokes: list[Stroke], w: StrokeWriter, rng: np.random.Generator,
                 margin: float = 0.35) -> np.ndarray:
    """Ink coverage (float32 0..1) of the strokes, cropped to the ink plus ``margin`` x-heights
    (a line image that a cell segmenter would hand over)."""
    if not strokes:
        return np.zeros((max(4, int(w.x_height * 2)), 8), np.float32)
    pts = np.concatenate([s.points for s in strokes])
    pad = w.x_height * (margin + w.pen_width) + 2
    lo = pts.min(axis=0) - pad
    hi = pts.max(axis=0) + pad
    W, H = (int(np.ceil(v)) for v in (hi - lo) * SS)
    canvas = np.zeros((H, W), np.float32)
    for s in strokes:
        p = ((s.points - lo) * SS * 16).astype(np.int32)  # 4 fractional bits for cv2
        widths = _widths(s, w) * SS
        level = s.pressure * (0.85 if w.pen == "ballpoint" else 1.0) + \
            (0.15 if w.pen == "ballpoint" else 0.0)
        level = np.clip(level * float(rng.uniform(0.85, 1.0)), 0, 1)
        if len(p) == 1 or not np.any(p[1:] != p[:-1]):
            r = max(1, int(round(widths[0] / 2)))
            cv2.circle(canvas, (int(p[0, 0]) // 16, int(p[0, 1]) // 16), r, float(level[0]), -1,
                       cv2.LINE_AA)
            continue
        for i in range(len(p) - 1):
            t = max(1, int(round(float(widths[i]))))
            cv2.line(canvas, (int(p[i, 0]), int(p[i, 1])), (int(p[i + 1, 0]), int(p[i + 1, 1])),
                     float(level[i]), t, cv2.LINE_AA, shift=4)
        if w.pen == "fountain" and rng.random() < 0.5:  # ink pooling where the nib stops
            r = max(1, int(round(float(widths[-1]) * 0.6)))
            cv2.circle(canvas, (int(p[-1, 0]) // 16, int(p[-1, 1]) // 16), r, 1.0, -1,
                       cv2.LINE_AA)
    canvas = _texture(canvas, w, rng)
    out = cv2.resize(canvas, (max(1, W // SS), max(1, H // SS)), interpolation=cv2.INTER_AREA)
    return np.clip(out, 0, 1).astype(np.float32)


def _texture(canvas: np.ndarray, w: StrokeWriter, rng: np.random.Generator) -> np.ndarray:
    h, wd = canvas.shape
    if w.pen == "ballpoint":  # the ball skips: fine streaks of lighter ink
        grain = cv2.resize(rng.uniform(0, 1, (max(2, h // 4), max(2, wd // 5))).astype(
            np.float32), (wd, h), interpolation=cv2.INTER_LINEAR)
        skip = float(rng.uniform(0.0, 0.45))
        return canvas * (1 - skip * np.clip((grain - 0.45) * 3, 0, 1))
    if w.pen == "felt":  # soft edges, a little bleed into the paper
        return np.clip(cv2.GaussianBlur(canvas, (0, 0), SS * 0.5) * 1.25, 0, 1)
    return canvas


def photograph(cov: np.ndarray, w: StrokeWriter, rng: np.random.Generator) -> np.ndarray:
    """Ink on paper under a phone's light: paper tone and grain, uneven light (a gradient and
    maybe a soft shadow), blur, sensor noise and JPEG. Grey uint8 out."""
    return photograph_grey(np.clip(255 - cov * (255 - w.ink), 0, 255), rng)


def photograph_grey(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """:func:`photograph` of a clean grey line (white paper, dark ink), e.g. one already cut
    like a register cell: the paper darkened to its tone, the ink with it."""
    h, wd = grey.shape
    paper = float(rng.uniform(185, 250))
    grain = cv2.GaussianBlur(rng.normal(0, 1, (h, wd)).astype(np.float32), (0, 0), 0.8)
    img = np.asarray(grey, np.float32) * (paper / 255.0) + grain * float(rng.uniform(0, 4))
    yy, xx = np.mgrid[0:h, 0:wd].astype(np.float32)
    a = float(rng.uniform(0, 2 * np.pi))
    ramp = (np.cos(a) * xx / max(wd, 1) + np.sin(a) * yy / max(h, 1))
    light = 1 - float(rng.uniform(0, 0.25)) * (ramp - ramp.min()) / max(1e-6, np.ptp(ramp))
    if rng.random() < 0.25:  # the shadow of the phone or a hand
        edge = float(rng.uniform(0.2, 0.8)) * wd
        light *= 1 - float(rng.uniform(0.1, 0.25)) / (1 + np.exp(-(xx - edge) / (0.05 * wd + 1)))
    img = img * light
    if rng.random() < 0.6:
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.3, 0.9)))
    img = img + rng.normal(0, float(rng.uniform(0.5, 5)), img.shape)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.8:
        q = int(rng.integers(35, 92))
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out


def tilt_coverage(cov: np.ndarray, degrees: float) -> np.ndarray:
    """Ink coverage turned ``degrees`` (counter-clockwise) on a canvas grown to hold it: a
    line written across the paper at an angle, cut out by its upright bounding box (the
    paper at its corners comes with it, as when a trainer crops a photographed line)."""
    from preprocessing.geometry import upright_transform

    h, w = cov.shape
    m, size = upright_transform(w, h, -degrees, 0)  # undoing -degrees turns it by degrees
    return cv2.warpAffine(cov.astype(np.float32), m[:2], size, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)


def render_stroke_line(text: str, writer: StrokeWriter, rng: np.random.Generator,
                       photo: bool = True, paper: str = "plain",
                       tilt: float = 0.0, margin: float | None = None) -> np.ndarray:
    """One line of ``text`` in this writer's hand: grey uint8, dark ink on light paper
    (``photo=False``: clean white paper, no light, noise or JPEG). ``paper``: ``"lined"``
    or ``"grid"`` (squared "ô ly") paper under the ink (:mod:`sohoa.synth.ruled`); its own
    random draws come after the line's, so the same seed writes the same line on each.
    ``tilt``: the line written at that angle in degrees (:func:`tilt_coverage`; with plain
    paper only) before it is photographed. ``margin``: the paper left around the ink, in
    x-heights (default: 0.15-0.6, a segmenter's cut; 2-5 is a line cut loosely by hand)."""
    strokes = write_strokes(text, writer, rng)
    drawn = float(rng.uniform(0.15, 0.6))  # drawn either way: the same seed, the same line
    cov = ink_coverage(strokes, writer, rng, margin=drawn if margin is None else margin)
    if tilt:
        if paper != "plain":
            raise ValueError("a tilted line is written on plain paper only")
        cov = tilt_coverage(cov, tilt)
    if paper == "plain":
        if photo:
            return photograph(cov, writer, rng)
        return np.clip(255 - cov * (255 - writer.ink), 0, 255).astype(np.uint8)
    from sohoa.synth.ruled import rule

    grey = np.clip(255 - cov * (255 - writer.ink), 0, 255).astype(np.uint8)
    grey = rule(grey, cov, paper, np.random.default_rng(rng.integers(2**63)))
    return photograph_grey(grey, rng) if photo else grey
