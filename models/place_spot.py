"""Administrative units spotted on the frames, right to left, wherever they stand.

``models.place_decode`` cuts the frames where the best path writes a separator, so a place
whose separators or unit words are misread ("Sìn Bá Lai Châu", "Chiên, Sơn", "huyệệc Tâm
Bờ") is cut in the wrong places and its units are never offered. Here no cut is taken from
the best path: the province is looked for at the end of the line, each unit of the gazetteer
(in its written forms: the bare name, or after its unit word) scored by exact CTC over every
span of frames that ends the line (one backward pass over the trie of the forms; frames after
the unit, a separator or a smudge, are read as the best path reads them). Then the districts
(or 2025 communes) of the likeliest provinces are looked for before them, then the communes of
the likeliest districts. Each chain gives a reading: what the best path reads before the
units (the village, a facility), the units as the gazetteer spells them, the separators the
best path wrote between them (", " where it wrote a comma or none, " - " where it wrote a
dash). The decoder (``models.field_decoder``) weighs them like every other candidate (exact
P(text | image) of the whole line plus the gazetteer prior), so a chain the image does not
support loses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit

from models.charset import Charset

KEEP = 3  # chains kept at each level
MIN_FRAMES = 2  # a unit needs at least this many frames
SURE_BLANK = 0.98  # a frame this sure of a blank is a gap the spotting may shorten
RESCALE = 4  # frames between rescalings of the backward pass (float64 keeps 4 safely)


class SuffixTrieCTC:
    """The trie of ``texts`` spelt backwards: one pass over the frames from the right gives,
    for every text and every frame t, log P(text | frames t..stop) with any frames after the
    text (before ``stop``) read as the best path reads them."""

    def __init__(self, texts: Sequence[str], charset: Charset) -> None:
        from models.trie_ctc import TrieCTC

        self.texts = tuple(texts)
        trie = TrieCTC([t[::-1] for t in self.texts], charset)  # each text spelt backwards
        self.parent, self.label, self.ends, self.repeat = (trie.parent, trie.label, trie.ends,
                                                           trie.repeat)

    def log_probs(self, logp: np.ndarray, stop: int) -> np.ndarray:
        """(stop, texts): entry [t, i] is log P(texts[i] in frames t..e, any e < stop, and
        the frames e..stop-1 read by their best class); -inf where a text does not fit."""
        return forest_log_probs(logp, [(self, stop, 0.0)])[0]


@njit(cache=True, nogil=True)
def _backward(prob: np.ndarray, shift: np.ndarray, par: np.ndarray, cls: np.ndarray,
              keep: np.ndarray, g_root: np.ndarray, g_stop: np.ndarray, g_start: np.ndarray,
              g_base: np.ndarray, ends: np.ndarray, rec: np.ndarray, scale: np.ndarray,
              rescale: int) -> None:  # pragma: no cover - compiled
    # the nodes of each trie are numbered parents first (``TrieCTC`` adds a node after its
    # parent), so a pass from a trie's last node down to its root reads every parent's states
    # before they are updated: the previous frame's, as the recurrence wants
    S, n, K = prob.shape[0], par.shape[0], g_root.shape[0]
    lab = np.zeros(n)  # a node's last character being emitted
    blk = np.zeros(n)  # a blank after the node's text (a root: the gap after the texts)
    log_scale = 0.0
    shifted = 0.0  # the frames' shifts summed up to this frame
    for r in range(S):
        if r:
            b = prob[r, 0]
            for k in range(K):
                if g_start[k] >= r:
                    continue  # not started: its states are all 0
                for j in range(g_stop[k] - 1, g_root[k], -1):
                    p = par[j]
                    v = blk[p] + keep[j] * lab[p]
                    v += lab[j]
                    v *= prob[r, cls[j]]
                    blk[j] = (blk[j] + lab[j]) * b
                    lab[j] = v
                # the root's gap goes on at no cost (each frame divided by its best class)
        for k in range(K):
            if g_start[k] == r:  # a root starts: its base, in the scale of the states
                seed = math.exp(g_base[k] - (log_scale + shifted))
                blk[g_root[k]] = seed
                for j in range(g_root[k] + 1, g_stop[k]):
                    if par[j] == g_root[k]:
                        lab[j] = prob[r, cls[j]] * seed
        if r and r % rescale == 0:
            top = 0.0
            for j in range(n):
                if lab[j] > top:
                    top = lab[j]
                if blk[j] > top:
                    top = blk[j]
            if top > 0.0:
                inv = 1.0 / top
                for j in range(n):
                    lab[j] *= inv
                    blk[j] *= inv
                log_scale += math.log(top)
        scale[r] = log_scale
        shifted += shift[r]
        for e in range(ends.shape[0]):
            rec[r, e] = lab[ends[e]] + blk[ends[e]]


def forest_log_probs(logp: np.ndarray, groups: Sequence[tuple[SuffixTrieCTC, int, float]]
                     ) -> list[np.ndarray]:
    """``trie.log_probs(logp, stop) + base`` of every (trie, stop, base), in one backward pass
    over the frames: each trie's root starts at its own ``stop``, seeded with its ``base``.

    The pass (compiled, numba) runs on probabilities, each frame divided by its best class's
    (so a gap frame costs nothing), rescaled every ``RESCALE`` frames; the logs are taken
    once at the end."""
    groups = [g for g in groups if g[1] > 0]
    if not groups:
        return []
    S = max(stop for _, stop, _ in groups)
    par, cls, keep, ends = [], [], [], []
    g_root, g_stop, g_start, g_base = [], [], [], []
    n = 0
    for trie, stop, base in groups:
        m = len(trie.parent)
        g_root.append(n)
        g_stop.append(n + m)
        g_start.append(S - stop)
        g_base.append(base)
        par.append(trie.parent + n)
        cls.append(trie.label)
        keep.append(~trie.repeat)
        ends.append(trie.ends[trie.ends >= 0] + n)
        n += m
    ends_a = np.concatenate(ends)
    lp = np.asarray(logp[:S], dtype=np.float64)[::-1]  # backwards in time
    shift = lp.max(axis=1)
    prob = np.ascontiguousarray(np.exp(lp - shift[:, None]))
    rec = np.zeros((S, len(ends_a)))
    scale = np.zeros(S)  # the logs of what the states were divided by, up to each frame
    _backward(prob, shift, np.concatenate(par), np.concatenate(cls),
              np.concatenate(keep).astype(np.float64), np.asarray(g_root, dtype=np.int64),
              np.asarray(g_stop, dtype=np.int64), np.asarray(g_start, dtype=np.int64),
              np.asarray(g_base, dtype=np.float64), ends_a, rec, scale, RESCALE)
    with np.errstate(divide="ignore"):
        vals = (np.log(rec) + (scale + np.cumsum(shift))[:, None])[::-1]  # forward in time
    out, col = [], 0
    for trie, stop, _ in groups:
        ok = trie.ends >= 0
        a = np.full((stop, len(trie.texts)), -np.inf)
        a[:, ok] = vals[:stop, col: col + int(ok.sum())]
        out.append(a)
        col += int(ok.sum())
    return out


@dataclass(frozen=True)
class _Found:
    score: float  # the chain's log P: best path before it, its units, the gaps
    start: int  # first frame of the leftmost unit
    units: tuple[tuple[str, int, int], ...]  # (text, first frame, the next unit's), left to right
    unit: object  # the leftmost unit (sohoa.fields.admin_units.Unit)


def _forms(unit) -> list[str]:  # type: ignore[no-untyped-def]
    word = unit.type
    return [unit.name, f"{word.lower()} {unit.name}", f"{word} {unit.name}"]


@lru_cache(maxsize=512)
def _trie(parent_code: str, levels: tuple[int, ...], chars: str) -> tuple[SuffixTrieCTC, tuple]:
    """The suffix trie of the written forms of the units of ``levels`` under a parent
    ("": the provinces) and each form's unit."""
    from sohoa.fields.admin_units import admin_index
    from sohoa.fields.places import _descendants

    ix = admin_index()
    if parent_code:
        units = [u for lv in levels for u in _descendants(ix.units[parent_code], lv)]
    else:
        units = [u for u in ix.units.values() if u.level in levels]
    texts, owners = [], []
    for u in units:
        for f in _forms(u):
            texts.append(f)
            owners.append(u)
    return SuffixTrieCTC(texts, Charset(chars)), tuple(owners)


def _below(unit) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    """The levels looked for left of ``unit``: a province's districts (or, with none, its
    2025 communes), a district's communes."""
    from sohoa.fields.admin_units import admin_index

    if unit.level >= 3:
        return ()
    if unit.level == 2:
        return (3,)
    kids = admin_index().children.get(unit.code, ())
    return (2,) if any(k.level == 2 for k in kids) else (3,)


def _best_path_cost(logp: np.ndarray) -> np.ndarray:
    """Cumulative best-class log-probabilities: entry t is the sum over frames < t."""
    return np.concatenate(([0.0], np.cumsum(logp.max(axis=1))))


def _spot(logp: np.ndarray, charset: Charset, chains: Sequence[_Found | None],
          head: np.ndarray) -> list[_Found]:
    """The ``KEEP`` likeliest chains one unit longer (``[None]``: the provinces), every
    chain's candidates scored in one backward pass."""
    groups, owners, parents = [], [], []
    for chain in chains:
        stop = chain.start if chain is not None else logp.shape[0]
        levels = (1,) if chain is None else _below(chain.unit)
        if not levels or stop < MIN_FRAMES:
            continue
        trie, units = _trie(chain.unit.code if chain is not None else "", levels,
                            charset.chars)
        if not units:
            continue
        base = chain.score - head[stop] if chain is not None else 0.0  # units to the right
        groups.append((trie, stop, base))
        owners.append(units)
        parents.append(chain)
    found: list[_Found] = []
    for (trie, stop, _), units, chain, lp in zip(groups, owners, parents,
                                                   forest_log_probs(logp, groups), strict=True):
        total = lp + head[:stop, None]  # the best path before the unit
        best_t = total.argmax(axis=0)
        best = total[best_t, np.arange(total.shape[1])]
        seen: set[str] = set()
        for i in np.argsort(-best):
            if not np.isfinite(best[i]) or len(seen) >= KEEP:
                break
            u = units[i]
            if u.code in seen:
                continue
            seen.add(u.code)
            t = int(best_t[i])
            found.append(_Found(float(best[i]), t, ((trie.texts[i], t, stop),
                                                   *(chain.units if chain else ())), u))
    found.sort(key=lambda c: -c.score)
    return found[:KEEP]


def _without_sure_blanks(logp: np.ndarray) -> np.ndarray:
    """The frames less a run of sure blanks' all but first (blank at least ``SURE_BLANK``):
    the spotting only proposes readings (the choice scores them on every frame), and the
    backward passes cost a step a frame."""
    sure = logp[:, 0] >= np.log(SURE_BLANK)
    drop = sure.copy()
    drop[1:] &= sure[:-1]  # a sure blank after another
    drop[0] = False
    return logp[~drop] if drop.any() else logp


def _separator(text: str) -> str:
    """The separator the best path wrote at the end of a part's frames: " - " for a dash,
    ", " for a comma, a space for nothing (or a smudge)."""
    tail = text[len(text.rstrip(" ,-.;")):]
    if "-" in tail:
        return " - "
    return ", " if any(c in tail for c in ",.;") else " "


def spotted_readings(logp: np.ndarray, charset: Charset) -> list[str]:
    """Readings of a place with its administrative units spotted right to left (province,
    then district or 2025 commune, then commune), the likeliest chains first; between two
    parts the separator the best path wrote, and where it wrote none, also a comma."""
    from models.ctc_decode import best_path_text

    logp = _without_sure_blanks(logp)
    if logp.shape[0] < 3 * MIN_FRAMES:
        return []
    head = _best_path_cost(logp)
    chains: list[_Found] = _spot(logp, charset, [None], head)
    found = list(chains)
    for _ in range(2):  # districts (or 2025 communes), then communes
        chains = _spot(logp, charset, chains, head)
        found += chains
    found.sort(key=lambda c: -c.score)
    out: list[str] = []
    for c in found:
        before = best_path_text(logp[: c.start], charset).rstrip()
        seps = [_separator(before)] if before.rstrip(" ,-.;") else []
        pieces = [before.rstrip(" ,-.;")] if seps else []
        for k, (text, start, _) in enumerate(c.units):
            if k:
                seps.append(_separator(best_path_text(logp[c.units[k - 1][1]:start],
                                                      charset)))
            pieces.append(text)
        for commas in (False, True):
            if commas and " " not in seps:
                break
            used = [", " if commas and sep == " " else sep for sep in seps]
            reading = pieces[0] + "".join(sep + piece for sep, piece in zip(used, pieces[1:],
                                                                            strict=True))
            if reading not in out:
                out.append(reading)
    return out
