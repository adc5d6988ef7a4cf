"""Log-probability matrices written by hand for the CTC decoding tests: frames of class
probabilities, and a clear writing of a text with some positions left in doubt."""

from __future__ import annotations

import numpy as np

from models.charset import Charset


def frames_logp(cs: Charset, frames: list[dict[str, float]]) -> np.ndarray:
    """Frames of {char or '' (blank): prob}; the rest of the mass spread over other classes."""
    m = np.full((len(frames), cs.num_classes), 1e-6)
    for t, f in enumerate(frames):
        for ch, p in f.items():
            m[t, 0 if ch == "" else cs.encode(ch)[0]] = p
    m /= m.sum(axis=1, keepdims=True)
    return np.log(m)


def spelt(cs: Charset, text: str, doubt: dict[int, dict[str, float]] | None = None
          ) -> np.ndarray:
    """Log-probabilities of a clear writing of ``text`` (each character then a blank, 0.97
    each); the characters at the positions of ``doubt`` get those class probabilities
    instead."""
    frames: list[dict[str, float]] = []
    for i, ch in enumerate(text):
        frames += [(doubt or {}).get(i, {ch: 0.97}), {"": 0.97}]
    return frames_logp(cs, frames)
