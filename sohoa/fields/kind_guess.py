"""Which field kind a line of unknown kind holds, from a first reading of it.

Trainers' labelled lines (``sohoa evaluate --lines``, ``sohoa train --lines``) carry no field
kind: a folder of addresses, names and notes read alike as plain text, without the gazetteer
that places are decoded with. A line whose first (plain text) reading names an
administrative unit word ("xã", "huyện", "phường", "TP.", ...) before a further word is read
again as a place, and so is one that opens with a hamlet word ("Bản Nà Sản - ..."); every other
line stays text. A word one letter off a longer unit word counts too ("huuện" is "huyện"),
since the first reading is the model's own, unless it is a name syllable ("Phương").
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from sohoa.fields.text import fold, key
from sohoa.records import FieldKind

# unit words that open a place's part; a name holds look-alikes ("Huyền", "Phương", "Quân",
# "Tình"), so a word counts when it is one of these with its marks (any case), or one letter
# off in the folded letters of a longer one when written in lower case or when it is no name
# syllable as written ("Phưàng" is "phường", "Phương" is a name)
UNIT_WORDS = ("xã", "huyện", "tỉnh", "phường", "quận", "thị trấn", "thị xã", "thành phố")
_FOLDED = tuple(fold(w) for w in UNIT_WORDS if len(w) >= 5)
ABBREVIATIONS = re.compile(r"(?<![^\W\d_])(tp|tx|tt|p|q|h|x)\.", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")


def _name_syllable(words: str) -> bool:
    """Some word of ``words`` is a family, middle or given name syllable as written."""
    from sohoa.fields.names import lexicon

    lex = lexicon()
    return any(t.get(w.capitalize(), 0) > 0 for w in words.split()
               for t in (lex.family, lex.middle, lex.given))


def _is_unit(words: list[str], i: int) -> int:
    """How many words from ``i`` make a unit word (0: none)."""
    for n in (2, 1):
        if i + n > len(words):
            continue
        w = " ".join(words[i:i + n])
        if w.lower() in UNIT_WORDS:
            return n
        if len(w) >= 5 and (w.islower() or not _name_syllable(w)) and any(
                Levenshtein.distance(fold(w), f) <= 1 for f in _FOLDED if f.count(" ") == n - 1):
            return n
    return 0


def unit_words(text: str) -> int:
    """How many administrative unit words ``text`` holds followed by a further word
    (abbreviations "TP.", "P.", "Q." ... counted too)."""
    words = _WORD.findall(text)
    n, i = 0, 0
    while i < len(words):
        k = _is_unit(words, i)
        if k and i + k < len(words):
            n += 1
            i += k
        else:
            i += 1
    return n + len(ABBREVIATIONS.findall(text))


HAMLET_WORDS = ("Bản", "Thôn", "Xóm", "Ấp")


def opens_with_hamlet(text: str) -> bool:
    """The line opens with a hamlet word before a capitalised name ("Bản Nà Sản ...")."""
    words = text.split()
    return len(words) >= 2 and words[0] in HAMLET_WORDS and words[1][:1].isupper()


_DATE = re.compile(r"^\s*\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}\s*$")


def names_a_unit(text: str) -> bool:
    """Two or more parts between commas or dashes (split as the place parser splits them),
    one of them a province or district of the gazetteer ("Chiềng Mung - Mai Sơn - Sơn La")."""
    from sohoa.fields.admin_units import admin_index
    from sohoa.fields.places import _split

    parts = _split(text)
    if len(parts) < 2:
        return False
    by_key = admin_index().by_key
    return any((level, key(p)) in by_key for p in parts for level in (1, 2))


def guess_kind(first_reading: str) -> FieldKind:
    """``PLACE`` when the first reading names an administrative unit, opens with a hamlet or
    names a province or district between commas or dashes; ``DATE`` for a day/month/year
    in figures; else ``TEXT`` (names are left as text: on tuning writers' lines, reading the
    lines that look like names as names was no better, 12.38 -> 12.67 % CER)."""
    if (unit_words(first_reading) >= 1 or opens_with_hamlet(first_reading)
            or names_a_unit(first_reading)):
        return FieldKind.PLACE
    if _DATE.match(first_reading):
        return FieldKind.DATE
    return FieldKind.TEXT
