"""Degradations applied to a rendered handwriting line (``sohoa.synth.render_handwriting`` already
slants, wobbles and thickens the strokes) so that training crops look like cells cut from a
scanned register: cell margins, cut-off ascenders/descenders, ruling-line remnants, neighbouring
ink, official stamps over the writing, paper tone, blur and noise.

Input and output are grey uint8 images, dark ink on light paper.
"""

from __future__ import annotations

import cv2
import numpy as np

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
