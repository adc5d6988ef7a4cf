"""CTC decoding: greedy with per-character confidences, and a prefix beam search that yields
n-best alternatives and can take a lexicon or a character language model.

Inputs are numpy log-probabilities of one line, shape (T, C), class 0 = blank.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from models.charset import Charset

# scores a candidate next character given the text so far: log-probability bonus/penalty
CharLM = Callable[[str, str], float]


@dataclass(frozen=True)
class Decoded:
    text: str
    confidence: float  # in [0, 1]
    char_confidences: tuple[float, ...]


def greedy(logp: np.ndarray, charset: Charset) -> Decoded:
    """Best path; a character's confidence is the highest frame probability in its run."""
    best = logp.argmax(axis=1)
    probs = np.exp(logp.max(axis=1))
    chars: list[int] = []
    confs: list[float] = []
    prev = 0
    for t, k in enumerate(best):
        k = int(k)
        if k != 0 and k != prev:
            chars.append(k)
            confs.append(float(probs[t]))
        elif k != 0 and k == prev:
            confs[-1] = max(confs[-1], float(probs[t]))
        prev = k
    return Decoded(charset.decode(chars), _path_confidence(np.asarray(confs)), tuple(confs))


def _path_confidence(confs: np.ndarray) -> float:
    """A best path's confidence from its characters' (each its run's highest frame
    probability): their geometric mean, capped by the square root of the least sure; 0 for
    no character."""
    if confs.size == 0:
        return 0.0
    conf = float(np.prod(confs.astype(np.float64))) ** (1.0 / confs.size)
    return min(conf, float(confs.min()) ** 0.5)


def greedy_confidence(logp: np.ndarray) -> float:
    """``greedy(logp, charset).confidence`` without the text, in array operations (asked of
    every crop an ensemble's first member reads, ``ocr.htr.ENSEMBLE_BELOW``)."""
    best = logp.argmax(axis=1)
    nz = best != 0
    start = nz & np.concatenate(([True], best[1:] != best[:-1]))
    if not start.any():
        return 0.0
    probs = np.exp(logp.max(axis=1))[nz]
    return _path_confidence(np.maximum.reduceat(probs, np.flatnonzero(start[nz])))


def best_path_text(logp: np.ndarray, charset: Charset) -> str:
    """``greedy(logp, charset).text`` without the confidences: the decoders need only the
    best path's text as a candidate (s9speed)."""
    best = logp.argmax(axis=1)
    prev = np.concatenate(([0], best[:-1])) if len(best) else best
    return charset.decode(best[np.flatnonzero((best != 0) & (best != prev))].tolist())


def _logsumexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def beam_search(
    logp: np.ndarray,
    charset: Charset,
    beam: int = 8,
    nbest: int = 5,
    lm: CharLM | None = None,
    lm_weight: float = 0.5,
    prune: float = -7.0,
) -> list[tuple[str, float]]:
    """CTC prefix beam search -> up to ``nbest`` (text, P(text | image)) pairs, best first.

    The probability sums every alignment of the text that stayed in the beam, so it is a real
    (slightly low) estimate. ``lm(prefix, char)`` returns a log-score added ``lm_weight`` times
    whenever ``char`` extends ``prefix``: it reorders the beam but does not change the reported
    probabilities. A lexicon is an ``lm`` that penalises prefixes no listed word starts.
    Frames whose best class is near-certain are taken as is (fast path).
    """
    T = logp.shape[0]
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}
    lm_score: dict[tuple[int, ...], float] = {(): 0.0}
    texts: dict[tuple[int, ...], str] = {(): ""}
    for t in range(T):
        row = logp[t]
        cand = [int(c) for c in np.nonzero(row > prune)[0]]
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [-math.inf, -math.inf])
        for prefix, (pb, pnb) in beams.items():
            total = _logsumexp(pb, pnb)
            last = prefix[-1] if prefix else -1
            for c in cand:
                p = float(row[c])
                if c == 0:
                    e = nxt[prefix]
                    e[0] = _logsumexp(e[0], total + p)
                    continue
                if c == last:
                    s = nxt[prefix]  # the same character continues
                    s[1] = _logsumexp(s[1], pnb + p)
                    if pb == -math.inf:
                        continue
                new = prefix + (c,)
                if new not in lm_score:
                    bonus = 0.0
                    if lm is not None:  # prefix texts grow a character at a time
                        ch = charset.chars[c - 1]
                        bonus = lm_weight * lm(texts[prefix], ch)
                        texts[new] = texts[prefix] + ch
                    lm_score[new] = lm_score[prefix] + bonus
                e = nxt[new]
                e[1] = _logsumexp(e[1], (pb if c == last else total) + p)
        ranked = sorted(nxt.items(), key=lambda kv: _logsumexp(*kv[1]) + lm_score[kv[0]],
                        reverse=True)[:beam]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    final = sorted(beams.items(), key=lambda kv: _logsumexp(*kv[1]) + lm_score[kv[0]],
                   reverse=True)[:nbest]
    return [(charset.decode(list(k)), float(min(1.0, math.exp(_logsumexp(*v)))))
            for k, v in final]


def lexicon_lm(words: Sequence[str], penalty: float = -4.0) -> CharLM:
    """A character 'LM' from a word list: extending the current word off every listed word's
    path costs ``penalty``; other characters (spaces, digits) are free."""
    prefixes: set[str] = set()
    for w in words:
        for i in range(1, len(w) + 1):
            prefixes.add(w[:i].lower())

    def score(prefix: str, char: str) -> float:
        if char == " ":
            return 0.0
        word = (prefix.rsplit(" ", 1)[-1] + char).lower()
        return 0.0 if word in prefixes else penalty

    return score
