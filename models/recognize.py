"""Batched inference of a CRNN on grey crops: sorted by width, padded, greedy or beam."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from models.charset import Charset
from models.crnn import model_stride, output_lengths
from models.ctc_decode import Decoded, greedy
from models.preprocess import batch_tensor, padded_width, prepare

# the most input pixels one forward pass may take (batch x height x padded width): the
# activations scale with it, so a page of very wide crops (long place names, a cell cut with
# a stray line) costs no more memory than a page of short ones; 32 crops 256 px wide at h=32
MAX_BATCH_PIXELS = 32 * 32 * 256


def width_batches(widths: Sequence[int], height: int, batch_size: int,
                  max_pixels: int = MAX_BATCH_PIXELS) -> list[list[int]]:
    """Indices grouped into batches, narrowest first: at most ``batch_size`` crops and at
    most ``max_pixels`` padded input pixels per batch (a crop wider than that goes alone)."""
    order = sorted(range(len(widths)), key=lambda i: widths[i])
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        wide = padded_width(widths[i])  # the widest so far: sorted ascending
        if cur and (len(cur) >= batch_size or (len(cur) + 1) * height * wide > max_pixels):
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    return batches


def log_probs(model: Any, height: int, images: Sequence[np.ndarray], device: str = "cpu",
              batch_size: int = 64, whole_line: bool | None = None) -> list[np.ndarray]:
    """Per-crop (T, C) log-probabilities, in the input order (``whole_line``: whole line
    images, see ``models.preprocess.prepare``)."""
    arrays = [prepare(im, height, whole_line=whole_line) for im in images]
    return prepared_log_probs(model, height, arrays, device, batch_size)


def prepared_log_probs(model: Any, height: int, arrays: Sequence[np.ndarray],
                       device: str = "cpu", batch_size: int = 64) -> list[np.ndarray]:
    """:func:`log_probs` of crops already through ``models.preprocess.prepare`` (several
    networks reading the same crops prepare them once)."""
    import torch

    out: list[np.ndarray | None] = [None] * len(arrays)
    with torch.inference_mode():
        for idx in width_batches([a.shape[1] for a in arrays], height, batch_size):
            x, widths = batch_tensor([arrays[i] for i in idx])
            lp = model(torch.from_numpy(x).to(device)).float().cpu().numpy()
            lens = output_lengths(widths, model_stride(model))
            for j, i in enumerate(idx):
                out[i] = lp[: max(1, min(int(lens[j]), lp.shape[0])), j]
    return [o for o in out if o is not None]


def recognize_arrays(model: Any, charset: Charset, height: int, images: Sequence[np.ndarray],
                     device: str = "cpu", batch_size: int = 64) -> list[Decoded]:
    """Greedy readings of grey crops."""
    if not images:
        return []
    return [greedy(lp, charset) for lp in log_probs(model, height, images, device, batch_size)]
