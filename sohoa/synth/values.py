"""Consistent values for one register entry, and how a given clerk writes them.

``sample_facts`` draws the people and events of one entry (registration after birth, parents
18-45 years older, death after birth ...); ``sample_value`` turns one template field into the
text as written (the writer's own date format) and its normalised 158 value (dates
``dd.mm.yyyy``, sex ``1``/``2``, ethnicity and nationality as names, ``so`` as ``12/2008``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from sohoa.records import FieldKind, nfc
from sohoa.synth import lexicon as lx
from sohoa.synth.people import (
    BookInfo,
    Person,
    address,
    full_name,
    health_place,
    person,
    pick,
    sample_book,
    sample_ethnicity,
)
from sohoa.template import FieldSpec

DATE_STYLES = ("dd/mm/yyyy", "d/m/yyyy", "d-m-yyyy", "d.m.yy", "dd.mm.yyyy", "long", "d/m/yy")
_DATE_WEIGHTS = (0.3, 0.2, 0.12, 0.08, 0.14, 0.08, 0.08)


@dataclass(frozen=True)
class Writer:
    """One clerk's habits: date format, place style, how often they abbreviate."""

    date_style: str
    place_style: int  # see people.address
    year_prefix: str  # "" or "SN " / "Sinh năm " before a parent's year
    nationality: str  # "Việt Nam" or "VN"
    sprawl: float = 0.0  # how far (fraction of the row) writing may cross the cell's lines


@dataclass(frozen=True)
class FieldValue:
    text: str  # as written in the cell
    value: str  # normalised 158 value


@dataclass(frozen=True)
class EntryFacts:
    """What one register entry says, before anyone writes it down."""

    register_type: str
    so: int
    registered: dt.date
    people: dict[str, Person | None] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    partial_birth: bool = False  # a deceased person's birth known only as a year


@dataclass(frozen=True)
class ValueContext:
    book: BookInfo
    facts: EntryFacts
    writer: Writer


def sample_writer(rng: np.random.Generator) -> Writer:
    style = DATE_STYLES[int(rng.choice(len(DATE_STYLES), p=_DATE_WEIGHTS))]
    prefix = "" if rng.random() < 0.8 else pick(rng, ("SN ", "Sinh năm ", "NS "))
    nationality = "Việt Nam" if rng.random() < 0.9 else "VN"
    sprawl = 0.0 if rng.random() < 0.7 else float(rng.uniform(0.04, 0.14))
    return Writer(style, int(rng.integers(3)), prefix, nationality, sprawl)


def write_date(d: dt.date, style: str) -> str:
    """A date in one of the formats clerks use (05/03/2008, 5-3-2008, 5.3.08, long form ...)."""
    if style == "dd/mm/yyyy":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style == "d/m/yyyy":
        return f"{d.day}/{d.month}/{d.year}"
    if style == "d-m-yyyy":
        return f"{d.day}-{d.month}-{d.year}"
    if style == "d.m.yy":
        return f"{d.day}.{d.month}.{d.year % 100:02d}"
    if style == "dd.mm.yyyy":
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if style == "long":
        return f"ngày {d.day} tháng {d.month} năm {d.year}"
    if style == "d/m/yy":
        return f"{d.day}/{d.month}/{d.year % 100:02d}"
    raise ValueError(f"unknown date style {style!r}")


def norm_date(d: dt.date) -> str:
    return f"{d.day:02d}.{d.month:02d}.{d.year}"


def registration_date(book: BookInfo, so: int, rng_u: float) -> dt.date:
    """Registration dates grow with the number ``so`` across the whole book (never backwards)."""
    day = int((so - 1 + 0.9 * rng_u) * book.days_per_entry)
    return dt.date(book.year, 1, 2) + dt.timedelta(days=day)


def _years(d: dt.date, years: int) -> dt.date:
    return d.replace(year=d.year - years, day=min(d.day, 28))


def _facts_ks(rng: np.random.Generator, book: BookInfo, so: int, reg: dt.date) -> EntryFacts:
    late = rng.random() < 0.08
    birth = reg - dt.timedelta(days=int(rng.integers(365 * 2, 365 * 15) if late else
                                        rng.integers(1, 75)))
    sex = "Nam" if rng.random() < 0.51 else "Nữ"
    eth_father = sample_ethnicity(rng)
    eth_mother = eth_father if rng.random() < 0.85 else sample_ethnicity(rng)
    mother = person(rng, "Nữ", eth_mother, _years(birth, 45), _years(birth, 18))
    father = None
    if rng.random() < 0.9:
        father = person(rng, "Nam", eth_father, _years(birth, 50), _years(birth, 19))
    eth_child = eth_father if father else eth_mother
    family = father.name.split()[0] if father else mother.name.split()[0]
    child = Person(full_name(rng, sex, eth_child, family), sex, birth, eth_child)
    relation = pick(rng, lx.RELATIONS_KS)
    if relation == "Cha" and father:
        declarant: Person | None = father
    elif relation in ("Cha", "Mẹ"):
        relation, declarant = "Mẹ", mother
    else:
        elder_sex = "Nam" if relation.startswith(("Ông", "Bác", "Chú")) else "Nữ"
        declarant = person(rng, elder_sex, eth_father, _years(birth, 80), _years(birth, 38),
                           family if relation.endswith("nội") else "")
    if rng.random() < 0.7:
        born_at = health_place(rng, book)
    else:
        born_at = address(rng, book, int(rng.integers(3)))
    home = address(rng, book, int(rng.integers(3)), local=0.85, village=rng.random() < 0.3)
    note = ""
    if late:
        note = "Đăng ký quá hạn"
    elif rng.random() < 0.06:
        note = pick(rng, lx.NOTES_KS)
    return EntryFacts(
        "KS", so, reg,
        people={"nks": child, "me": mother, "cha": father, "nyc": declarant},
        places={"nksNoiSinh": born_at, "nksQueQuan": home},
        texts={"nycQuanHe": relation, "ghiChu": note},
    )


def _facts_kt(rng: np.random.Generator, book: BookInfo, so: int, reg: dt.date) -> EntryFacts:
    died = reg - dt.timedelta(days=int(rng.integers(0, 40)))
    sex = "Nam" if rng.random() < 0.55 else "Nữ"
    eth = sample_ethnicity(rng)
    dead = person(rng, sex, eth, _years(died, 98), _years(died, 1))
    relation = pick(rng, lx.RELATIONS_KT)
    decl_sex = "Nữ" if relation in ("Vợ", "Con gái", "Mẹ") else "Nam"
    declarant = person(rng, decl_sex, eth, _years(died, 70), _years(died, 18))
    home = address(rng, book, int(rng.integers(3)), local=0.95)
    at = home if rng.random() < 0.7 else health_place(rng, book)
    if at == home and rng.random() < 0.5:
        at = "Tại nhà"
    cause = pick(rng, lx.CAUSES_OF_DEATH)
    if died.year - dead.birth.year > 75 and rng.random() < 0.5:
        cause = "Già yếu"
    note = pick(rng, lx.NOTES_KT) if rng.random() < 0.05 else ""
    return EntryFacts(
        "KT", so, reg,
        people={"nkt": dead, "nyc": declarant},
        places={"nktNoiCuTru": home, "nktNoiChet": at},
        texts={"nycQuanHe": relation, "nktNguyenNhanChet": cause, "ghiChu": note,
               "nktNgayChet": norm_date(died)},
        partial_birth=rng.random() < 0.3,
    )


def _facts_kh(rng: np.random.Generator, book: BookInfo, so: int, reg: dt.date) -> EntryFacts:
    eth = sample_ethnicity(rng)
    # most couples marry young; the wife is usually 0-6 years younger, never under 18
    age = int(np.clip(rng.gamma(2.0, 3.0) + 20, 20, 60))
    husband = person(rng, "Nam", eth, _years(reg, age + 1), _years(reg, age))
    gap = int(np.clip(round(rng.normal(3, 3)), -5, 15))
    wife_age = int(np.clip(age - gap, 18, 60))
    wife = person(rng, "Nữ", eth if rng.random() < 0.8 else sample_ethnicity(rng),
                  _years(reg, wife_age + 1), _years(reg, wife_age))
    note = pick(rng, lx.NOTES_KH) if rng.random() < 0.05 else ""
    return EntryFacts(
        "KH", so, reg,
        people={"chong": husband, "vo": wife},
        places={"chongNoiCuTru": address(rng, book, int(rng.integers(3)), local=0.85),
                "voNoiCuTru": address(rng, book, int(rng.integers(3)), local=0.7)},
        texts={"ghiChu": note},
    )


def sample_facts(rng: np.random.Generator, book: BookInfo, so: int, reg: dt.date) -> EntryFacts:
    """The facts of one entry of the book's register type (unknown types: birth-like)."""
    make = {"KT": _facts_kt, "KH": _facts_kh}.get(book.register_type, _facts_ks)
    return make(rng, book, so, reg)


def _person_for(field_name: str, facts: EntryFacts) -> tuple[bool, Person | None]:
    for prefix, who in facts.people.items():
        if field_name.startswith(prefix) and field_name[len(prefix):][:1].isupper():
            return True, who
    return False, None


def _date_value(d: dt.date, ctx: ValueContext, rng: np.random.Generator) -> FieldValue:
    style = ctx.writer.date_style if rng.random() < 0.9 else pick(rng, DATE_STYLES)
    return FieldValue(write_date(d, style), norm_date(d))


def _kind_value(spec: FieldSpec, rng: np.random.Generator, ctx: ValueContext) -> FieldValue:
    """Fallback for fields the generator has no story for: a plausible value of the kind."""
    kind = spec.kind
    if kind == FieldKind.DATE:
        return _date_value(ctx.facts.registered, ctx, rng)
    if kind == FieldKind.YEAR:
        y = str(int(rng.integers(1940, ctx.book.year)))
        return FieldValue(y, y)
    if kind == FieldKind.NAME:
        n = full_name(rng, pick(rng, ("Nam", "Nữ")), sample_ethnicity(rng))
        return FieldValue(n, n)
    if kind == FieldKind.SEX:
        s = pick(rng, ("Nam", "Nữ"))
        return FieldValue(s, "1" if s == "Nam" else "2")
    if kind == FieldKind.ETHNICITY:
        e = sample_ethnicity(rng)
        return FieldValue(e, official_ethnicity(e))
    if kind == FieldKind.NATIONALITY:
        return FieldValue(ctx.writer.nationality, "Việt Nam")
    if kind == FieldKind.PLACE:
        a = address(rng, ctx.book, ctx.writer.place_style)
        return FieldValue(a, a)
    if kind == FieldKind.NUMBER:
        n = str(int(rng.integers(1, 500)))
        return FieldValue(n, n)
    if kind == FieldKind.RELATION:
        r = pick(rng, lx.RELATIONS_KS)
        return FieldValue(r, r)
    return FieldValue("", "")


def sample_value(
    spec: FieldSpec, rng: np.random.Generator, context: ValueContext | None = None
) -> FieldValue | None:
    """The text a clerk writes for ``spec`` and its 158 value; ``None`` for an empty cell
    (no father declared, no note ...). Without a context a fresh book and entry are drawn."""
    if context is None:
        book = sample_book(rng, "KS")
        reg = dt.date(book.year, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        context = ValueContext(book, sample_facts(rng, book, int(rng.integers(1, 300)), reg),
                               sample_writer(rng))
    out = _value(spec, rng, context)
    if out is None or not out.text:
        return None
    return FieldValue(nfc(out.text), nfc(out.value))


def _value(spec: FieldSpec, rng: np.random.Generator, ctx: ValueContext) -> FieldValue | None:
    facts, name = ctx.facts, spec.name
    if name == "so":
        return FieldValue(str(facts.so), f"{facts.so:02d}/{facts.registered.year}")
    if name == "ngayDangKy":
        return _date_value(facts.registered, ctx, rng)
    if name in facts.places:
        return FieldValue(facts.places[name], facts.places[name])
    if name in facts.texts:
        t = facts.texts[name]
        if name.endswith(("NgayChet",)) and t:
            d = dt.datetime.strptime(t, "%d.%m.%Y").date()
            return _date_value(d, ctx, rng)
        return FieldValue(t, t) if t else None
    known, who = _person_for(name, facts)
    if known:
        if who is None:
            return None
        return _person_value(spec, who, rng, ctx)
    return _kind_value(spec, rng, ctx)


def _person_value(
    spec: FieldSpec, who: Person, rng: np.random.Generator, ctx: ValueContext
) -> FieldValue:
    if spec.kind == FieldKind.NAME:
        return FieldValue(who.name, who.name)
    if spec.kind == FieldKind.SEX:
        return FieldValue(who.sex, "1" if who.sex == "Nam" else "2")
    if spec.kind == FieldKind.ETHNICITY:
        return FieldValue(who.ethnicity, official_ethnicity(who.ethnicity))
    if spec.kind == FieldKind.NATIONALITY:
        return FieldValue(ctx.writer.nationality, "Việt Nam")
    if spec.kind == FieldKind.YEAR or (spec.kind == FieldKind.DATE and ctx.facts.partial_birth):
        y = str(who.birth.year)
        return FieldValue(ctx.writer.year_prefix + y, y)
    if spec.kind == FieldKind.DATE:
        return _date_value(who.birth, ctx, rng)
    return _kind_value(spec, rng, ctx)


def official_ethnicity(name: str) -> str:
    """The official name of the group (the 54-group lexicon's spelling, as 158 wants it)."""
    from sohoa.fields import parse_field

    parsed = parse_field(FieldKind.ETHNICITY, name)
    return parsed.value if parsed.ok else name
