"""Recipe pieces of per-book fine-tuning (:func:`models.finetune.train_candidate`) for few
confirmed crops: lines joined into new lines (new neighbours for every word the writer wrote)
and L2-SP, a pull of the weights toward the model the run started from (Li et al., 2018,
"Explicit inductive bias for transfer learning with convolutional networks")."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from models.data import Sample
from models.train import CRNNArch

# L2-SP weight by the number of confirmed crops: (crops, weight) anchors, interpolated
# log-log between them and flat beyond the ends. Measured on tuning writers (docs/htr.md,
# 4 Dec): a stronger pull with few crops (0.03 at 30) was worse than 0.01, and a weaker one
# with many (0.003 at 100 and 300) no better, so one weight for all until a measurement
# says otherwise; the table is where a crop-dependent weight goes
L2SP_BY_CROPS: tuple[tuple[int, float], ...] = ((100, 0.01),)


def l2sp_for(crops: int, table: tuple[tuple[int, float], ...] = L2SP_BY_CROPS) -> float:
    """The pull toward the start weights for a book of ``crops`` confirmed crops: strong
    when few crops could drag the network anywhere, weak when many say where to go."""
    if crops <= table[0][0]:
        return table[0][1]
    for (n0, a0), (n1, a1) in zip(table, table[1:], strict=False):
        if crops <= n1:
            t = math.log(crops / n0) / math.log(n1 / n0)
            return round(math.exp(math.log(a0) + t * (math.log(a1) - math.log(a0))), 6)
    return table[-1][1]


def _to_height(img: np.ndarray, h: int) -> np.ndarray:
    import cv2

    if img.shape[0] == h:
        return img
    w = max(1, round(img.shape[1] * h / img.shape[0]))
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


def joined(a: Sample, b: Sample, rng: np.random.Generator, max_chars: int = 40) -> Sample:
    """``a`` and ``b`` written one after the other on one line (scaled to one height, a
    word-sized gap of paper between); ``a`` alone if the two would be too long a line."""
    if len(a.text) + 1 + len(b.text) > max_chars:
        return a
    h = max(a.image.shape[0], b.image.shape[0])
    left, right = _to_height(a.image, h), _to_height(b.image, h)
    paper = int(np.median(np.concatenate([left[:, :2].ravel(), right[:, -2:].ravel()])))
    gap = np.full((h, int(h * rng.uniform(0.25, 0.6))), paper, np.uint8)
    return Sample(a.kind, f"{a.text} {b.text}", np.hstack([left, gap, right]))


class L2SPArch(CRNNArch):
    """The CRNN trained with ``alpha / 2 * sum((w - w0)^2)`` added to its CTC loss, ``w0``
    the weights it started from: few crops move the network only as far as they must."""

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self.alpha = alpha
        self.anchor: list[tuple[Any, Any]] = []

    def build(self, opts: Any, charset: Any) -> tuple[Any, dict[str, Any]]:
        model, described = super().build(opts, charset)
        self.anchor = [(p, p.detach().clone()) for p in model.parameters()]
        return model, described

    def loss(self, model: Any, b: dict[str, Any], device: str, amp: Any) -> tuple[Any, int]:
        loss, n = super().loss(model, b, device, amp)
        pull = sum(((p - p0.to(p.device)) ** 2).sum() for p, p0 in self.anchor)
        return loss + 0.5 * self.alpha * pull, n
