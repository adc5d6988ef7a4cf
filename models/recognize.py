"""Batched inference of a CRNN on grey crops: sorted by width, padded, greedy or beam."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from models.charset import Charset
from models.crnn import output_lengths
from models.ctc_decode import Decoded, greedy
from models.preprocess import batch_tensor, prepare


def log_probs(model: Any, height: int, images: Sequence[np.ndarray], device: str = "cpu",
              batch_size: int = 64) -> list[np.ndarray]:
    """Per-crop (T, C) log-probabilities, in the input order."""
    import torch

    arrays = [prepare(im, height) for im in images]
    order = sorted(range(len(arrays)), key=lambda i: arrays[i].shape[1])
    out: list[np.ndarray | None] = [None] * len(arrays)
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s: s + batch_size]
            x, widths = batch_tensor([arrays[i] for i in idx])
            lp = model(torch.from_numpy(x).to(device)).float().cpu().numpy()
            lens = output_lengths(widths)
            for j, i in enumerate(idx):
                out[i] = lp[: max(1, min(int(lens[j]), lp.shape[0])), j]
    return [o for o in out if o is not None]


def recognize_arrays(model: Any, charset: Charset, height: int, images: Sequence[np.ndarray],
                     device: str = "cpu", batch_size: int = 64) -> list[Decoded]:
    """Greedy readings of grey crops."""
    if not images:
        return []
    return [greedy(lp, charset) for lp in log_probs(model, height, images, device, batch_size)]
