"""The village part that opens an address: "Thôn Bó Lạn, xã Nam Phong, ...", "Bản Nà Mòn -
Tà Hừa - ...". The village's name is free (never snapped), but the word before it is one of
a few (bản, thôn, xóm, tổ ...), and a hand's "Thôn" read as "Thần" or "Tổ" as "Lê" cost the
reading a word no gazetteer can give back. ``village_variants(text)`` offers the reading with
its first word replaced by each village word, for the decoder to weigh on the image like any
other candidate: the place prior is unchanged (a bonus of 0.25 or 0.5 for opening with a
village word was tried on the training side and read no better than none: 11.75-11.76 % vs
11.75 %, 11.25-11.27 % vs 11.22 %), so the image, the character LM and the unit-word
spelling cost decide.
"""

from __future__ import annotations

from functools import lru_cache

from sohoa.fields.text import clean

# the words that name a place below a commune: the level-0 unit words of
# sohoa.fields.places._PREFIXES that open a village's name (not Đội, Số nhà, Khu),
# plus Buôn and Sóc, which the place parser does not know as unit words yet
VILLAGE_WORDS = ("Bản", "Thôn", "Xóm", "Tổ", "Khối", "Ấp", "Làng", "Buôn", "Sóc", "Tiểu khu",
                 "Khu phố")


@lru_cache(maxsize=8192)
def village_variants(text: str) -> tuple[str, ...]:
    """The reading with its first word replaced by each village word, when the reading has
    several parts and its first part (two words or more) starts with no unit word at all."""
    from sohoa.fields.place_match import _tokens
    from sohoa.fields.places import _part

    raw = clean(text)
    toks = _tokens(raw)
    if len(toks) < 3:
        return ()
    words = toks[0].split()
    if len(words) < 2 or _part(toks[0]).level is not None:
        return ()
    rest = " ".join(words[1:]) + "".join(toks[1:])
    return tuple(f"{w} {rest}" for w in VILLAGE_WORDS if f"{w} {rest}" != raw)
