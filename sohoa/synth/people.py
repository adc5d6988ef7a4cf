"""Synthetic people and places of a north-western commune: names that follow each ethnic
group's naming customs, villages, and the commune a register book belongs to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sohoa.synth import lexicon as lx


@dataclass(frozen=True)
class Person:
    name: str
    sex: str  # "Nam" | "Nữ"
    birth: dt.date
    ethnicity: str


@dataclass(frozen=True)
class BookInfo:
    """The book a page belongs to: commune, year, volume, villages, numbering pace."""

    register_type: str
    year: int
    volume: str
    place: lx.Place
    villages: tuple[str, ...]
    days_per_entry: float


def pick(rng: np.random.Generator, items: tuple[str, ...] | list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def sample_ethnicity(rng: np.random.Generator) -> str:
    names = list(lx.ETHNIC_WEIGHTS)
    p = np.array([lx.ETHNIC_WEIGHTS[n] for n in names])
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def family_name(rng: np.random.Generator, ethnicity: str) -> str:
    if ethnicity in lx.FAMILY_NAMES and rng.random() < 0.9:
        return pick(rng, lx.FAMILY_NAMES[ethnicity])
    words, probs = lx.counted("surname_counts.tsv")
    return words[int(rng.choice(len(words), p=probs))]


def full_name(rng: np.random.Generator, sex: str, ethnicity: str, family: str = "") -> str:
    """A full name in the customs of the group: Mông men often ``Giàng A Páo``, Thái and Kinh
    use Văn/Thị or a Kinh middle name."""
    family = family or family_name(rng, ethnicity)
    male = sex == "Nam"
    if ethnicity in lx.GIVEN_NAMES and rng.random() < 0.8:
        given = pick(rng, lx.GIVEN_NAMES[ethnicity][0 if male else 1])
        if ethnicity == "Mông":
            middle = ("A" if rng.random() < 0.55 else "Văn") if male else (
                "Thị" if rng.random() < 0.75 else "Mí")
        else:
            middle = "Văn" if male else "Thị"
        if " " in given or rng.random() < 0.08:
            return f"{family} {given}"
        return f"{family} {middle} {given}"
    given = pick(rng, lx.given_names(sex))
    if rng.random() < 0.45:
        middle = "Văn" if male else "Thị"
        given = given.split()[-1] if rng.random() < 0.7 else given
        return f"{family} {middle} {given}"
    return f"{family} {given}"


def random_date(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    span = max(0, (end - start).days)
    return start + dt.timedelta(days=int(rng.integers(span + 1)))


def person(
    rng: np.random.Generator, sex: str, ethnicity: str, born_from: dt.date, born_to: dt.date,
    family: str = "",
) -> Person:
    return Person(
        full_name(rng, sex, ethnicity, family), sex, random_date(rng, born_from, born_to), ethnicity
    )


def village_name(rng: np.random.Generator) -> str:
    return f"{pick(rng, lx.VILLAGE_FIRST)} {pick(rng, lx.VILLAGE_SECOND)}"


def sample_book(rng: np.random.Generator, register_type: str) -> BookInfo:
    """A commune book: a rural commune of the north-west, a year 1995-2015, 6-12 villages."""
    places = [p for p in lx.communes() if p.ward_type == "Xã"] or list(lx.communes())
    place = places[int(rng.integers(len(places)))]
    villages = tuple(sorted({village_name(rng) for _ in range(int(rng.integers(6, 13)))}))
    year = int(rng.integers(1995, 2016))
    vol = int(rng.integers(1, 4))
    volume = f"{vol:02d}" if rng.random() < 0.7 else str(vol)
    pace = float(rng.uniform(0.8, 4.0))
    return BookInfo(register_type, year, volume, place, villages, pace)


def address(
    rng: np.random.Generator, book: BookInfo, style: int, local: float = 0.8,
    village: bool = True,
) -> str:
    """A place as a clerk writes it. style 0: full with unit words, 1: commune-district-province
    with dashes, 2: short with commas. Mostly a village of the book's own commune."""
    if rng.random() < local:
        p = book.place
        vil = pick(rng, book.villages)
    else:
        same = [c for c in lx.communes() if c.province == book.place.province] or [book.place]
        p = same[int(rng.integers(len(same)))]
        vil = village_name(rng)
    ward_word = p.ward_type.lower() if style == 0 else ""
    dist_word = p.district_type.lower() if style == 0 else ""
    parts = [
        f"{ward_word} {p.ward}".strip(),
        f"{dist_word} {p.district}".strip(),
        f"tỉnh {p.province}" if style == 0 else p.province,
    ]
    if village:
        parts.insert(0, f"{pick(rng, lx.VILLAGE_PREFIXES)} {vil}")
    sep = " - " if style == 1 else ", "
    text = sep.join(parts)
    return text[0].upper() + text[1:]


def health_place(rng: np.random.Generator, book: BookInfo) -> str:
    tpl = pick(rng, lx.HEALTH_PLACES)
    p = book.place
    return tpl.format(ward=p.ward, district=p.district, province=p.province)
