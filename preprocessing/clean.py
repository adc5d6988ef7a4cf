"""Image cleaning: grey conversion, illumination flattening, binarisation, ruling removal.

All functions are pure (array in, array out). The binarised image is for *analysis* only; crops
shown to people or put into PDFs stay grey or colour.
"""

from __future__ import annotations

import cv2
import numpy as np

from preprocessing.quantile import percentile_u8


def to_grey(image: np.ndarray) -> np.ndarray:
    """A grey uint8 copy of an RGB, RGBA or grey image."""
    if image is None or not isinstance(image, np.ndarray) or image.size == 0:
        raise ValueError("image is empty or not a numpy array")
    img = image
    if img.dtype != np.uint8:
        if np.issubdtype(img.dtype, np.floating) and img.max() <= 1.0:
            img = img * 255.0
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return img
    if img.ndim == 3 and img.shape[2] == 1:
        return img[:, :, 0]
    if img.ndim == 3 and img.shape[2] == 3:
        return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_RGBA2GRAY)
    raise ValueError(f"unsupported image shape {image.shape}")


def red_mask(image: np.ndarray) -> np.ndarray | None:
    """Where an RGB uint8 image has red (stamp) ink, dilated over the seal's soft edges; None
    for grey images or when there is none."""
    if image.ndim != 3 or image.shape[2] < 3 or image.dtype != np.uint8:
        return None
    r = image[:, :, 0].astype(np.int16)
    gb = np.maximum(image[:, :, 1], image[:, :, 2]).astype(np.int16)
    red = (((r - gb) > 25) & (r > 100)).astype(np.uint8)
    if not red.any():
        return None
    return cv2.dilate(red, np.ones((3, 3), np.uint8)) > 0


def drop_red(image: np.ndarray) -> np.ndarray:
    """Grey with red stamp ink lightened to its red channel ("colour dropout" of form
    scanning): the seal fades while blue or black pen strokes under it, dark in red too, stay.
    Grey images come back as they are."""
    grey = to_grey(image)
    red = red_mask(image)
    if red is None:
        return grey
    grey = grey.copy()
    grey[red] = np.maximum(grey[red], image[:, :, 0][red])
    return grey


def normalize_background(grey: np.ndarray, scale: int = 0) -> np.ndarray:
    """Divide out the paper's illumination and tint so paper becomes ~white everywhere.

    The background is estimated as a large-window maximum (ink is dark and thin) of a
    downsampled copy, smoothed, then divided out; stains and shadows lighten, ink stays.
    """
    h, w = grey.shape
    if scale <= 0:
        scale = max(1, round(max(h, w) / 400))
    small = cv2.resize(grey, (max(1, w // scale), max(1, h // scale)), interpolation=cv2.INTER_AREA)
    k = max(3, (max(small.shape) // 40) | 1)
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.blur(bg, (k, k))
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    out = grey.astype(np.float32) * (255.0 / np.maximum(bg, 1.0))
    return np.clip(out, 0, 255).astype(np.uint8)


def binarize(grey: np.ndarray, window: int = 0, k: float = 0.2, r: float = 128.0) -> np.ndarray:
    """Sauvola binarisation; returns a uint8 mask with ink = 255.

    Implemented with box filters so a page takes milliseconds. ``window`` defaults to about
    1/60 of the longer side (odd). Pixels far lighter than the page's paper are never ink.
    """
    h, w = grey.shape
    if window <= 0:
        window = max(15, (max(h, w) // 60) | 1)
    g = grey.astype(np.float32)
    mean = cv2.boxFilter(g, -1, (window, window), borderType=cv2.BORDER_REPLICATE)
    sq = cv2.boxFilter(g * g, -1, (window, window), borderType=cv2.BORDER_REPLICATE)
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    thr = mean * (1.0 + k * (std / r - 1.0))
    ink = (g < thr) & (g < 235)
    return ink.astype(np.uint8) * 255


def grow_faint_ink(strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """``strong`` ink grown into the fainter ``weak`` strokes joined to it (hysteresis between
    two binarisations, e.g. Sauvola at k 0.2 and 0.05). A faded pen's thin strokes break into
    specks at the strict threshold; the faint parts connecting them come back, while faint
    marks touching no strong ink (paper grain, stains) stay out."""
    weak = weak | strong
    n, labels = cv2.connectedComponents(weak, connectivity=8)
    keep = np.zeros(n, bool)
    keep[np.unique(labels[strong > 0])] = True
    keep[0] = False
    return keep[labels].astype(np.uint8) * 255


def line_masks(ink: np.ndarray, min_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical ruling masks of a binary ink image.

    A short closing bridges small breaks and a one-pixel wobble (hand-drawn or faded lines)
    before an opening keeps only straight runs of at least ``min_len`` pixels.
    """
    min_len = max(5, int(min_len))
    gap = max(3, min_len // 6)
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, gap))
    thick_h = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3)))
    thick_v = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 1)))
    h = cv2.morphologyEx(thick_h, cv2.MORPH_CLOSE, hk)
    h = cv2.morphologyEx(h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (min_len, 1)))
    v = cv2.morphologyEx(thick_v, cv2.MORPH_CLOSE, vk)
    v = cv2.morphologyEx(v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, min_len)))
    return h, v


def remove_ruling(crop: np.ndarray, min_frac: float = 0.5) -> np.ndarray:
    """Paint ruling lines in a grey field crop with the paper colour.

    A line is a straight dark run covering at least ``min_frac`` of the crop's width, or of
    its height near its left or right edge (the cell's sides); handwriting crossing a line is
    kept where it extends beyond the line's thickness.
    """
    grey = to_grey(crop)
    h, w = grey.shape
    if h < 4 or w < 4:
        return grey.copy()
    ink = binarize(grey, window=max(15, (min(h, w) // 2) | 1))
    hlen = max(8, int(w * min_frac))
    vlen = max(8, int(h * min_frac))
    rect = cv2.MORPH_RECT
    hmask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(rect, (hlen, 1)))
    vmask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(rect, (1, vlen)))
    # a field crop holds one column: its vertical ruling can only be the cell's sides, near
    # the crop's left and right edges; tall pen strokes (1, l, N, T) stand inside
    edge = max(3, min(int(0.15 * w), int(0.12 * h)))
    vmask[:, edge:w - edge] = 0
    mask = cv2.dilate(cv2.bitwise_or(hmask, vmask),
                      cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    if not mask.any():
        return grey.copy()
    paper = int(percentile_u8(grey, 90))  # = np.percentile(grey, 90), from a histogram
    out = grey.copy()
    out[mask > 0] = paper
    # keep strokes that cross the line: restore pixels whose ink continues above and below
    cross = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 7)))
    cross = cv2.bitwise_and(cross, cv2.bitwise_not(
        cv2.morphologyEx(vmask, cv2.MORPH_DILATE, np.ones((1, 3), np.uint8))))
    keep = (cross > 0) & (mask > 0)
    out[keep] = grey[keep]
    return out


def ink_fraction(ink: np.ndarray) -> float:
    """Fraction of ink pixels in a binary mask."""
    return float(np.count_nonzero(ink)) / max(1, ink.size)


def bed_mask(grey: np.ndarray, dark: int = 100) -> np.ndarray:
    """Where the scanner bed (or a dark gutter) shows instead of paper: large dark areas
    touching the image border, grown a little so the page's edge goes with them. Its edge is
    no ruling line, and no ink."""
    h, w = grey.shape
    k = max(5, (max(h, w) // 100) | 1)
    dark_area = cv2.morphologyEx((grey < dark).astype(np.uint8), cv2.MORPH_OPEN,
                                 cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark_area, connectivity=4)
    if n <= 1:
        return np.zeros_like(grey)
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    bw, bh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    border = (x == 0) | (y == 0) | (x + bw >= w) | (y + bh >= h)
    border[0] = False
    mask = border[labels].astype(np.uint8) * 255
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
