"""Free text read as Vietnamese: every well-formed syllable, how common it is, and the prior
of a reading.

Notes and causes of death have no list a decoder could spell from, but every Vietnamese word
is a syllable of a closed shape (onset, rhyme, one tone; ``sohoa.fields.text.is_syllable``),
and some syllables are far more common than others. A reading such as ``Tai nạn giác
thêng``, ``Đuếi nuễc`` or ``Đã sấp Vại`` holds words no writer writes or words rarely
written, so:

- :func:`lower_syllables` are all the well-formed syllables, generated from the onsets,
  rhymes and tones (the tone on the vowel the spelling rules put it on, both placements where
  clerks differ: ``hòa``/``hoà``);
- :func:`frequencies` are how often Vietnamese text uses each: wordfreq's Vietnamese list
  (``wordfreq`` from PyPI, Apache-2.0 code; its word frequencies are CC BY-SA 4.0, read at run
  time from the installed package and never copied into this repository), kept to the
  well-formed syllables (4,703 of its 10,719 words);
- :func:`syllables` is the text kind's lexicon (``models.field_decoder``): every well-formed
  syllable, lower case and capitalised, counted by that frequency (an unlisted one at the
  floor), so the lexicon beam spells the common words first and a rare one is still read;
- :func:`text_prior` is the log prior of a reading: per word ``SCALE x ln(f / REFERENCE)`` for a
  listed syllable, the floor for an unlisted well-formed one, ``MALFORMED`` less for any other
  word; numbers, codes (``12/2005``: any digit) and abbreviations in capitals (``UBND``)
  cost nothing; a capitalised word after the first costs ``CAPITAL`` more.

No register's or generator's word list is used: the words are the language's.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache, lru_cache

from sohoa.fields.text import ONSETS, RHYMES, capitalise, is_syllable

_VOWELS = "aăâeêioôơuưy"
_HATTED = "ăâêôơư"
_TONE_MARKS = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_STOP_TONES = ("\u0301", "\u0323")  # -p, -t, -c, -ch take only sắc or nặng
_WORD_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_ABBREVIATION = re.compile(r"[A-ZĐ]{1,6}")
SCALE = 0.3  # per word: SCALE x ln(frequency / REFERENCE)
REFERENCE = 1e-4  # a word as common as this costs nothing (about the 600th syllable)
FLOOR = 1e-6  # frequency of a well-formed syllable wordfreq does not list (its list's least)
MALFORMED = 2.0  # a word that is no Vietnamese syllable costs this much more than the floor
CAPITAL = 1.0  # a capitalised word inside the text (not the first, not an abbreviation)


def _tone_positions(rhyme: str) -> tuple[int, ...]:
    """Where a rhyme's tone mark goes (old and new placement where they differ)."""
    vowels = [i for i, c in enumerate(rhyme) if c in _VOWELS]
    if not vowels:
        return ()
    hatted = [i for i in vowels if rhyme[i] in _HATTED]
    if hatted:  # ươ -> ơ, ưu -> ư, iê -> ê
        return (hatted[-1],)
    if vowels[-1] != len(rhyme) - 1:  # a final consonant: the last vowel (hoàng, huỳnh)
        return (vowels[-1],)
    if len(vowels) == 1:
        return (vowels[0],)
    if len(vowels) >= 3:  # ngoài, khuỷu, xoáy
        return (vowels[1],)
    if rhyme in ("oa", "oe", "uy"):  # hòa / hoà, thủy / thuỷ: both are written
        return (vowels[0], vowels[1])
    return (vowels[0],)  # mùa, mía, tài, cháu


def _toned(onset: str, rhyme: str, mark: str, at: int) -> str:
    return unicodedata.normalize("NFC", onset + rhyme[: at + 1] + mark + rhyme[at + 1:])


@cache
def lower_syllables() -> frozenset[str]:
    """Every well-formed syllable in lower case."""
    out: set[str] = set()
    rhymes = sorted(RHYMES)
    for onset in ONSETS:
        for rhyme in rhymes + ([""] if onset == "gi" else []):
            if onset == "gi" and rhyme == "":
                rhyme, onset_ = "i", "g"  # gì: the i of gi carries the tone
            else:
                onset_ = onset
            stop = rhyme.endswith(("p", "t", "c", "ch"))
            for mark in _STOP_TONES if stop else _TONE_MARKS:
                for at in _tone_positions(rhyme) if mark else (0,):
                    word = _toned(onset_, rhyme, mark, at) if mark else onset_ + rhyme
                    if is_syllable(word):
                        out.add(word)
    return frozenset(out)


@cache
def frequencies() -> dict[str, float]:
    """Well-formed syllable (lower case) -> its frequency in Vietnamese text (wordfreq)."""
    from wordfreq import get_frequency_dict

    known = lower_syllables()
    return {w: f for w, f in get_frequency_dict("vi", wordlist="best").items() if w in known}


@cache
def syllables() -> dict[str, float]:
    """The text kind's lexicon: every well-formed syllable, lower case and capitalised, with
    its count per ten million words (an unlisted one at the floor)."""
    freq = frequencies()
    out: dict[str, float] = {}
    for w in lower_syllables():
        count = max(freq.get(w, FLOOR), FLOOR) * 1e7
        out[w] = count
        out[capitalise(w)] = count
    return out


def word_prior(word: str) -> float:
    """Log prior of one word of free text (see the module's doc)."""
    core = _WORD_EDGE.sub("", word)
    if not core or any(c.isdigit() for c in core):
        return 0.0
    floor = SCALE * math.log(FLOOR / REFERENCE)
    total = 0.0
    for part in (p for p in re.split(r"[-'/]", core) if p):
        if _ABBREVIATION.fullmatch(part):
            continue
        f = frequencies().get(part.lower())
        if f is not None:
            total += SCALE * math.log(f / REFERENCE)
        elif is_syllable(part):
            total += floor
        else:
            total += floor - MALFORMED
    return total


@lru_cache(maxsize=16384)
def text_prior(text: str) -> float:
    """Log prior of a free-text reading: the sum of its words' priors, less ``CAPITAL``
    for each word after the first that starts with a capital and is not an abbreviation
    (``Ôm Lâu ngày``: a hand's small and capital letters look alike)."""
    words = text.split()
    capitals = sum(1 for w in words[1:]
                   if w[:1].isupper() and not _WORD_EDGE.sub("", w).isupper())
    return sum(word_prior(w) for w in words) - CAPITAL * capitals
