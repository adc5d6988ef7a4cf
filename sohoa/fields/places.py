"""Places as clerks write them ("Bản Co Mạ, X. Co Mạ, H. Thuận Châu, T. Sơn La") -> the
corrected string "Bản Co Mạ, xã Co Mạ, huyện Thuận Châu, tỉnh Sơn La".

Parts are matched right to left (province, then district inside it, then commune inside that)
against the pre-2025 units and those in force from July 2025 ("xã Mèo Vạc, tỉnh Tuyên
Quang": no district, merged communes and provinces; ``admin_units``), forgiving diacritics
and small spelling errors. Parts that are not administrative units (bản, thôn, "Trạm y tế
...", "Tại nhà") are kept exactly as written: we correct what we can recognise and never
snap free text onto a unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import fuzz, process

from sohoa.fields.admin_units import Unit, admin_index
from sohoa.fields.text import clean, fold, key, lower_key

# written unit word (folded, no dots) -> (level, canonical word); level 0 = below a commune
_PREFIXES: dict[str, tuple[int, str]] = {
    "thi tran": (3, "Thị trấn"), "tt": (3, "Thị trấn"), "xa": (3, "Xã"), "x": (3, "Xã"),
    "phuong": (3, "Phường"), "p": (3, "Phường"),
    "huyen": (2, "Huyện"), "h": (2, "Huyện"), "quan": (2, "Quận"), "q": (2, "Quận"),
    "thi xa": (2, "Thị xã"), "tx": (2, "Thị xã"),
    "thanh pho": (-1, "Thành phố"), "tp": (-1, "Thành phố"), "t p": (-1, "Thành phố"),
    "tinh": (1, "Tỉnh"), "t": (1, "Tỉnh"),
    "ban": (0, "Bản"), "b": (0, "Bản"), "thon": (0, "Thôn"), "xom": (0, "Xóm"), "to": (0, "Tổ"),
    "dac khu": (3, "Đặc khu"),  # a special zone of the 2025 units (Phú Quốc, Côn Đảo)
    "khoi": (0, "Khối"), "ap": (0, "Ấp"), "lang": (0, "Làng"), "tieu khu": (0, "Tiểu khu"),
    "khu pho": (0, "Khu phố"), "doi": (0, "Đội"), "so nha": (0, "Số nhà"), "khu": (0, "Khu"),
}
_SINGLE_LETTER = {"x", "h", "q", "t", "p", "b"}  # only with a dot: "X. Co Mạ"
_PREFIX_RE = re.compile(
    r"^(thi tran|thi xa|thanh pho|dac khu|tieu khu|khu pho|so nha|t\s?p|tt|tx|xa|phuong|huyen|quan|"
    r"tinh|ban|thon|xom|to|khoi|ap|lang|doi|khu|[xhqtpb])(\.\s*|\s+)(?=\S)")
_SPLIT = re.compile(r"\s*[,;]\s*|\s*-\s*|\s+–\s+")
MAX_PARTS = 12


@dataclass(frozen=True)
class Part:
    written: str  # as written (cleaned)
    level: int | None  # from the unit word: 0 village, 1-3 unit, -1 city (1 or 2), None
    word: str  # canonical unit word ("Xã") or ""
    name: str  # the text after the unit word


@dataclass(frozen=True)
class PlaceParse:
    text: str
    evidence: float
    ok: bool
    message: str
    units: tuple[Unit, ...]  # the units recognised, province first


def _part(written: str) -> Part:
    f = fold(written)
    m = _PREFIX_RE.match(f)
    if m:
        word = re.sub(r"\s+", " ", m.group(1))
        dotted = m.group(2).startswith(".")
        if word not in _SINGLE_LETTER or dotted:
            level, canon = _PREFIXES[word]
            return Part(written, level, canon, written[m.end():].strip(" ."))
    return Part(written, None, "", written.strip(" ."))


def _split(text: str) -> list[str]:
    parts = [p for p in _SPLIT.split(text) if p.strip(" .")]
    merged: list[str] = []
    for p in parts:  # "Bà Rịa - Vũng Tàu" is one province
        if merged and any((lvl, key(merged[-1] + p)) in admin_index().by_key for lvl in (1, 2, 3)):
            merged[-1] = f"{merged[-1]} - {p}"
        else:
            merged.append(p)
    return merged


@lru_cache(maxsize=32768)  # pure; a reading's candidates share most of their parts
def _find(name: str, level: int, parent: Unit | None, explicit: bool = False,
          fuzzy: bool = True) -> tuple[Unit, float] | None:
    """The unit of ``level`` called ``name`` (under ``parent`` when known) and how sure.
    Without a parent a bare word must not become a commune somewhere in the country: a
    commune then needs its unit word written (``explicit``), a district a longer name."""
    ix = admin_index()
    k = key(name)
    if not k or len(k) > 60 or fold(name).strip(" .") in _PREFIXES:
        return None
    if parent is None and not explicit and (level == 3 or (level == 2 and len(k) < 6)):
        return None
    if parent is not None:
        pool = [u for u in _descendants(parent, level)]
    else:
        pool = list(ix.by_key.get((level, k), ()))
        if len(pool) != 1:  # unknown or ambiguous without a parent: only a unique exact key
            return _global_fuzzy(name, level) if not pool and fuzzy else None
    exact = [u for u in pool if k in u.keys]
    if exact:
        best = _prefer_spelling(name, exact)
        return best, (1.0 if lower_key(best.name) == lower_key(name) else 0.9)
    if len(k) <= 3 or not fuzzy:
        return None
    keys, owners = _pool_keys(parent, level) if parent is not None else _keys_of_pool(pool)
    found = process.extractOne(k, keys, scorer=fuzz.ratio, score_cutoff=84)
    if not found:
        return None
    unit = owners[found[2]]
    return unit, 0.85 * found[1] / 100


def _keys_of_pool(pool: list[Unit]) -> tuple[tuple[str, ...], tuple[Unit, ...]]:
    """Every folded key of the units (old names included) and the unit each belongs to."""
    pairs = [(kk, u) for u in pool for kk in sorted(u.keys)]
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


@lru_cache(maxsize=4096)
def _pool_keys(parent: Unit, level: int) -> tuple[tuple[str, ...], tuple[Unit, ...]]:
    return _keys_of_pool(_descendants(parent, level))


@lru_cache(maxsize=8192)
def _global_fuzzy(name: str, level: int) -> tuple[Unit, float] | None:
    if level == 3:
        return None  # 10,000 communes share many names: not without a district
    k = key(name)
    if len(k) <= 5 or len(k) > 40:
        return None
    found = process.extractOne(k, _level_keys(level), scorer=fuzz.ratio, score_cutoff=90)
    return (admin_index().units[found[2]], 0.8 * found[1] / 100) if found else None


@cache
def _level_keys(level: int) -> dict[str, str]:
    return {u.code: key(u.name) for u in admin_index().units.values() if u.level == level}


def _descendants(parent: Unit, level: int) -> list[Unit]:
    """Units of ``level`` under ``parent``: a province's communes are those of its districts
    (before 2025) and its direct children (the 2025 communes)."""
    ix = admin_index()
    units = list(ix.children.get(parent.code, ()))
    out = [u for u in units if u.level == level]
    while units:
        units = [c for u in units if u.level < level for c in ix.children.get(u.code, ())]
        out += [u for u in units if u.level == level]
    return out


def _prefer_spelling(name: str, units: list[Unit]) -> Unit:
    low = name.lower()
    return max(units, key=lambda u: fuzz.ratio(low, u.name.lower()))


def _levels(part: Part) -> tuple[int, ...]:
    if part.level == -1:
        return (1, 2)
    if part.level in (1, 2, 3):
        return (part.level,)
    return (1, 2, 3) if part.level is None else ()


@lru_cache(maxsize=8192)  # pure; the same values and misreads recur on every page
def parse_place(text: str) -> PlaceParse:
    """Recognise the administrative units in a written place and correct their spelling."""
    raw = clean(text)
    if not raw:
        return PlaceParse("", 0.0, False, "trống", ())
    written = _split(raw)
    if not written or not any(c.isalpha() for c in raw):
        return PlaceParse(raw, 0.0, False, "không phải địa danh", ())
    if len(written) > MAX_PARTS or len(raw) > 400:
        return PlaceParse(raw, 0.0, False, "địa danh quá dài", ())
    result = _parse_parts(written)
    if len(written) == 1 and (not result.ok or len(result.units) <= 1):
        pieces = _split_at_unit_words(raw)
        if len(pieces) > 1:
            alt = _parse_parts(pieces)
            if alt.ok and len(alt.units) > len(result.units):
                return alt
    return result


_INNER_WORD = re.compile(
    r"\s(?=(?:xa|phuong|thi tran|dac khu|huyen|quan|thi xa|thanh pho|tinh|tp)[\s.])")


def _split_at_unit_words(raw: str) -> list[str]:
    """"xã A huyện B tỉnh C" written without commas -> its parts, if it starts like a place."""
    folded = fold(raw)
    if len(folded) != len(raw) or _part(raw).level is None:
        return []
    cuts = [m.start() for m in _INNER_WORD.finditer(folded)]
    bounds = [0, *cuts, len(raw)]
    return [raw[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False) if raw[a:b].strip()]


def _parse_parts(written: list[str]) -> PlaceParse:
    parts = [_part(w) for w in written]
    out: list[str] = []
    units: list[Unit] = []
    scores: list[float] = []
    problems: list[str] = []
    parent: Unit | None = None
    floor = 0  # the lowest level matched so far: parts to the left must be below it
    for part in reversed(parts):
        match = _match_part(part, floor, parent)
        if match:
            unit, score = match
            parent, floor = unit, unit.level
            units.append(unit)
            scores.append(score)
            written_key = key(part.name if part.word else part.written)
            if written_key in unit.keys and written_key != key(unit.name) and len(written_key) > 4:
                out.append(_as_written(part))  # an old name of the unit: keep it as written
            else:
                out.append(f"{unit.type.lower()} {unit.name}")
        else:
            if part.level in (1, 2, 3, -1):
                problems.append(f"không tìm thấy {part.word.lower()} {part.name}")
                scores.append(0.2)
            out.append(_as_written(part))
    out.reverse()
    value = ", ".join(out)
    value = value[:1].upper() + value[1:]
    if units:
        evidence = sum(scores) / len(scores)
    else:
        evidence = 0.3 if not problems else 0.1
    return PlaceParse(value, round(evidence, 4), not problems, "; ".join(problems),
                      tuple(reversed(units)))


@lru_cache(maxsize=4096)  # a book names the same villages again and again
def respell(text: str) -> str:
    """The written place with each recognised unit's name in its official spelling, keeping
    the writer's unit words, abbreviations, separators and case ("X. Co Ma, H. Thuận Chau"
    -> "X. Co Mạ, H. Thuận Châu"); parts that are no unit (bản, thôn) stay as written. The
    decoder offers this as a reading of its own (``models.field_decoder``)."""
    raw = clean(text)
    written = _split(raw) if raw and len(raw) <= 400 else []
    if not written or len(written) > MAX_PARTS:
        return raw
    fixes: list[tuple[str, str]] = []  # right to left
    parent: Unit | None = None
    floor = 0
    for part in reversed([_part(w) for w in written]):
        match = _match_part(part, floor, parent)
        if not match:
            continue
        unit = match[0]
        parent, floor = unit, unit.level
        name = part.name if part.word else part.written
        k = key(name)
        if k in unit.keys and k != key(unit.name) and len(k) > 4:
            continue  # an old name of the unit: kept as written
        new = unit.name.upper() if name.isupper() and len(name) > 1 else unit.name
        extra = len(name.split()) - len(new.split())
        if extra < 0:
            continue  # a respelling corrects letters, never adds words
        if extra > 0:  # "chường Thạch Thang": the tail names the unit, the head stays
            name = " ".join(name.split()[extra:])
        if new != name:
            fixes.append((name, new))
    pos = len(raw)
    for name, new in fixes:
        at = raw.rfind(name, 0, pos)
        if at >= 0:
            raw, pos = raw[:at] + new + raw[at + len(name):], at
    return raw


def _match_part(part: Part, floor: int, parent: Unit | None) -> tuple[Unit, float] | None:
    """The unit a part names, below ``floor``; a unit word that turns out to be part of the
    name ("Quan Hồ Thẩn" is a commune, not a quận) is retried as plain text."""
    for level in _levels(part):
        if level > floor:
            name = part.name if part.word else part.written
            if match := _find(name, level, parent, bool(part.word)):
                return match
    if part.word:
        for level in (1, 2, 3):
            if level > floor and (match := _find(part.written, level, parent, fuzzy=False)):
                return match
    return None


def _as_written(part: Part) -> str:
    """A part that is not corrected: its unit word spelt out, the rest as written."""
    if part.word and part.name:
        return f"{part.word.lower()} {part.name}"
    return part.written


@cache
def _by_start() -> dict[tuple[int, str], tuple[Unit, ...]]:
    """Every unit under (level, first letter) and (level, first two letters) of its folded
    key, in the index's order: completing a place looks at the few units that can match
    instead of all ~10,000 (~14 ms a call before)."""
    out: dict[tuple[int, str], list[Unit]] = {}
    for u in admin_index().units.values():
        k = key(u.name)
        for n in (1, 2):
            if len(k) >= n:
                out.setdefault((u.level, k[:n]), []).append(u)
    return {k: tuple(v) for k, v in out.items()}


def complete(prefix: str, limit: int = 10) -> list[str]:
    """Places completing what was typed (review UI): the last part is completed to a unit
    with its district and province; the parts before it are kept. A text that already reads
    as a full place comes first in its corrected spelling."""
    raw = clean(prefix)
    if not raw or len(raw) > 400:
        return []
    out: list[str] = []
    whole = parse_place(raw)
    if whole.ok and whole.units and whole.text != raw:
        out.append(whole.text)
    pieces = _split(raw)
    head, last = pieces[:-1], _part(pieces[-1])
    corrected = whole.text.split(", ")
    if len(corrected) == len(pieces):  # keep the corrected spelling of the parts before
        head = corrected[:-1]
    want = key(last.name)
    if not want:
        return out[:limit]
    levels = [lvl for lvl in _levels(last) if lvl > 0] or [1, 2, 3]
    lead = ", ".join(head)
    ix = admin_index()
    pool: Iterable[Unit] = ix.units.values()
    known = parse_place(", ".join(pieces[:-1])).units if head else ()
    if known:  # the part typed last lies above the deepest unit already written
        chain = [known[-1]]
        while chain[-1].parent:
            chain.append(ix.units[chain[-1].parent])
        pool = chain[1:]
    for level in levels:
        units = pool if known else _by_start().get((level, want[:2]), ())
        for u in units:
            if u.level == level and key(u.name).startswith(want):
                full = _full(u)
                text = f"{lead}, {full[:1].lower()}{full[1:]}" if lead else full
                if text not in out:
                    out.append(text)
                if len(out) >= limit:
                    return out
    return out


def _full(unit: Unit) -> str:
    ix = admin_index()
    chain = [unit]
    while chain[-1].parent:
        chain.append(ix.units[chain[-1].parent])
    text = ", ".join(f"{u.type.lower()} {u.name}" for u in chain)
    return text[:1].upper() + text[1:]
