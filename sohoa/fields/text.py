"""Text helpers shared by the field parsers: cleaning, diacritic folding, syllable checks.

Cleaning makes OCR output look like what a clerk would type (NFC, one space, no control
characters, look-alike Cyrillic/Greek letters and the Icelandic eth mapped to Vietnamese ones);
folding removes diacritics so lexicon look-ups survive OCR accent errors.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from sohoa.records import nfc

# Cyrillic and Greek letters that OCR engines and copy-paste put in place of Latin ones.
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "І": "I", "ο": "o", "α": "a", "Ο": "O", "Α": "A", "Β": "B", "Ε": "E",
    "Κ": "K", "Μ": "M", "Ν": "N", "Τ": "T", "Χ": "X", "ı": "i",
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u2013": "-", "\u2014": "-",
    "\u2010": "-", "\u2011": "-", "\u2212": "-", "\u00a0": " ", "\u3000": " ",
})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """NFC, eth -> Đ, look-alikes -> Latin, control characters dropped, whitespace collapsed."""
    if not text:
        return ""
    text = nfc(str(text)).translate(_CONFUSABLES)
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _fold_table() -> dict[int, str | None]:
    """Latin letters with diacritics (precomposed, U+00C0-U+024F and U+1E00-U+1EFF) -> base
    letters; combining marks (NFD input) -> nothing; đ/Đ -> d."""
    table: dict[int, str | None] = {cp: None for cp in range(0x300, 0x370)}
    for start, end in ((0xC0, 0x250), (0x1E00, 0x1F00)):
        for cp in range(start, end):
            base = "".join(c for c in unicodedata.normalize("NFD", chr(cp))
                           if not unicodedata.combining(c))
            if base != chr(cp):
                table[cp] = base
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case without diacritics (``Đường`` -> ``duong``); for look-ups, never for output."""
    return text.translate(_FOLD).lower()


@lru_cache(maxsize=131_072)
def key(text: str) -> str:
    """Folded and stripped of everything but letters and digits: a compact look-up key.
    Memoised (pure): completing a place compares the typed text with every unit's key, and
    recomputing ~10,000 unit keys per suggestion cost the review screen ~40 ms."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def lower_key(text: str) -> str:
    """Lower case with diacritics kept and spaces/punctuation collapsed: an exact look-up key."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def capitalise(word: str) -> str:
    """First letter of each hyphen/apostrophe part upper case, the rest lower (``h'mông``)."""
    low = word.lower()
    if "-" not in low and "'" not in low:  # one part (nearly every syllable): no regex
        return low[:1].upper() + low[1:]
    parts = re.split(r"([-'])", low)
    return "".join(p[:1].upper() + p[1:] for p in parts)


LETTER_RUN = re.compile(r"[^\W\d_]+")  # a run of letters (any script, no digits)


def _word_case(m: re.Match[str]) -> str:
    w = m.group(0)
    if len(w) > 1 and w[1:] != w[1:].lower() and w != w.upper():
        return w[0] + w[1:].lower()
    return w


def fix_word_case(text: str) -> str:
    """Words in mixed case made regular: an upper-case letter after the first in a word that
    also has lower-case letters is lowered (``THị`` -> ``Thị``, ``tHáng`` -> ``tháng``); words
    all in capitals (``LÒ``) and hyphen/apostrophe parts (``H'Mông``) are left as they are.
    Register values are written in lower, title or upper case, never in mixed case."""
    return LETTER_RUN.sub(_word_case, text)


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


# Tone marks (combining) used by Vietnamese; letters with hats/horns/breve stay in the base.
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def strip_tone(syllable: str) -> tuple[str, int]:
    """The syllable without its tone mark and how many tone marks it carried."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    tones = sum(1 for c in decomposed if c in TONES)
    base = "".join(c for c in decomposed if c not in TONES)
    return unicodedata.normalize("NFC", base), tones


ONSETS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
           "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "q", "r", "s", "t", "v", "x", "")
RHYMES = frozenset("""
a ac ach ai am an ang anh ao ap at au ay ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât âu ây
e ec em en eng eo ep et ê êch êm ên ênh êp êt êu
i ia ich iêc iêm iên iêng iêp iêt iêu im in inh ip it iu
o oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oc oe oen oeo oet oi
om on ong oong op ot ooc ô ôc ôi ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt
u ua uân uâng uât uây uc uê uêch uênh ui um un ung uơ uôc uôi uôm uôn uông uôt up ut uy uya
uych uyên uyêt uynh uyt uyu uyn ưa ư ưc ưi ưng ươc ươi ươm ươn ương ươp ươt ươu ưt ưu ưm ưn
y yêm yên yêng yêt yêu
""".split())


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """Whether ``word`` is a well-formed Vietnamese syllable (onset + known rhyme, one tone;
    -p/-t/-c/-ch endings only with sắc or nặng). Minority names often are not, by design."""
    base, tones = strip_tone(word)
    if tones > 1 or not base.isalpha():
        return False
    tone_marks = [c for c in unicodedata.normalize("NFD", word.lower()) if c in TONES]
    for onset in ONSETS:
        if not base.startswith(onset):
            continue
        rhyme = base[len(onset):]
        if onset == "gi" and rhyme == "":
            rhyme = "i"
        if onset == "qu" and rhyme == "":
            continue
        if rhyme not in RHYMES and not (onset == "gi" and "i" + rhyme in RHYMES):
            continue
        if rhyme.endswith(("p", "t", "c", "ch")) and tone_marks not in (["\u0301"], ["\u0323"]):
            continue
        return True
    return False


_FOREIGN = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


def foreign_letters(text: str) -> bool:
    """Whether ``text`` holds letters outside the Latin script Vietnamese is written in."""
    return _FOREIGN.search(text) is not None
