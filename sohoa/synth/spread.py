"""Two generated pages as one scan of a book opened flat: the left page, a gutter and the right
page side by side, the gutter's shadow darkening both inner margins (``preprocessing.spread``
finds the gutter again; ``benchmarks/bench_spread.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from sohoa.synth.page import SynthPage


def _shift(box: Any, dx: int) -> Any:
    """A bbox (x0, y0, x1, y1) or a quad [[x, y] x 4] moved ``dx`` to the right."""
    if box and isinstance(box[0], (list, tuple)):
        return [[x + dx, y] for x, y in box]
    x0, y0, x1, y1 = box
    return [x0 + dx, y0, x1 + dx, y1]


def _entry_through(entry: dict[str, Any], move: Any) -> dict[str, Any]:
    """``entry`` with its boxes and its fields' boxes (``bbox``, ``quad``) through ``move``."""
    out = dict(entry)
    for key in ("bbox", "quad"):
        if key in out:
            out[key] = move(out[key])
    out["fields"] = {name: {**f, **{k: move(f[k]) for k in ("bbox", "quad") if k in f}}
                     for name, f in entry.get("fields", {}).items()}
    return out


def make_spread(left: SynthPage, right: SynthPage, seed: int, hard: bool = False) -> SynthPage:
    """``left`` and ``right`` side by side (heights padded with their paper), a gutter 1-4 %
    of a page wide between them and a shadow 3-12 % of a page wide, 25-60 % dark at its
    deepest. ``hard``: the open book captured as a whole (give it pages rendered flat, the
    ``easy`` ones): turned up to 3 degrees on a dark scanner bed, half the time at an angle
    (keystone), uneven light, noise, blur and JPEG. The truth is the left page's with both
    pages' entries, the right page's moved by its offset, and ``spread``: the gutter's x and
    each page's entry count."""
    rng = np.random.default_rng(seed)
    a, b = (np.dstack([im] * 3) if im.ndim == 2 else im  # a grey scan beside a colour one
            for im in (left.image, right.image))
    h = max(a.shape[0], b.shape[0])
    page_w = (a.shape[1] + b.shape[1]) / 2

    def pad(img: np.ndarray) -> np.ndarray:
        paper = np.median(img[-5:].reshape(-1, img.shape[2]), axis=0).astype(np.uint8)
        out = np.empty((h, img.shape[1], img.shape[2]), np.uint8)
        out[: img.shape[0]] = img
        out[img.shape[0]:] = paper
        return out

    gutter = max(4, int(page_w * rng.uniform(0.01, 0.04)))
    paper = np.median(a[:, -5:].reshape(-1, a.shape[2]), axis=0)
    middle = np.broadcast_to(paper.astype(np.uint8), (h, gutter, a.shape[2]))
    image = np.concatenate([pad(a), middle, pad(b)], axis=1).astype(np.float32)
    centre = a.shape[1] + gutter / 2
    x = np.arange(image.shape[1], dtype=np.float32)
    width = page_w * rng.uniform(0.03, 0.12)
    shade = 1.0 - rng.uniform(0.25, 0.6) * np.exp(-(((x - centre) / width) ** 2))
    image = np.clip(image * shade[None, :, None], 0, 255).astype(np.uint8)
    dx = a.shape[1] + gutter
    entries = [*left.truth["entries"], *(_entry_through(e, lambda b: _shift(b, dx))
                                         for e in right.truth["entries"])]
    gx = float(centre)
    if hard:
        mid_y = image.shape[0] / 2
        image, m = _captured(image, rng)
        entries = [_entry_through(e, lambda b: _moved(b, m)) for e in entries]
        gx = float(_moved([[centre, mid_y]] * 4, m)[0][0])  # where it crosses mid-height
    truth = dict(left.truth)
    truth["entries"] = entries
    truth["spread"] = {"gutter": int(round(gx)), "left_entries":
                       len(left.truth["entries"]), "right_entries": len(right.truth["entries"]),
                       "right_offset": dx}
    return SynthPage(image, truth)


def _captured(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The spread on a scanner bed, turned, lit unevenly and noisy, and half the time
    photographed at an angle (each corner moved up to 4 % of the size); the 3x3 homography
    used."""
    import cv2

    from sohoa.synth.degrade import noise_blur_jpeg, uneven_light

    h, w = image.shape[:2]
    margin = int(0.05 * w)
    angle = float(rng.uniform(-3.0, 3.0))
    m = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), [0.0, 0.0, 1.0]])
    m[:2, 2] += margin
    if rng.random() < 0.5:  # a phone photo: keystone
        size = np.array([w + 2 * margin, h + 2 * margin], np.float32)
        src = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32) * size
        dst = src + rng.uniform(-0.04, 0.04, (4, 2)).astype(np.float32) * size
        m = cv2.getPerspectiveTransform(src, dst) @ m
    bed = tuple(int(v) for v in rng.integers(20, 60, 3))
    out = cv2.warpPerspective(image, m, (w + 2 * margin, h + 2 * margin),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=bed)
    out = uneven_light(out, rng, float(rng.uniform(0.3, 0.8)))
    return noise_blur_jpeg(out, rng, hard=True), m


def _moved(box: Any, m: np.ndarray) -> Any:
    """A quad's points, or a bbox's corners (then their bounding box), through the 3x3 ``m``."""
    quad = box and isinstance(box[0], (list, tuple))
    pts = np.array(box if quad else [[box[0], box[1]], [box[2], box[1]], [box[2], box[3]],
                                     [box[0], box[3]]], np.float64)
    hom = np.c_[pts, np.ones(len(pts))] @ m.T
    moved = hom[:, :2] / hom[:, 2:]
    if quad:
        return moved.round(1).tolist()
    return [float(moved[:, 0].min()), float(moved[:, 1].min()), float(moved[:, 0].max()),
            float(moved[:, 1].max())]
