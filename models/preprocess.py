"""Turn a grey field crop into the network's input: fixed height, ink bright on black, [0, 1].

Training and inference call the same function so the model never sees a different scaling.
"""

from __future__ import annotations

import numpy as np

MAX_WIDTH_FACTOR = 28  # widest input is height * this (a long place name)
DESLANT = True  # strongly slanted lines are sheared upright (models/deslant.py)


def to_grey(image: np.ndarray) -> np.ndarray:
    """A 2-D uint8 image from grey, RGB or RGBA input."""
    img = np.asarray(image)
    if img.ndim == 3:
        import cv2

        code = cv2.COLOR_RGBA2GRAY if img.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        img = cv2.cvtColor(img[..., :4] if img.shape[2] >= 3 else img[..., 0], code)
    if img.ndim != 2:
        raise ValueError(f"expected a grey or RGB image, got shape {img.shape}")
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return img


def prepare(image: np.ndarray, height: int, deslant: bool | None = None) -> np.ndarray:
    """Grey crop (dark ink on light paper) -> float32 (height, W) with ink ~1 and paper 0;
    a strongly slanted hand is sheared to lean as the network reads best (``deslant``,
    default ``DESLANT``; a few pixels wider then)."""
    import cv2

    from preprocessing.quantile import percentiles_u8

    img = to_grey(image)
    h, w = img.shape
    if h < 2 or w < 2:
        return np.zeros((height, height // 2), np.float32)
    new_w = int(round(w * height / h))
    new_w = max(height // 2, min(new_w, height * MAX_WIDTH_FACTOR))
    interp = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    small = cv2.resize(img, (new_w, height), interpolation=interp)
    img = small.astype(np.float32)
    # = np.percentile(img, 90) and (img, 1), read from one histogram
    paper, ink = percentiles_u8(small, (90, 1), np.float32)
    span = max(paper - ink, 40.0)
    out = np.clip((paper - img) / span, 0.0, 1.0)
    if DESLANT if deslant is None else deslant:
        from models.deslant import deslant as _deslant

        out = _deslant(out)
    return out


def padded_width(width: int) -> int:
    """Batch width for a widest crop: a few widths only, since every new input shape costs
    the CPU kernels a cached plan (memory grew ~0.3 MB per new shape without bucketing)."""
    return width + (-width) % 64


def batch_tensor(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pad prepared crops on the right to one width: (N, 1, H, Wmax) and their widths."""
    height = arrays[0].shape[0]
    widths = np.array([a.shape[1] for a in arrays], dtype=np.int64)
    wmax = padded_width(int(widths.max()))
    out = np.zeros((len(arrays), 1, height, wmax), np.float32)
    for i, a in enumerate(arrays):
        out[i, 0, :, : a.shape[1]] = a
    return out, widths
