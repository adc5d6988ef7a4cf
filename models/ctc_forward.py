"""Exact CTC forward pass, compiled (numba): log P(text | image) of many texts at once.

The sum over every alignment of each text, as ``torch.nn.functional.ctc_loss`` computes it,
but in probabilities instead of logs: each frame's states are rescaled by their largest value
and the scales' logs summed back, so a state's update is two additions and a product instead
of log-additions, and only the states that can still reach the text's end (and that the
frames so far can have reached) are updated. float64 throughout; on 2,047 calls recorded from
30 pages it agrees with torch's float32 to 7.8e-7 relative (99th percentile) at about a fifth
of its CPU time.

A text whose every state underflows at some frame (a reading ~700 nats or more below what
the frame's classes allow) comes back as NaN: the caller scores those another way
(``models.fast_decode.ctc_log_probs`` hands them to torch), so -inf keeps meaning "cannot be
written in these frames".
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _forward(prob: np.ndarray, shift: np.ndarray, flat: np.ndarray, starts: np.ndarray,
             lens: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    T = prob.shape[0]
    size = 2 * lens.max() + 1
    a = np.zeros(size)
    ext = np.zeros(size, dtype=np.int64)  # each state's class: blank on even states
    skip = np.zeros(size, dtype=np.bool_)  # a label state reachable from two states back
    for n in range(lens.shape[0]):
        L = lens[n]
        o = starts[n]
        S = 2 * L + 1
        need = L  # frames the text needs: one a letter, one more between doubled letters
        for s in range(S):
            a[s] = 0.0
            if s & 1:
                ext[s] = flat[o + (s >> 1)]
                skip[s] = s >= 3 and flat[o + (s >> 1) - 1] != ext[s]
                if s >= 3 and not skip[s]:
                    need += 1
            else:
                ext[s] = 0
                skip[s] = False
        if need > T:
            out[n] = -math.inf
            continue
        a[0] = prob[0, 0]
        a[1] = prob[0, ext[1]]
        top = max(a[0], a[1])
        if top <= 0.0:
            out[n] = math.nan
            continue
        a[0] /= top
        a[1] /= top
        logs = shift[0] + math.log(top)
        dead = False
        prev_lo = 0
        for t in range(1, T):
            lo = max(S - 2 * (T - t), 0)  # states from which the end is still reachable
            hi = min(2 * t + 2, S)  # states the first t + 1 frames can have reached
            row = prob[t]
            top = 0.0
            for s in range(hi - 1, lo - 1, -1):  # right to left: a[s-1], a[s-2] still t-1's
                v = a[s]
                if s >= 1:
                    v += a[s - 1]
                    if skip[s]:
                        v += a[s - 2]
                v *= row[ext[s]]
                a[s] = v
                if v > top:
                    top = v
            for s in range(prev_lo, lo):
                a[s] = 0.0
            prev_lo = lo
            if top <= 0.0:
                dead = True
                break
            inv = 1.0 / top
            for s in range(lo, hi):
                a[s] *= inv
            logs += shift[t] + math.log(top)
        if dead:
            out[n] = math.nan
            continue
        end = a[S - 1] + a[S - 2]  # > 0: the text fits, and no frame underflowed
        out[n] = math.log(end) + logs if end > 0.0 else math.nan


def forward(logp: np.ndarray, targets: list[list[int]]) -> np.ndarray:
    """log P(target | frames) of each target (class ids, 0 = blank, none empty) under a crop's
    (T, C) log-probabilities; -inf where a target does not fit in the frames, NaN where the
    pass underflowed (see the module's note)."""
    if not targets:
        return np.empty(0)
    lp = np.asarray(logp, dtype=np.float64)
    if lp.shape[0] == 0:
        return np.full(len(targets), -math.inf)
    shift = lp.max(axis=1)
    prob = np.exp(lp - shift[:, None])
    lens = np.fromiter((len(t) for t in targets), dtype=np.int64, count=len(targets))
    flat = np.fromiter((c for t in targets for c in t), dtype=np.int64, count=int(lens.sum()))
    starts = np.zeros(len(targets), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    out = np.empty(len(targets))
    _forward(np.ascontiguousarray(prob), shift, flat, starts, lens, out)
    return out
