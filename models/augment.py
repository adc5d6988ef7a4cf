"""Degradations applied to a rendered handwriting line (``sohoa.synth.render_handwriting`` already
slants, wobbles and thickens the strokes) so that training crops look like cells cut from a
scanned register: cell margins, cut-off ascenders/descenders, ruling-line remnants, neighbouring
ink, official stamps over the writing, paper tone, blur and noise.

Input and output are grey uint8 images, dark ink on light paper.
"""

from __future__ import annotations

import cv2
import numpy as np

from models.preprocess import move_columns

# how often degrade() applies each step; the one table it reads, and what a training run's
# data.json records (a resumed run with other degradations records a new leg)
P = {"cut ascenders": 0.12, "cut descenders": 0.12, "ruling": 0.35, "neighbour ink": 0.15,
     "stamp": 0.1, "paper tone": 0.3, "blur": 0.5}


def _tight_rows(img: np.ndarray) -> tuple[int, int]:
    rows = np.where(img.min(axis=1) < 160)[0]
    if rows.size == 0:
        return 0, img.shape[0]
    return int(rows[0]), int(rows[-1]) + 1


def _frame(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Crop around the ink with cell-like margins, maybe clipping ascenders/descenders."""
    top, bot = _tight_rows(img)
    ink_h = max(8, bot - top)
    if rng.random() < P["cut ascenders"]:
        top += int(ink_h * rng.uniform(0.03, 0.12))
    if rng.random() < P["cut descenders"]:
        bot -= int(ink_h * rng.uniform(0.03, 0.12))
    pad_t = int(ink_h * rng.uniform(0.02, 0.35))
    pad_b = int(ink_h * rng.uniform(0.02, 0.35))
    pad_x = int(ink_h * rng.uniform(0.0, 0.5))
    h, w = img.shape
    canvas = np.full((bot - top + pad_t + pad_b, w + 2 * pad_x), 255, np.uint8)
    canvas[pad_t: pad_t + bot - top, pad_x: pad_x + w] = img[top:bot]
    return canvas


def _ruling(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape
    tone = int(rng.integers(60, 170))
    thick = int(rng.integers(1, 3))
    if rng.random() < 0.5:  # a horizontal rule (cell border or dotted writing line)
        y = int(rng.choice([rng.integers(0, max(1, h // 6)), rng.integers(h - max(1, h // 5), h)]))
        if rng.random() < 0.3:
            for x in range(0, w, int(rng.integers(4, 9))):
                cv2.line(img, (x, y), (x + 2, y), tone, thick)
        else:
            cv2.line(img, (0, y), (w, y + int(rng.integers(-2, 3))), tone, thick)
    if rng.random() < 0.4:  # a vertical cell border at one edge
        x = int(rng.integers(0, 4)) if rng.random() < 0.5 else w - 1 - int(rng.integers(0, 4))
        cv2.line(img, (x, 0), (x + int(rng.integers(-2, 3)), h), tone, thick)
    return img


def _neighbour_ink(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Tails of the line above or below reaching into the crop."""
    h, w = img.shape
    for _ in range(int(rng.integers(1, 4))):
        x = int(rng.integers(0, w))
        y = 0 if rng.random() < 0.5 else h - 1
        y2 = int(y + (1 if y == 0 else -1) * rng.uniform(0.05, 0.2) * h)
        cv2.line(img, (x, y), (x + int(rng.integers(-6, 7)), y2), int(rng.integers(0, 90)), 2)
    return img


DEGRADATIONS = (
    f"cell margins, cut ascenders/descenders {P['cut ascenders']:g}+{P['cut descenders']:g}",
    *(f"{k} {P[k]:g}" for k in ("ruling", "neighbour ink", "stamp", "paper tone", "blur")),
    "noise")

_STAMP_LETTERS = "UBNDXAHCTPQKSGM"


def _stamp(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Part of a round seal over the writing: one or two rings (a red or violet stamp scanned in
    grey is a mid tone), maybe capitals set along the ring and a star in the middle. The seal is
    much larger than the line, so a crop shows arcs and pieces of its lettering."""
    h, w = img.shape
    r = int(h * rng.uniform(1.5, 4.5))
    cx = int(rng.integers(-r // 2, w + r // 2))
    cy = int(rng.choice([-1, 1]) * rng.uniform(0.3, 1.0) * r + h // 2)
    tone = int(rng.integers(90, 200))
    thick = int(rng.integers(1, 4))
    layer = np.full_like(img, 255)
    cv2.circle(layer, (cx, cy), r, tone, thick, cv2.LINE_AA)
    if rng.random() < 0.6:
        cv2.circle(layer, (cx, cy), int(r * rng.uniform(0.72, 0.85)), tone, max(1, thick - 1),
                   cv2.LINE_AA)
    if rng.random() < 0.6:  # lettering between the rings
        scale = r / 110.0
        ring = r * 0.86
        start = rng.uniform(0, 2 * np.pi)
        for i in range(int(rng.integers(6, 16))):
            a = start + i * rng.uniform(0.16, 0.24)
            x, y = int(cx + ring * np.cos(a)), int(cy + ring * np.sin(a))
            ch = _STAMP_LETTERS[int(rng.integers(0, len(_STAMP_LETTERS)))]
            cv2.putText(layer, ch, (x, y), cv2.FONT_HERSHEY_SIMPLEX, max(0.3, scale), tone,
                        max(1, thick - 1), cv2.LINE_AA)
    if rng.random() < 0.3:  # the star in the middle
        pts = [(cx + int(r * 0.25 * (1 if k % 2 == 0 else 0.4) * np.cos(k * np.pi / 5 - np.pi / 2)),
                cy + int(r * 0.25 * (1 if k % 2 == 0 else 0.4) * np.sin(k * np.pi / 5 - np.pi / 2)))
               for k in range(10)]
        cv2.fillPoly(layer, [np.array(pts, np.int32)], tone)
    return np.minimum(img, layer)


def degrade(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random register-like version of a clean rendered line (grey uint8 in and out)."""
    img = _frame(img, rng)
    if rng.random() < P["ruling"]:
        img = _ruling(img, rng)
    if rng.random() < P["neighbour ink"]:
        img = _neighbour_ink(img, rng)
    if rng.random() < P["stamp"]:
        img = _stamp(img, rng)
    f: np.ndarray = img.astype(np.float32) / 255.0
    f = f * rng.uniform(0.75, 1.03)
    if rng.random() < P["paper tone"]:  # uneven paper tone
        h, w = f.shape
        shade = cv2.resize(rng.uniform(0.85, 1.0, (2, 3)).astype(np.float32), (w, h))
        f = f * shade
    if rng.random() < P["blur"]:
        s = rng.uniform(0.3, 1.2)
        f = cv2.GaussianBlur(f, (0, 0), s)
    f = np.asarray(f + rng.normal(0, rng.uniform(0, 0.07), f.shape), dtype=np.float32)
    return np.clip(f * 255.0, 0, 255).astype(np.uint8)


# how often distort() applies each step (recorded in data.json like P)
P_DISTORT = {"elastic": 0.5, "baseline warp": 0.4, "stroke width": 0.4, "shear": 0.3,
             "blur": 0.3, "faded ink": 0.2, "jpeg": 0.5}


def _remap(img: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    h, w = img.shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _smooth_field(rng: np.random.Generator, h: int, w: int, cell: float) -> np.ndarray:
    """A smooth random field in [-1, 1] with features about ``cell`` pixels apart."""
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    coarse = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)


def distort(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shape and ink changes that neither fonts nor the cell degradations make, for the
    general case of hands never seen (grey uint8 in and out, dark ink on light paper):
    elastic distortion of the letters, a baseline that wanders along the line, thinner or
    thicker strokes (erosion/dilation), a small shear, blur, faded ink and JPEG."""
    h, w = img.shape
    if h < 8 or w < 8:
        return img
    if rng.random() < P_DISTORT["elastic"]:  # letters bent out of shape, line by line
        a = h * rng.uniform(0.02, 0.06)
        cell = h * rng.uniform(0.35, 0.8)
        img = _remap(img, a * _smooth_field(rng, h, w, cell), a * _smooth_field(rng, h, w, cell))
    if rng.random() < P_DISTORT["baseline warp"]:  # the words drift up and down
        n = max(2, int(w / (h * rng.uniform(1.0, 3.0))) + 2)
        curve = cv2.resize(rng.uniform(-1, 1, (1, n)).astype(np.float32), (w, 1),
                           interpolation=cv2.INTER_CUBIC)
        dy = np.repeat(curve, h, axis=0) * h * rng.uniform(0.03, 0.1)
        img = _remap(img, np.zeros_like(dy), dy)
    if rng.random() < P_DISTORT["shear"]:
        s = rng.uniform(-0.25, 0.25)
        m = np.float32([[1, s, -s * h / 2], [0, 1, 0]])
        img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < P_DISTORT["stroke width"]:  # another pen: thicker (erode) or thinner
        k = 2 if h < 48 or rng.random() < 0.7 else 3
        kernel = np.ones((k, k), np.uint8)
        img = cv2.erode(img, kernel) if rng.random() < 0.5 else cv2.dilate(img, kernel)
    if rng.random() < P_DISTORT["faded ink"]:  # pale ink: pull the dark end towards the paper
        lo = rng.uniform(40, 140)
        img = (lo + img.astype(np.float32) * (255 - lo) / 255).astype(np.uint8)
    if rng.random() < P_DISTORT["blur"]:
        if rng.random() < 0.5:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.3))
        else:  # a little camera shake
            k = int(rng.integers(3, 6))
            kern = np.zeros((k, k), np.float32)
            kern[k // 2, :] = 1.0 / k
            rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1)
            kern = cv2.warpAffine(kern, rot, (k, k))
            img = cv2.filter2D(img, -1, kern / max(kern.sum(), 1e-6))
    if rng.random() < P_DISTORT["jpeg"]:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        if ok:
            img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return img


DISTORTIONS = tuple(f"{k} {v:g}" for k, v in P_DISTORT.items())


# how often capture() applies each step (recorded in data.json like P)
P_CAPTURE = {"bitonal": 0.35, "specks": 0.3, "low resolution": 0.3, "ink weight": 0.3,
             "low contrast": 0.2}


def _bitonal(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A black-and-white scan: Otsu's threshold, a fixed one, or a local (adaptive) one."""
    r = rng.random()
    otsu = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    if r < 0.4:
        return otsu
    if r < 0.7:  # a fixed threshold; one that loses most of the ink falls back to Otsu's
        fixed = np.where(img > float(np.median(img)) * rng.uniform(0.45, 0.85), 255, 0)
        keep = np.count_nonzero(fixed == 0) >= 0.4 * np.count_nonzero(otsu == 0)
        return fixed.astype(np.uint8) if keep else otsu
    block = 2 * int(img.shape[0] * rng.uniform(0.3, 1.0)) + 3
    return cv2.adaptiveThreshold(img, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY,
                                 block, float(rng.uniform(5, 20)))


def _specks(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dust and sensor specks: lone dark dots on the paper (some two pixels wide) and, less
    often, pale dots in the ink."""
    h, w = img.shape
    out = img.copy()
    dark = rng.random((h, w)) < rng.uniform(0.002, 0.015)
    if rng.random() < 0.3:
        dark |= np.roll(dark, 1, axis=int(rng.integers(0, 2)))
    out[dark] = rng.integers(0, 140, int(dark.sum()))
    if rng.random() < 0.3:
        pale = (rng.random((h, w)) < rng.uniform(0.005, 0.03)) & (img < 128)
        out[pale] = rng.integers(150, 256, int(pale.sum()))
    return out


def capture(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """How a line may reach us beyond a grey scan or a good photo (grey uint8 in and out,
    dark ink on light paper): a black-and-white (bitonal) scan, dust specks, a capture at a
    lower resolution scaled back up, a pen or scanner setting that leaves the ink thinner or
    bolder, and weak contrast. Applied after :func:`degrade`/:func:`distort`. A draw that
    leaves under a third of the ink (thinned, then scaled down and thresholded) is not used:
    its label would no longer match what is on the image."""
    h, w = img.shape
    if h < 8 or w < 8:
        return img
    before = _ink_pixels(img)
    out = _capture(img, rng)
    return out if _ink_pixels(out) >= before / 3 else img


def _ink_pixels(img: np.ndarray) -> int:
    """Pixels darker than halfway between the paper (median) and black."""
    return int(np.count_nonzero(img < float(np.median(img)) / 2))


def _capture(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape
    if rng.random() < P_CAPTURE["ink weight"]:
        k = np.ones((2, 2), np.uint8)
        img = cv2.dilate(img, k) if rng.random() < 0.6 else cv2.erode(img, k)
    if rng.random() < P_CAPTURE["low resolution"]:
        s = rng.uniform(0.35, 0.75)
        small = cv2.resize(img, (max(4, round(w * s)), max(4, round(h * s))),
                           interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < P_CAPTURE["low contrast"]:
        k = rng.uniform(0.3, 0.6)
        img = (255 - (255 - img.astype(np.float32)) * k).astype(np.uint8)
    if rng.random() < P_CAPTURE["bitonal"]:
        img = _bitonal(img, rng)
    if rng.random() < P_CAPTURE["specks"]:
        img = _specks(img, rng)
    return img


CAPTURES = tuple(f"{k} {v:g}" for k, v in P_CAPTURE.items())


# the shapes curve() draws a whole line along, and the range of its peak-to-peak height
CURVES = ("arc", "drift", "wave")
CURVE_RANGE = (0.05, 0.5)  # x the image's height


def curve_shape(kind: str, w: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth curve over ``w`` columns, peak-to-peak 1: an ``arc`` (a parabola bowing up or
    down), a ``drift`` (t^p, p 1-2: the line running up or down the page) or a ``wave`` (a
    cubic through 3-5 random knots)."""
    t = np.linspace(0.0, 1.0, w, dtype=np.float32)
    if kind == "arc":
        c = 4.0 * t * (1.0 - t)
    elif kind == "drift":
        c = t ** float(rng.uniform(1.0, 2.0))
        c = c if rng.random() < 0.5 else c[::-1]
    elif kind == "wave":
        knots = rng.uniform(-1.0, 1.0, (1, int(rng.integers(3, 6)))).astype(np.float32)
        c = cv2.resize(knots, (w, 1), interpolation=cv2.INTER_CUBIC)[0]
    else:
        raise ValueError(f"unknown curve {kind!r}: one of {', '.join(CURVES)}")
    span = float(c.max() - c.min())
    c = (c - c.min()) / span if span > 1e-6 else np.zeros_like(c)
    return c if rng.random() < 0.5 else -c


def _paper_rows(img: np.ndarray, pad: int, top: bool, rng: np.random.Generator) -> np.ndarray:
    """``pad`` rows of paper continuing the image's top (or bottom) edge: each column's
    lightest tone among the edge rows (ink and rules are darker), smoothed along the line,
    with the grain of the image's own paper."""
    k = max(2, img.shape[0] // 6)
    edge = (img[:k] if top else img[-k:]).max(axis=0).astype(np.float32)[None, :]
    edge = cv2.blur(edge, (31, 1), borderType=cv2.BORDER_REPLICATE)
    light = img[img >= np.median(img)].astype(np.float32)
    grain = float(min(8.0, light.std())) if light.size else 0.0
    rows = np.repeat(edge, pad, axis=0) + rng.normal(0.0, grain, (pad, img.shape[1]))
    return np.clip(rows, 0, 255).astype(np.uint8)


def curve(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The whole line written along a smooth curve instead of a straight baseline (on unlined
    paper, a hand drifts up or down and bows; a photographed notebook page bends): each
    column moved up or down by a curve of :func:`curve_shape`, peak-to-peak ``CURVE_RANGE`` x
    the image's height, with paper continuing the edges added above and below so no ink is
    cut and no edge of the original crop shows."""
    h, w = img.shape[:2]
    if h < 8 or w < 8:
        return img
    amp = float(rng.uniform(*CURVE_RANGE)) * h
    shift = amp * curve_shape(CURVES[int(rng.integers(len(CURVES)))], w, rng)
    shift -= (shift.max() + shift.min()) / 2.0  # centred: at most amp / 2 either way
    pad = int(np.ceil(amp / 2.0)) + 1
    big = np.vstack([_paper_rows(img, pad, True, rng), img, _paper_rows(img, pad, False, rng)])
    return move_columns(big, (-shift).astype(np.float32))  # the writing moved down by shift


# shake(): the length of the smear, x the image's height (at least 2 px), and how often the
# smear ends in a second, fainter exposure instead of being even along its path
SHAKE_RANGE = (0.04, 0.2)
SHAKE_GHOST = 0.3


def shake_kernel(length: float, angle: float, ghost: float = 0.0) -> np.ndarray:
    """A motion-blur kernel: a straight smear of ``length`` px at ``angle`` degrees (0 = along
    the line), summing to 1. With ``ghost`` > 0 the two ends are exposures of their own
    (a hand-held camera stopping twice) and the far one weighs ``ghost`` of the near one,
    the path between them faint."""
    n = max(2, int(np.ceil(length)))
    k = n + 1 if n % 2 == 0 else n
    kern = np.zeros((k, k), np.float32)
    c = k // 2
    t = np.linspace(-length / 2.0, length / 2.0, 4 * k)
    a = np.deg2rad(angle)
    xs, ys = np.rint(c + t * np.cos(a)).astype(int), np.rint(c - t * np.sin(a)).astype(int)
    w = np.ones_like(t, dtype=np.float32)
    if ghost > 0:
        w[:] = 0.1
        w[: len(t) // 8] = 1.0
        w[-(len(t) // 8):] = ghost
    np.add.at(kern, (np.clip(ys, 0, k - 1), np.clip(xs, 0, k - 1)), w)
    return np.asarray(kern / kern.sum(), np.float32)


def shake(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The line as a hand-held photo taken with the camera moving (grey uint8 in and out): a
    smear of ``SHAKE_RANGE`` x the image's height in one direction (within 30 degrees of the
    line half the time, any direction otherwise), a ``SHAKE_GHOST`` share of them a double
    exposure, and a little sensor noise. The ink stays about where it was (the smear is centred
    on it), so the label still fits."""
    h, w = img.shape[:2]
    if h < 8 or w < 8:
        return img
    length = max(2.0, float(rng.uniform(*SHAKE_RANGE)) * h)
    angle = float(rng.uniform(-30, 30) if rng.random() < 0.5 else rng.uniform(0, 180))
    ghost = float(rng.uniform(0.3, 0.9)) if rng.random() < SHAKE_GHOST else 0.0
    out = cv2.filter2D(img.astype(np.float32), -1, shake_kernel(length, angle, ghost),
                       borderType=cv2.BORDER_REPLICATE)
    out += np.asarray(rng.normal(0.0, rng.uniform(0.0, 4.0), out.shape), np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
