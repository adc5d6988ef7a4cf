"""Places read unit by unit against the gazetteer, with the image deciding each unit.

The gazetteer chains of ``sohoa.fields.place_match`` start from the text of a misread part
("Noon Sìn Hồ", "Lạcn Đn") and keep the units whose NAME looks like it: a badly misread
part finds no unit, or the wrong one. Here the image itself scores the units instead: the
best path's alignment cuts the CTC frames at the place's separators (",", "-"), and each
administrative part's frames are scored, by exact CTC (``models.fast_decode.ctc_log_probs``),
against the names of the units that can stand there, right to left: the provinces, then the
districts of the likeliest provinces, then their communes (or a province's 2025 communes).
A commune is only ever looked for inside its district and province, so a reading whose
commune is clear but whose district is garbled gets the commune's own district.

Each of the best ``CHAINS`` chains gives a reading: the open reading with its administrative
parts replaced (the writer's unit words and separators kept, villages and facilities left as
read). The decoder (``models.field_decoder``) weighs these readings like any other candidate:
exact P(text | image) of the whole line plus the gazetteer prior, so a chain the image does
not support loses, and its probability is never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from models.charset import Charset
from models.fast_decode import ctc_log_probs

SPAN_TOP = 12  # units per part scored on the image (the closest names as read first)
CHAINS = 2  # chains kept per level and readings returned
MIN_FRAMES = 2  # a part needs this many frames to be scored


@dataclass(frozen=True)
class _Chain:
    score: float  # sum of the parts' log P(part | its frames)
    parent: object | None  # the last unit matched (sohoa.fields.admin_units.Unit)
    fixes: tuple[tuple[int, str], ...]  # (part index, new token text)


def aligned(logp: np.ndarray, charset: Charset) -> tuple[str, np.ndarray, np.ndarray]:
    """The best path's text and, per character, its first and last frame."""
    best = logp.argmax(axis=1)
    prev = np.concatenate(([0], best[:-1]))
    new = (best != 0) & (best != prev)
    starts = np.flatnonzero(new)
    if not len(starts):
        return "", starts, starts
    # a character's run ends where the next change (or a blank) comes
    run_end = np.flatnonzero(np.concatenate((best[1:] != best[:-1], [True])))
    ends = run_end[np.searchsorted(run_end, starts)]
    text = "".join(charset.chars[int(k) - 1] for k in best[starts])
    return text, starts, ends


def _cased(name: str, written: str) -> str:
    return name.upper() if written.isupper() and len(written) > 1 else name


@lru_cache(maxsize=4096)
def _pool(parent_code: str, levels: tuple[int, ...]) -> tuple[tuple[str, ...], tuple]:
    """Folded keys of the units of ``levels`` under a parent ("" = the provinces) and the
    unit of each key."""
    from sohoa.fields.admin_units import admin_index
    from sohoa.fields.places import _descendants

    ix = admin_index()
    if parent_code:
        parent = ix.units[parent_code]
        units = [u for lv in levels for u in _descendants(parent, lv)]
    else:
        units = [u for u in ix.units.values() if u.level in levels]
    keys, owners = [], []
    for u in units:
        from sohoa.fields.text import key

        keys.append(key(u.name))
        owners.append(u)
    return tuple(keys), tuple(owners)


def _levels_below(parent, word_level: int | None) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    """Levels a part may name under ``parent`` (None: a province only)."""
    if parent is None:
        return (1,) if word_level in (None, 1, -1) else ()
    want = {None: (2, 3), -1: (2,), 1: (), 2: (2,), 3: (3,), 0: ()}.get(word_level, ())
    return tuple(lv for lv in want if lv > parent.level)


@lru_cache(maxsize=8192)  # pure; a book names the same places again and again
def _candidates(token: str, parent, word_level: int | None  # type: ignore[no-untyped-def]
                ) -> tuple[tuple[str, object], ...]:
    """(token text, unit) of the units that may stand in a part, the closest names first."""
    from sohoa.fields.places import _part
    from sohoa.fields.text import key

    levels = _levels_below(parent, word_level)
    if not levels:
        return ()
    keys, owners = _pool(parent.code if parent is not None else "", levels)
    if not keys:
        return ()
    part = _part(token)
    name = part.name if part.word else token.strip()
    head = token[: len(token) - len(token.lstrip())]
    prefix = token[: token.rfind(name)] if part.word and name and name in token else head
    found = process.extract(key(name), keys, scorer=fuzz.ratio, limit=SPAN_TOP * 2)
    out: list[tuple[str, object]] = []
    seen: set[str] = set()
    for _, _, i in found:
        u = owners[i]
        if u.code in seen:
            continue
        seen.add(u.code)
        new = _cased(u.name, name)
        out.append((prefix + new, u))
        if not part.word:  # a unit word misread as a name ("Noon Sìn Hồ"): offer one
            word = u.type.lower()
            out.append((f"{head}{word.capitalize() if token.lstrip()[:1].isupper() else word}"
                        f" {new}", u))
        if len(seen) >= SPAN_TOP:
            break
    return tuple(out)


def _cut(text: str) -> list[str]:
    """``place_match._tokens``, with a part that runs on into the next unit word without a
    separator ("Văn Yên tỉnh Yên Bái") cut before that word (the space as its separator)."""
    from sohoa.fields.place_match import _tokens
    from sohoa.fields.places import _INNER_WORD
    from sohoa.fields.text import fold

    out: list[str] = []
    for i, t in enumerate(_tokens(text)):
        folded = fold(t)
        cuts = [m.start() for m in _INNER_WORD.finditer(folded)] \
            if i % 2 == 0 and len(folded) == len(t) else []
        at = 0
        for c in cuts:
            out += [t[at:c], t[c]]
            at = c + 1
        out.append(t[at:])
    return out


def unit_readings(logp: np.ndarray, charset: Charset, base: str) -> list[str]:
    """``base`` (an open reading with the best path's parts) with its administrative parts
    replaced by the units the image supports best, as consistent chains, best first."""
    from sohoa.fields.places import MAX_PARTS, _part

    text, starts, ends = aligned(logp, charset)
    if not text or len(text) > 400:
        return []
    toks = _cut(text)
    if "".join(toks) != text or len(toks) < 3 or len(toks) // 2 + 1 > MAX_PARTS:
        return []  # one part: no hierarchy to read
    base_toks = _cut(base) if base else toks
    if len(base_toks) != len(toks):
        base_toks = toks
    at, spans = 0, []
    for t in toks:
        spans.append((at, at + len(t)))
        at += len(t)
    T = logp.shape[0]
    chains = [_Chain(0.0, None, ())]
    for j in range(len(toks) - 1, -1, -2):
        a, b = spans[j]
        f0 = int(ends[a - 1]) + 1 if a > 0 else 0
        f1 = int(starts[b]) if b < len(text) else T
        tok = toks[j]
        if f1 - f0 < MIN_FRAMES or not tok.strip():
            break
        level = _part(tok).level
        texts: list[str] = []
        owners: list[tuple[_Chain, str, object]] = []
        for c in chains:  # every chain's candidates scored on the part's frames at once
            for t, u in _candidates(tok, c.parent, level):
                texts.append(t)
                owners.append((c, t, u))
        if not texts:
            break  # no unit stands here: the rest is no administrative part
        scores = ctc_log_probs(logp[f0:f1], texts, charset)
        total = scores + np.array([o[0].score for o in owners])
        best = [i for i in np.argsort(-total)[:CHAINS] if np.isfinite(total[i])]
        if not best:
            break
        grown = [_Chain(float(total[i]), owners[i][2], (*owners[i][0].fixes, (j, owners[i][1])))
                 for i in best]
        grown.sort(key=lambda c: -c.score)
        chains = grown[:CHAINS]
    out: list[str] = []
    for c in chains:
        if not c.fixes:
            continue
        new = list(base_toks)
        for j, t in c.fixes:
            new[j] = t
        reading = "".join(new)
        if reading != base and reading not in out:
            out.append(reading)
    return out
