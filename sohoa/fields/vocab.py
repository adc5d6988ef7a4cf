"""What a field can be, as words for a lexicon-constrained decoder: the syllables of person
names (family, middle, given, with their counts) and the written forms of the closed lists
(sex, ethnic groups, nationalities, relations), each in the cases clerks write them.

``phrases(kind)`` gives (text, count) pairs for the decoder's word LM and ``words(kind)`` the
distinct words with their counts for its trie; kinds without a closed vocabulary give none.
Places have an open part (bản, thôn, "Trạm y tế ...") and a hierarchy a word list cannot say:
they are corrected after decoding (``sohoa.fields.places.respell``) rather than spelt from a
list.
"""

from __future__ import annotations

from collections import Counter
from functools import cache, lru_cache

from sohoa.fields import closed
from sohoa.fields.text import LETTER_RUN, capitalise
from sohoa.records import FieldKind

LEXICON_KINDS = (FieldKind.NAME, FieldKind.SEX, FieldKind.ETHNICITY, FieldKind.NATIONALITY,
                 FieldKind.RELATION)

_CLOSED = {FieldKind.ETHNICITY: ("ethnicities.toml", ("groups", "others")),
           FieldKind.NATIONALITY: ("nationalities.toml", ("countries",)),
           FieldKind.RELATION: ("relations.toml", ("relations",))}
_SEX_FORMS = ("Nam", "Nữ", "Không xác định", "Trai", "Gái", "Con trai", "Con gái",
              "Nam giới", "Nữ giới", "Không rõ", "Chưa xác định")


def _cases(text: str) -> set[str]:
    """A written form as clerks write it: as listed, first word capitalised, every word
    capitalised, all lower and all upper case."""
    words = text.split()
    first = " ".join([capitalise(words[0]), *words[1:]]) if words else text
    return {text, first, " ".join(capitalise(w) for w in words), text.lower(), text.upper()}


@cache
def phrases(kind: FieldKind) -> tuple[tuple[str, float], ...]:
    """(written form, count) pairs of ``kind``'s vocabulary; empty for open kinds."""
    kind = FieldKind(kind)
    out: Counter[str] = Counter()
    if kind == FieldKind.NAME:
        from sohoa.fields.names import lexicon

        lex = lexicon()
        for table in (lex.family, lex.middle, lex.given):
            for form, count in table.items():
                for w in form.split():
                    out[w] += count
                    out[w.upper()] += max(1, count // 10)
    elif kind == FieldKind.SEX:
        for form in _SEX_FORMS:
            for c in _cases(form):
                out[c] += 1
    elif kind in _CLOSED:
        name, tables = _CLOSED[kind]
        data = closed._load_toml(name)
        for table in tables:
            for canonical, aliases in closed._entries(data, table, name):
                for form in (canonical, *aliases):
                    for c in _cases(form):
                        out[c] += 2 if form == canonical else 1
    return tuple(sorted(out.items()))


@cache
def written_forms(kind: FieldKind) -> tuple[str, ...]:
    """Every written form of ``kind``'s vocabulary (``phrases``), each once."""
    return tuple(dict.fromkeys(" ".join(t.split()) for t, _ in phrases(kind)))


@cache
def own_names(kind: FieldKind) -> tuple[str, ...]:
    """The written forms of each entry's own name in a closed list: the canonical name and
    the aliases spelt with the same letters once case, marks, spaces and hyphens are folded
    (``Khơ-mú``, ``Khơ Mú``), in the cases clerks write; not the other names an entry is
    known by (``Cao`` for Cơ-tu, ``Mèo`` for Mông). Empty for kinds without such a list."""
    from sohoa.fields.text import key

    kind = FieldKind(kind)
    if kind not in _CLOSED:
        return ()
    name, tables = _CLOSED[kind]
    data = closed._load_toml(name)
    out: set[str] = set()
    for table in tables:
        for canonical, aliases in closed._entries(data, table, name):
            for form in (canonical, *(a for a in aliases if key(a) == key(canonical))):
                out |= _cases(form)
    return tuple(sorted(out))


@cache
def words(kind: FieldKind) -> dict[str, float]:
    """The distinct space-free words of ``kind``'s vocabulary with their counts."""
    out: Counter[str] = Counter()
    for text, count in phrases(kind):
        for w in text.split():
            out[w] += count
    return dict(out)


# the prior of a reading of a kind with a closed list or a grammar (models.field_decoder),
# tuned on training-side stroke writers (benchmarks/decode_tune.py): 0 for a listed form,
# PRIOR_PARSES for a reading the field's parser still accepts (an alias, a date in any
# written form), PRIOR_OTHER for anything else (the escape: still read when the image is clear)
PRIOR_PARSES = 1.5
PRIOR_OTHER = 4.0
GRAMMAR_KINDS = (FieldKind.DATE, FieldKind.YEAR, FieldKind.NUMBER)


# the words a date is written with (any case): "ngày 5 tháng 1 năm 2003", "mồng 5", "(AL)"
DATE_WORDS = frozenset({"ngày", "tháng", "năm", "mồng", "mùng", "âm", "lịch", "dương", "al"})


def date_words_only(text: str) -> bool:
    """Whether every word of letters in a date reading is a date word (or there is none)."""
    return all(w.lower() in DATE_WORDS for w in LETTER_RUN.findall(text))


@cache
def _listed(kind: FieldKind) -> frozenset[str]:
    return frozenset(t for t, _ in phrases(kind))


@lru_cache(maxsize=16384)
def field_prior(kind: FieldKind, text: str) -> float:
    """Log prior of a reading of a closed-list kind (sex, ethnic group, nationality,
    relation) or a grammar kind (date, year, register number): listed forms 0, what the
    parser accepts ``-PRIOR_PARSES`` (a grammar kind 0, but a date with words other than
    a date's ``-PRIOR_PARSES``), anything else ``-PRIOR_OTHER`` (but a date's words alone,
    one line of a wrapped date, ``-PRIOR_PARSES``)."""
    from sohoa.fields.parse import parse_field

    kind = FieldKind(kind)
    if kind not in GRAMMAR_KINDS and " ".join(text.split()) in _listed(kind):
        return 0.0
    pv = parse_field(kind, text)
    if pv.ok and pv.value:
        if kind == FieldKind.NUMBER and pv.evidence < 1.0:
            return -PRIOR_PARSES  # a number among other writing ("M4", "12 KS")
        if kind == FieldKind.DATE and not date_words_only(text):
            return -PRIOR_PARSES  # "ngễy 5 Phăng 1ăm 2003": a date's words misspelt
        return -PRIOR_PARSES if kind not in GRAMMAR_KINDS else 0.0
    if kind == FieldKind.DATE and LETTER_RUN.search(text) and date_words_only(text):
        return -PRIOR_PARSES  # one line of a wrapped date ("ngày 5 tháng"), spelt right
    return -PRIOR_OTHER
