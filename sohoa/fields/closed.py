"""Closed lists (sex, ethnicity, nationality, relation) loaded from data files and matched
forgivingly: exact, then without diacritics, then fuzzy on the folded form.

Snapping to a closed list is what made these fields 95-100 % exact in the handwriting
experiment (shared data README), so a confident match replaces what the engine read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rapidfuzz import fuzz, process

from sohoa.errors import SohoaError
from sohoa.fields.text import key, lower_key


class LexiconError(SohoaError, ValueError):
    """A shipped lexicon file is missing or malformed."""


@dataclass(frozen=True)
class Match:
    name: str  # canonical form
    evidence: float  # 1 exact, ~0.9 diacritics differ, lower for fuzzy matches
    how: str  # "exact" | "folded" | "fuzzy"


@dataclass(frozen=True)
class ClosedSet:
    """Canonical names with their aliases; ``match`` finds the canonical name of a text."""

    names: tuple[str, ...]
    exact: dict[str, str]  # lower_key(alias) -> name
    folded: dict[str, tuple[str, ...]]  # key(alias) -> names sharing that folded form
    fuzzy_keys: tuple[str, ...]  # folded keys long enough to match fuzzily
    forms: dict[str, tuple[str, ...]]  # key(alias) -> the aliases, lower case with diacritics
    min_fuzzy: float = 80.0

    @classmethod
    def build(cls, entries: list[tuple[str, list[str]]], min_fuzzy: float = 80.0,
              min_fuzzy_len: int = 3) -> ClosedSet:
        """``min_fuzzy_len``: the shortest folded form matched fuzzily (shorter ones must
        match exactly or without diacritics)."""
        exact: dict[str, str] = {}
        folded: dict[str, list[str]] = {}
        forms: dict[str, list[str]] = {}
        for name, aliases in entries:
            for form in (name, *aliases):
                exact.setdefault(lower_key(form), name)
                forms.setdefault(key(form), []).append(lower_key(form))
                names = folded.setdefault(key(form), [])
                if name not in names:
                    names.append(name)
        fuzzy_keys = tuple(k for k in folded if len(k) >= min_fuzzy_len)
        return cls(tuple(n for n, _ in entries), exact,
                   {k: tuple(v) for k, v in folded.items()}, fuzzy_keys,
                   {k: tuple(v) for k, v in forms.items()}, min_fuzzy)

    def match(self, text: str) -> Match | None:
        if not text or len(text) > 200:
            return None
        if name := self.exact.get(lower_key(text)):
            return Match(name, 1.0, "exact")
        k = key(text)
        if not k:
            return None
        if names := self.folded.get(k):
            return self._closest(text, names, 0.9, "folded")
        found = process.extract(k, self.fuzzy_keys, scorer=fuzz.ratio, limit=6,
                                score_cutoff=self.min_fuzzy - 15)
        if not found:
            return None
        low = lower_key(text)
        # rescore with the diacritics, so "Tháy" goes to Thái rather than Tày
        scored = sorted(
            ((0.5 * s + 0.5 * max(fuzz.ratio(low, f) for f in self.forms[fk]), fk)
             for fk, s, _ in found), reverse=True)
        score, best_key = scored[0]
        if score < self.min_fuzzy - 5 or found[0][1] < self.min_fuzzy - 10:
            return None
        if len(scored) > 1 and scored[1][0] == score:
            tied = {n for s, fk in scored if s == score for n in self.folded[fk]}
            if len(tied) > 1:
                return None  # two different names are equally close: do not guess
        return self._closest(text, self.folded[best_key], 0.85 * score / 100, "fuzzy")

    @staticmethod
    def _closest(text: str, names: tuple[str, ...], evidence: float, how: str) -> Match:
        if len(names) == 1:
            return Match(names[0], evidence, how)
        low = text.lower()
        best = max(names, key=lambda n: fuzz.ratio(low, n.lower()))
        return Match(best, evidence * 0.7, how)


def _load_toml(name: str) -> dict:
    path = resources.files("sohoa").joinpath(f"data/lexicons/{name}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"{path}: cannot read lexicon: {exc}") from exc


def _entries(data: dict, table: str, path: str) -> list[tuple[str, list[str]]]:
    out = []
    for i, row in enumerate(data.get(table, [])):
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise LexiconError(f"{path}: {table}[{i}] needs a string 'name'")
        out.append((row["name"], [str(a) for a in row.get("aliases", [])]))
    if not out:
        raise LexiconError(f"{path}: no '{table}' entries")
    return out


@dataclass(frozen=True)
class Ethnicity:
    code: str
    name: str


@cache
def ethnic_groups() -> tuple[Ethnicity, ...]:
    """The 54 official groups in code order (01 Kinh ... 54 Rơ Măm)."""
    data = _load_toml("ethnicities.toml")
    groups = tuple(Ethnicity(str(g["code"]), g["name"]) for g in data.get("groups", []))
    if len(groups) != 54 or len({g.code for g in groups}) != 54:
        raise LexiconError("ethnicities.toml: expected 54 groups with distinct codes")
    return groups


@cache
def ethnicities() -> ClosedSet:
    data = _load_toml("ethnicities.toml")
    entries = _entries(data, "groups", "ethnicities.toml")
    entries += _entries(data, "others", "ethnicities.toml")
    # a one-letter slip turns a three-letter alias into another group's name ("Trái" is
    # closer to Bru-Vân Kiều's "Tri" than to Thái): those match exactly or folded only
    return ClosedSet.build(entries, min_fuzzy_len=4)


@cache
def nationalities() -> ClosedSet:
    data = _load_toml("nationalities.toml")
    return ClosedSet.build(_entries(data, "countries", "nationalities.toml"))


@cache
def relations() -> ClosedSet:
    data = _load_toml("relations.toml")
    return ClosedSet.build(_entries(data, "relations", "relations.toml"), min_fuzzy=84.0)


SEX_CODES = {"Nam": "1", "Nữ": "2", "Không xác định": "3"}


@cache
def sexes() -> ClosedSet:
    return ClosedSet.build([
        ("Nam", ["trai", "con trai", "nam giới", "male", "m", "đực", "1"]),
        ("Nữ", ["nu", "nữ giới", "gái", "con gái", "female", "f", "2"]),
        ("Không xác định", ["chưa xác định", "không rõ", "kxđ", "chưa xác định được", "3"]),
    ], min_fuzzy=66.0)
