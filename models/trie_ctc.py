"""Exact CTC probabilities of every text of a fixed list at once, prefixes shared.

A closed list (ethnic groups, nationalities, relations: hundreds of written forms) is scored
whole by one CTC forward pass over the trie of its texts: each trie node is a prefix, with the
usual two CTC states (its last character being emitted, or a blank after it); a step in time
updates every node together from its parent. The cost is the trie's nodes times the frames,
not the texts' total length times the frames, so 1,312 forms of ethnic groups cost a few
milliseconds (torch's CTC over them as a batch: 25-50 ms). Each text's log P(text | image)
equals ``models.fast_decode.ctc_log_probs``' (every alignment summed); -inf for a text with a
character the model cannot write or that does not fit in the frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.charset import Charset


class TrieCTC:
    """The trie of ``texts`` spelt in ``charset`` (class ids; 0 is the blank)."""

    def __init__(self, texts: Sequence[str], charset: Charset) -> None:
        index = {c: i + 1 for i, c in enumerate(charset.chars)}
        self.texts = tuple(texts)
        children: dict[tuple[int, int], int] = {}  # (parent node, class) -> node
        parent, label = [0], [0]  # node 0: the empty prefix
        ends = np.full(len(self.texts), -1, dtype=np.int64)
        for i, text in enumerate(self.texts):
            if not text or not set(text) <= index.keys():
                continue  # cannot be written: -inf
            node = 0
            for c in text:
                key = (node, index[c])
                if key not in children:
                    children[key] = len(parent)
                    parent.append(node)
                    label.append(index[c])
                node = children[key]
            ends[i] = node
        self.parent = np.asarray(parent, dtype=np.int64)
        self.label = np.asarray(label, dtype=np.int64)
        self.ends = ends
        # a node whose character repeats its parent's needs a blank between the two
        self.repeat = np.zeros(len(parent), dtype=bool)
        self.repeat[1:] = self.label[1:] == self.label[self.parent[1:]]
        self.repeat[1:] |= self.parent[1:] == 0  # from the root only its blank state leads on

    def log_probs(self, logp: np.ndarray) -> np.ndarray:
        """log P(text | image) of every text, from a crop's (T, C) log-probabilities.

        The forward pass runs on probabilities rescaled every frame (the scales' logs summed
        back at the end): sums and products instead of log-additions, several times faster.
        A text more than ~700 nats below the frame's likeliest prefix underflows to -inf."""
        lp = np.asarray(logp, dtype=np.float64)
        n = len(self.parent)
        out = np.full(len(self.texts), -np.inf)
        if lp.shape[0] == 0 or n == 1:
            return out
        shift = lp.max(axis=1, keepdims=True)  # per frame, so exp cannot underflow everywhere
        prob = np.exp(lp - shift)
        emit = prob[:, self.label[1:]]  # (T, nodes - 1): each node's character at each frame
        blank = prob[:, 0]
        par = self.parent[1:]
        keep = ~self.repeat[1:]  # the parent's own character may lead straight on
        lab = np.zeros(n)  # ends in the node's character
        blk = np.zeros(n)  # ends in a blank after the node's prefix
        blk[0] = blank[0]
        lab[1:] = np.where(par == 0, emit[0], 0.0)
        log_scale = float(shift[0, 0])
        for t in range(1, lp.shape[0]):
            from_par = blk[par] + np.where(keep, lab[par], 0.0)
            new_lab = np.zeros(n)
            new_lab[1:] = (lab[1:] + from_par) * emit[t]
            blk = (blk + lab) * blank[t]
            lab = new_lab
            top = max(float(lab.max()), float(blk.max()))
            if top <= 0.0:
                return out
            lab /= top
            blk /= top
            log_scale += float(shift[t, 0]) + float(np.log(top))
        ok = self.ends >= 0
        e = self.ends[ok]
        with np.errstate(divide="ignore"):
            out[ok] = np.log(lab[e] + blk[e]) + log_scale
        return out
