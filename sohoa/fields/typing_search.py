"""Search places and names as a clerk types them, without diacritics or with the keys of a
Vietnamese input method typed raw (Telex ``chieefng cowi``, VNI ``chie6ng2 co7i``):
"chieng coi" finds *Phường Chiềng Cơi, thành phố Sơn La, tỉnh Sơn La*.

A place is searched over the administrative-unit hierarchy: the first words of the query
match a unit's name (the last word may be a prefix), the words after it its district or
province ("chieng coi son la", "coi son la"); a leading unit word (xã, huyện, tp ...) keeps to
that level. Names complete syllable by syllable from the name lexicons. The results are
suggestions only: what the clerk picks or types is what is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sohoa.fields.text import clean, fold

TONE_KEYS = frozenset("sfrxjz")  # Telex tones (z clears one)
VNI_DIGITS = re.compile(r"(?<=[a-z])[0-9]+|[0-9]+(?=[a-z])")
VOWELS = frozenset("aeiouy")
UNIT_WORDS: dict[str, int] = {
    "tinh": 1, "t": 1, "thanh pho": 1,  # a city may be a province or a district: see _levels
    "huyen": 2, "h": 2, "quan": 2, "q": 2, "thi xa": 2, "tx": 2, "tp": 1,
    "xa": 3, "x": 3, "phuong": 3, "p": 3, "thi tran": 3, "tt": 3,
}


def telex_key(word: str) -> str:
    """One typed word folded to plain letters, Telex/VNI keys dropped: ``chieefng`` ->
    ``chieng``, ``cowi`` -> ``coi``, ``ddoongf`` -> ``dong``, ``co7i`` -> ``coi``."""
    w = fold(word)
    if not w:
        return ""
    if any(c.isalpha() for c in w):
        w = VNI_DIGITS.sub("", w)
    w = re.sub(r"^dd", "d", w)
    first = next((i for i, c in enumerate(w) if c in VOWELS), None)
    if first is None:
        return w
    head, tail = w[:first], w[first:]
    tail = "".join(c for c in tail if c not in TONE_KEYS and c != "w")
    tail = re.sub(r"([aeo])\1", r"\1", tail)  # aa -> â, ee -> ê, oo -> ô
    return head + tail


def query_keys(text: str) -> list[str]:
    """The words of a query as plain keys; both the word as typed and its Telex reading
    are tried by the matchers (``xoong`` is a word, ``xoong`` read as Telex is ``xong``)."""
    return [w for w in (re.sub(r"[^0-9a-z]", "", fold(t)) for t in clean(text).split()) if w]


def _word_matches(typed: str, word: str, prefix: bool) -> bool:
    for k in {typed, telex_key(typed)}:
        if (word.startswith(k) if prefix else word == k) and k:
            return True
    return False


def _seq_match(typed: list[str], words: tuple[str, ...], last_prefix: bool) -> bool:
    """``typed`` matches all of ``words`` (a name) word for word; the last typed word may be a
    prefix of its word when ``last_prefix``; fewer typed words than name words is a prefix
    match too (the clerk has not finished)."""
    if not typed or len(typed) > len(words):
        return False
    for i, t in enumerate(typed):
        last = i == len(typed) - 1
        if not _word_matches(t, words[i], prefix=last and last_prefix):
            return False
    return True


@dataclass(frozen=True)
class _Entry:
    level: int
    words: tuple[str, ...]  # folded name words
    chain: tuple[tuple[str, ...], ...]  # folded name words of the parents, nearest first
    text: str  # "Phường Chiềng Cơi, thành phố Sơn La, tỉnh Sơn La"
    rank: int  # fewer is likelier: communes, then districts, then provinces


@cache
def _place_index() -> tuple[_Entry, ...]:
    from sohoa.fields.admin_units import admin_index
    from sohoa.fields.places import _full

    ix = admin_index()
    out = []
    for u in ix.units.values():
        chain, p = [], u.parent
        while p:
            parent = ix.units[p]
            chain.append(tuple(fold(parent.name).split()))
            p = parent.parent
        out.append(_Entry(u.level, tuple(fold(u.name).split()), tuple(chain), _full(u),
                          3 - u.level))
    return tuple(sorted(out, key=lambda e: (e.rank, e.text)))


@cache
def _by_first_word() -> dict[str, tuple[_Entry, ...]]:
    """Units by the first word of their name (a query's first word narrows the scan)."""
    acc: dict[str, list[_Entry]] = {}
    for e in _place_index():
        acc.setdefault(e.words[0] if e.words else "", []).append(e)
    return {k: tuple(v) for k, v in acc.items()}


def _candidates(first: str) -> list[_Entry]:
    keys = {first, telex_key(first)} - {""}
    out = [e for w, entries in _by_first_word().items() if any(w.startswith(k) for k in keys)
           for e in entries]
    return sorted(out, key=lambda e: (e.rank, e.text))


def _split_unit_word(keys: list[str]) -> tuple[int | None, list[str]]:
    for n in (2, 1):
        head = " ".join(keys[:n])
        if len(keys) > n and head in UNIT_WORDS:
            return UNIT_WORDS[head], keys[n:]
    return None, keys


def search_places(text: str, limit: int = 8) -> list[str]:
    """Places whose name (then parents) match what was typed, communes first."""
    keys = query_keys(text)
    level, keys = _split_unit_word(keys)
    if not keys:
        return []
    ends_open = not text.endswith(" ")
    exact: list[str] = []
    loose: list[str] = []
    for e in _candidates(keys[0]):
        if level is not None and e.level != level and not (level == 1 and e.level == 2):
            continue
        for n in range(min(len(keys), len(e.words)), 0, -1):
            name_part, rest = keys[:n], keys[n:]
            if n < len(e.words) and rest:
                continue  # the name was not finished but more words follow
            if not _seq_match(name_part, e.words, last_prefix=not rest and ends_open):
                continue
            if rest and not _parents_match(rest, e.chain, ends_open):
                continue
            (exact if n == len(e.words) else loose).append(e.text)
            break
        if len(exact) >= limit:
            break
    return (exact + loose)[:limit]


def _parents_match(rest: list[str], chain: tuple[tuple[str, ...], ...], ends_open: bool) -> bool:
    """The words after a unit's name name some of its parents, nearest first (unit words
    such as ``huyen`` or ``tinh`` in between are skipped)."""
    i = 0
    for words in chain:
        if i >= len(rest):
            break
        _, tail = _split_unit_word(rest[i:])
        j = len(rest) - len(tail)
        take = min(len(words), len(tail))
        if take and _seq_match(tail[:take], words,
                               last_prefix=(j + take == len(rest)) and ends_open):
            i = j + take
    return i >= len(rest)


@cache
def _name_table(position: str) -> tuple[tuple[str, str, int], ...]:
    """(plain key, spelling, count) of the name lexicon at a position, commonest first."""
    from sohoa.fields import names

    lex = names.lexicon()
    table = getattr(lex, position)
    if position == "middle":
        table = table + lex.given
    return tuple((re.sub(r"[^0-9a-z]", "", fold(form)), form, count)
                 for form, count in table.most_common())


def _forms(position: str, typed: str, prefix: bool, n: int) -> list[tuple[str, int]]:
    """The lexicon's likeliest spellings of one typed word at a name position."""
    keys = {typed, telex_key(typed)}
    out = []
    for k, form, count in _name_table(position):
        if any((k.startswith(t) if prefix else k == t) for t in keys):
            out.append((form, count))
            if len(out) >= n:
                break
    return out


def search_names(text: str, limit: int = 8) -> list[str]:
    """Full names completing what was typed, syllable by syllable, likeliest first; each
    finished word in its commonest spelling (Telex/VNI keys and missing diacritics allowed)."""
    words = [w for w in (re.sub(r"[^0-9a-z]", "", fold(t)) for t in clean(text).split()) if w]
    if not words:
        return []
    open_end = not text.endswith(" ")
    done = words[:-1] if open_end else words
    head: list[tuple[str, int]] = [("", 1)]
    for i, w in enumerate(done):
        forms = _forms("family" if i == 0 else "middle", w, False, 2) or [(w.capitalize(), 1)]
        head = sorted(((f"{h} {f}".strip(), c * fc) for h, c in head for f, fc in forms),
                      key=lambda x: -x[1])[:3]
    pos = "family" if not done else "middle" if len(done) == 1 else "given"
    tails = _forms(pos, words[-1] if open_end else "", True, limit)
    if open_end and not tails:
        tails = [(words[-1], 1)]
    ranked = sorted(((f"{h} {t}".strip(), hc * tc) for h, hc in head for t, tc in tails),
                    key=lambda x: -x[1])
    out: list[str] = []
    for name, _ in ranked:
        if name not in out:
            out.append(name)
    return out[:limit]


def search(kind: str, text: str, limit: int = 8) -> list[str]:
    """Suggestions for a field of ``kind`` (``place`` or ``name``) as typed so far."""
    text = (text or "")[:200]
    if len(text.strip()) < 2:
        return []
    if kind == "place":
        return search_places(text, limit)
    if kind == "name":
        return search_names(text, limit)
    return []
