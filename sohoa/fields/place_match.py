"""Places read against the gazetteer as a whole: the administrative parts of a reading are
matched right to left as a CHAIN (a province, a district inside it, a commune inside that,
or the 2025 units: a commune straight under its province), keeping the few likeliest units
per level instead of one, so a decoder can weigh each consistent chain against the image.

``place_variants(text)`` gives the reading with its unit names replaced by those of each of
the best chains (the writer's unit words, abbreviations, separators, case and villages kept),
best chain first; ``place_prior(text)`` says how well a reading agrees with the gazetteer:
units recognised exactly, fuzzily, or admin parts (a written unit word) that name no unit.
Neither ever invents a level or reorders parts; villages (bản, thôn ...) and free text are
never snapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from sohoa.fields.admin_units import Unit, admin_index
from sohoa.fields.facilities import FACILITIES, facility_of, seat_unit
from sohoa.fields.places import (
    _INNER_WORD,
    MAX_PARTS,
    Part,
    _descendants,
    _levels,
    _part,
    parse_place,
)
from sohoa.fields.text import clean, fold, key, lower_key

_SEP = re.compile(r"(\s*[,;]\s*|\s*-\s*|\s+–\s+)")
PER_LEVEL = 3  # units kept per part
CHAINS = 2  # chains kept (and variants returned) per reading
CUTOFF = 70  # rapidfuzz ratio on folded keys for a unit to be considered at all
# gazetteer prior of a reading (tuned on training-side stroke writers, benchmarks/decode_tune.py)
UNIT_BONUS = 2.0  # per administrative unit recognised
FUZZY_COST = 3.0  # x (1 - match score) per unit recognised only fuzzily
MISSING_COST = 1.0  # per part with a unit word that names no unit in its parent
UNIT_WORD_COST = 1.0  # per part starting with a misspelt unit word ("Xa", "tỉn", "Bảm")
# unit words as written in full (a closed list: a misread one is respelt, case kept)
UNIT_WORDS = ("bản", "thôn", "xóm", "tổ", "khối", "ấp", "xã", "phường", "huyện", "quận",
              "tỉnh", "thị trấn", "thị xã", "thành phố", "đặc khu", "tiểu khu")


@dataclass(frozen=True)
class _Chain:
    score: float  # sum of match ratios (0-1) of the units matched
    parent: Unit | None
    floor: int
    fixes: tuple[tuple[int, str], ...]  # (part index, new name)


def _tokens(raw: str) -> list[str]:
    """Parts and separators alternating (parts at even indices); a place written without
    separators ("Trạm y tế huyện A", "xã B huyện C") is cut before its inner unit words."""
    toks = _SEP.split(raw)
    folded = fold(raw)
    if len(toks) > 1 or len(folded) != len(raw):
        return toks
    cuts = [m.start() for m in _INNER_WORD.finditer(folded)]
    out: list[str] = []
    at = 0
    for c in cuts:
        out += [raw[at:c], raw[c]]
        at = c + 1
    return [*out, raw[at:]]


def _pool(level: int, parent: Unit | None, explicit: bool, k: str) -> list[Unit]:
    ix = admin_index()
    if parent is not None:
        return _descendants(parent, level)
    if level == 3 or (level == 2 and not explicit and len(k) < 6):
        return []  # a bare word is not "a commune somewhere in the country"
    return [u for u in ix.units.values() if u.level == level]


@lru_cache(maxsize=4096)
def _keys_of(level: int, parent_code: str) -> tuple[tuple[str, ...], tuple[Unit, ...]]:
    ix = admin_index()
    parent = ix.units.get(parent_code) if parent_code else None
    units = _pool(level, parent, True, "xxxxxx")
    keys, owners = [], []
    for u in units:
        for kk in u.keys:
            keys.append(kk)
            owners.append(u)
    return tuple(keys), tuple(owners)


@lru_cache(maxsize=16384)
def _matches(part: Part, floor: int, parent: Unit | None) -> list[tuple[Unit, float]]:
    """Up to ``PER_LEVEL`` units the part may name below ``floor`` under ``parent``."""
    name = part.name if part.word else part.written
    k = key(name)
    if len(k) < 2 or len(k) > 60:
        return []
    found: dict[str, tuple[Unit, float]] = {}
    for level in _levels(part):
        if level <= floor or not _pool_allowed(level, parent, bool(part.word), k):
            continue
        keys, owners = _keys_of(level, parent.code if parent else "")
        for _, score, i in process.extract(k, keys, scorer=fuzz.ratio, limit=PER_LEVEL * 2,
                                           score_cutoff=CUTOFF):
            u = owners[i]
            if u.code not in found or found[u.code][1] < score / 100:
                found[u.code] = (u, score / 100)
    return sorted(found.values(), key=lambda us: -us[1])[:PER_LEVEL]


def _pool_allowed(level: int, parent: Unit | None, explicit: bool, k: str) -> bool:
    if parent is not None:
        return True
    return not (level == 3 or (level == 2 and not explicit and len(k) < 6))


def _respelt_name(name: str, unit: Unit) -> str | None:
    new = unit.name.upper() if name.isupper() and len(name) > 1 else unit.name
    k = key(name)
    if k in unit.keys and k != key(unit.name) and len(k) > 4:
        return None  # an old name of the unit: kept as written
    if len(name.split()) != len(new.split()):
        return None  # a respelling corrects letters, never adds or drops words
    return new


@lru_cache(maxsize=4)
def _unit_words(n: int) -> tuple[tuple[str, tuple[str, str]], ...]:
    """The unit words of ``n`` words, in order, each with its first letter as written and
    folded (built once, not per token: s9speed)."""
    return tuple((w, (w[:1], key(w[:1]))) for w in UNIT_WORDS if len(w.split()) == n)


@lru_cache(maxsize=16384)
def _unit_word_fix(token: str) -> str | None:
    """The unit word a part starts with, when it is one letter off a unit word written in
    full ("Xa" -> "Xã", "tỉn" -> "tỉnh", "Bảm" -> "Bản"); None when it is right or none."""
    lead = token.lstrip()
    words = lead.split(" ")
    for n in (2, 1):
        if len(words) <= n:
            continue  # a unit word alone is no part
        head = " ".join(words[:n])
        low = head.lower()
        if low in UNIT_WORDS:
            return None
        for w, firsts in _unit_words(n):
            if low[:1] in firsts and len(low) >= 2 and Levenshtein.distance(low, w) == 1:
                fixed = w.capitalize() if head[:1].isupper() else w
                return token[: len(token) - len(lead)] + fixed + lead[len(head):]
    return None


# what a place of birth or death often is besides an address: sohoa.fields.facilities
_FACILITY_WORDS = tuple((f, len(f.split())) for f in FACILITIES)


@lru_cache(maxsize=16384)
def _facility_fix(token: str) -> str | None:
    """A part that starts with a facility's name one or two letters off ("Trạm y tê xã A",
    "Bệnh viện đa khoa huyện B") respelt; None when right or none. Words are never added."""
    words = token.split(" ")
    for fac, n in _FACILITY_WORDS:
        if len(words) < n:
            continue
        head = " ".join(words[:n])
        low = head.lower()
        if low == fac:
            return None
        if low[:1] == fac[:1] and Levenshtein.distance(low, fac) <= max(1, len(fac) // 6):
            fixed = fac[:1].upper() + fac[1:] if head[:1].isupper() else fac
            return " ".join([fixed, *words[n:]])
    return None


def _misspelt_unit_words(raw: str) -> int:
    toks = _tokens(raw)[::2]
    fac = 1 if toks and _facility_fix(toks[0].strip()) is not None else 0
    return fac + sum(1 for t in toks if _unit_word_fix(t) is not None)


@lru_cache(maxsize=4096)
def place_variants(text: str) -> tuple[str, ...]:
    """The reading with its administrative parts respelt as each of the best gazetteer
    chains names them, best chain first (the reading itself left out); misspelt unit words
    are respelt first ("tỉn Yên Bái" -> "tỉnh Yên Bái")."""
    raw = clean(text)
    if not raw or len(raw) > 400:
        return ()
    toks = _tokens(raw)
    toks[0] = _facility_fix(toks[0]) or toks[0]
    fixed = "".join(_unit_word_fix(t) or t if i % 2 == 0 else t for i, t in enumerate(toks))
    if fixed == raw:
        return _chain_variants(raw)
    return tuple(dict.fromkeys((*_chain_variants(fixed), fixed, *_chain_variants(raw))))


def _chain_variants(raw: str) -> tuple[str, ...]:
    toks = _tokens(raw)
    parts = [_part(t) for t in toks[::2]]
    if not parts or len(parts) > MAX_PARTS:
        return ()
    chains = [_Chain(0.0, None, 0, ())]
    for j in range(len(parts) - 1, -1, -1):
        part = parts[j]
        grown: list[_Chain] = []
        for c in chains:
            grown.append(c)  # the part names no unit (a village, free text)
            for unit, score in _matches(part, c.floor, c.parent):
                name = part.name if part.word else part.written
                new = _respelt_name(name, unit)
                fixes = c.fixes if new is None or new == name else (*c.fixes, (j, new))
                grown.append(_Chain(c.score + score, unit, unit.level, fixes))
        grown.sort(key=lambda c: (-c.score, len(c.fixes)))
        chains = grown[:CHAINS]
    out: list[str] = []
    for c in chains:
        if not c.fixes:
            continue
        new_toks = list(toks)
        for j, new in c.fixes:
            part = parts[j]
            old = part.name if part.word else part.written
            t = new_toks[2 * j]
            at = t.rfind(old)
            if at >= 0:
                new_toks[2 * j] = t[:at] + new + t[at + len(old):]
        v = "".join(new_toks)
        if v != raw and v not in out:
            out.append(v)
    return tuple(out)


@lru_cache(maxsize=8192)
def place_prior(text: str) -> float:
    """How well a reading agrees with the gazetteer (log-scale, higher is better): a bonus
    per unit recognised, less for fuzzy ones, a cost per unit word naming no unit."""
    fac, rest = facility_of(text)
    p = parse_place(rest)  # "Trạm y tế | xã A"
    if not p.text:
        return -10.0
    if fac and not p.units and seat_unit(text) is not None:
        # "Trạm y tế xã Na Sang": its seat, a unit somewhere in the country, named exactly
        return UNIT_BONUS - UNIT_WORD_COST * _misspelt_unit_words(clean(text))
    units = len(p.units)
    problems = p.message.count(";") + 1 if p.message and not p.ok else 0
    fuzzy = 0.0
    if units:
        # parse_place's evidence averages 1.0 (exact), 0.9 (key), 0.85 x ratio (fuzzy)
        fuzzy = max(0.0, 1.0 - p.evidence) * units
    exact_spelt = sum(1 for u in p.units if lower_key(u.name) in lower_key(text))
    return UNIT_BONUS * units - FUZZY_COST * fuzzy - MISSING_COST * problems \
        - 0.5 * (units - exact_spelt) - UNIT_WORD_COST * _misspelt_unit_words(clean(text))


def place_settled(text: str) -> bool:
    """Whether a reading already agrees with the gazetteer as well as it can: units found,
    every one exactly and in its official spelling, no unit word misspelt or unmatched."""
    p = parse_place(text)
    return bool(p.units) and place_prior(text) >= UNIT_BONUS * len(p.units) - 1e-9
