"""Places of birth and death that name a health facility by its seat: "Trạm y tế xã Na
Sang", "Trung tâm y tế huyện Văn Yên", "Bệnh viện đa khoa tỉnh Lào Cai".

Such a place is a closed phrase (the facility kind) followed by one administrative unit,
often with no district or province after it, so the gazetteer chains of
``sohoa.fields.place_match`` (which look a lone commune up only inside its parents) cannot
tell a commune's name from garble there. Here the unit after a facility kind is looked up in
the whole country among the levels that kind sits at (a commune health station, a district
health centre, a district or provincial general hospital):

- ``facility_variants(text)``: readings with the facility kind and its seat respelt as the
  closest facility phrases and units name them (for the decoder to weigh on the image: the
  image decides, these are only candidates);
- ``seat_unit(text)``: the unit a facility reading names exactly, if any (for the prior).
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz, process

from sohoa.fields.text import key

# how health facilities and the home are named in place-of-birth/death fields (the unit
# after them is matched as usual); closed list, lower case
FACILITIES = ("trạm y tế", "bệnh viện đa khoa", "bệnh viện", "trung tâm y tế", "nhà hộ sinh",
              "phòng khám đa khoa", "tại nhà", "tại trạm y tế", "tại bệnh viện")
# the facility kinds named after the unit they serve, with the levels that unit may be
# (1 province, 2 district, 3 commune); kinds named otherwise ("Bệnh viện Phụ sản ...") are
# free text
SEATS: dict[str, tuple[int, ...]] = {
    "trạm y tế": (3,),
    "tại trạm y tế": (3,),
    "trung tâm y tế": (2,),
    "bệnh viện đa khoa": (1, 2),
    "phòng khám đa khoa": (2, 3),
    "nhà hộ sinh": (2, 3),
}
HEAD_CUTOFF = 70  # rapidfuzz ratio of a reading's first words to a facility kind
SEAT_TOP = 32  # seats offered per facility kind (the closest as read)
MAX_LEN = 90  # longer readings are addresses, not a facility and its seat


def facility_of(text: str) -> tuple[str, str]:
    """(facility kind as written, the rest) when ``text`` starts with a listed kind
    exactly (any case); ("", text) otherwise."""
    low = text.lower()
    fac = max((f for f in FACILITIES if low.startswith(f + " ")), key=len, default="")
    return (text[: len(fac)], text[len(fac):].strip()) if fac else ("", text)


@lru_cache(maxsize=8)
def _seats(levels: tuple[int, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Folded keys and texts ("xã Na Sang") of every unit of ``levels`` in the country,
    once per text."""
    from sohoa.fields.admin_units import admin_index

    texts = sorted({u.full for u in admin_index().units.values() if u.level in levels})
    return tuple(key(t) for t in texts), tuple(texts)


@lru_cache(maxsize=8192)
def seat_unit(text: str) -> str | None:
    """The seat ("xã Na Sang") a facility reading names exactly as some unit of the levels
    its kind sits at, or None."""
    fac, rest = facility_of(text)
    levels = SEATS.get(fac.lower())
    if not levels or not rest:
        return None
    return _seat_index(levels).get(key(rest))


@lru_cache(maxsize=8)
def _seat_index(levels: tuple[int, ...]) -> dict[str, str]:
    """Folded key -> the first seat text with it (``_seats`` order)."""
    index: dict[str, str] = {}
    for k, t in zip(*_seats(levels), strict=True):
        index.setdefault(k, t)
    return index


def _kinds_near(text: str) -> list[tuple[str, int]]:
    """The seated facility kinds the reading's first words are close to, with how many
    words of the reading they take (one fewer to one more than the kind has)."""
    words = text.split()
    out: list[tuple[float, str, int]] = []
    for fac in SEATS:
        n = len(fac.split())
        best = max(((fuzz.ratio(" ".join(words[:m]).lower(), fac), m)
                    for m in range(max(1, n - 1), min(len(words) - 1, n + 1) + 1)),
                   default=(0.0, 0))
        if best[0] >= HEAD_CUTOFF:
            out.append((best[0], fac, best[1]))
    out.sort(reverse=True)
    return [(fac, m) for _, fac, m in out[:2]]


@lru_cache(maxsize=8192)
def facility_variants(text: str) -> tuple[str, ...]:
    """Readings of ``text`` as a facility kind and its seat, the closest seats first; the
    reading itself left out. Only for readings that start like a seated facility kind."""
    text = " ".join(text.split())
    if not text or len(text) > MAX_LEN or "," in text:
        return ()
    out: list[str] = []
    for fac, m in _kinds_near(text):
        rest = " ".join(text.split()[m:])
        keys, texts = _seats(SEATS[fac])
        head = fac[:1].upper() + fac[1:]
        for _, _, i in process.extract(key(rest), keys, scorer=fuzz.ratio, limit=SEAT_TOP):
            v = f"{head} {texts[i]}"
            if v != text and v not in out:
                out.append(v)
    return tuple(out)
