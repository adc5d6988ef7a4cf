"""Person names: cleaning, capitalisation, lexicon priors and cautious syllable repair.

The shared experiment found that snapping name syllables to a list made names WORSE (real
given names are not all in any list), so this module only (1) scores names by how familiar
their syllables are in their position, for choosing among an engine's alternatives, and
(2) repairs a syllable when the evidence is strong: it is not a Vietnamese syllable at all, or
the whole name was written without any diacritics, and one lexicon form clearly dominates.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from sohoa.fields.text import capitalise, clean, fold, has_diacritics, is_syllable, key

_NOT_NAME = re.compile(r"[^\w\s'\-]|[\d_]")
_DROPPED = re.compile(r"[^\w\s'\-.,;:()\[\]\"]|[\d_]")
DOMINANCE = 3.0  # a repair needs its form to be this many times likelier than the next one


@dataclass(frozen=True)
class NameLexicon:
    """Counts of syllables by position: family (first), middle, given (last)."""

    family: Counter[str]
    middle: Counter[str]
    given: Counter[str]
    by_key: dict[str, dict[str, Counter[str]]]  # position -> folded key -> forms with counts

    def prob(self, position: str, syllable: str) -> float:
        """Smoothed probability of ``syllable`` (capitalised) in ``position``."""
        table: Counter[str] = getattr(self, position)
        total = sum(table.values()) or 1
        return (table.get(syllable, 0) + 0.1) / (total + 0.1 * 5000)


def _text(rel: str) -> str:
    return resources.files("sohoa").joinpath(f"data/lexicons/{rel}").read_text(encoding="utf-8")


def _counts(rel: str) -> Counter[str]:
    out: Counter[str] = Counter()
    for line in _text(rel).splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) != 2 or not parts[1].strip().isdigit():
            continue
        word = clean(parts[0])
        # the source list holds some mis-encoded (VNI/Windows-1252) names: keep real syllables
        if word and all(is_syllable(w) for w in word.split()):
            out[" ".join(capitalise(w) for w in word.split())] += int(parts[1])
    return out


@cache
def lexicon() -> NameLexicon:
    """Load the name lexicons once (about 30 ms)."""
    family = _counts("names/surname_counts.tsv")
    middle = _counts("names/middle_name_counts.tsv")
    given: Counter[str] = Counter()
    for rel in ("names/boy.txt", "names/girl.txt"):
        for line in _text(rel).splitlines():
            words = [capitalise(w) for w in clean(line).split()]
            if words:
                given[words[-1]] += 3
                for w in words[:-1]:
                    middle[w] += 1
    nw = tomllib.loads(_text("northwest_names.toml"))
    for name, count in nw["family"]:
        family[clean(name)] += int(count)
    for name in nw["given"]:
        given[clean(name)] += 5
    # multi-syllable family names ("Đinh Công") count for their first syllable
    for name in [n for n in family if " " in n]:
        family[name.split()[0]] += family.pop(name)
    by_key: dict[str, dict[str, Counter[str]]] = {}
    for pos, table in (("family", family), ("middle", middle), ("given", given)):
        index: dict[str, Counter[str]] = {}
        for form, count in table.items():
            index.setdefault(key(form), Counter())[form] += count
        by_key[pos] = index
    return NameLexicon(family, middle, given, by_key)


def _position(i: int, n: int) -> str:
    if i == 0 and n > 1:
        return "family"
    return "given" if i == n - 1 else "middle"


def _dominant(forms: Counter[str]) -> str | None:
    ranked = forms.most_common(2)
    if not ranked:
        return None
    if len(ranked) == 1 or ranked[0][1] >= DOMINANCE * ranked[1][1]:
        return ranked[0][0]
    return None


def _repair(word: str, position: str, plain_name: bool) -> str:
    """The syllable as it should be spelt, or unchanged when the evidence is weak."""
    lex = lexicon()
    cap = capitalise(word)
    if is_syllable(cap) and not plain_name:
        return cap
    forms = Counter(lex.by_key[position].get(key(cap), Counter()))
    if not forms:  # look in the other positions too (middle names move around)
        for other in ("given", "middle", "family"):
            forms.update(lex.by_key[other].get(key(cap), Counter()))
    if not forms and re.search(r"[fjwz]", fold(cap)):
        forms = _one_substitution(key(cap), position)
    best = _dominant(forms)
    return best if best else cap


def _one_substitution(k: str, position: str) -> Counter[str]:
    """Lexicon forms whose folded key differs from ``k`` in exactly one letter (``thj``)."""
    out: Counter[str] = Counter()
    for other, forms in lexicon().by_key[position].items():
        if len(other) == len(k) and sum(a != b for a, b in zip(other, k, strict=True)) == 1:
            out.update(forms)
    return out


@dataclass(frozen=True)
class NameParse:
    text: str
    evidence: float
    syllables: int
    dropped: bool  # characters that cannot be in a name were removed


@lru_cache(maxsize=8192)  # pure; the same values and misreads recur on every page
def parse_name(text: str) -> NameParse:
    """Clean, repair and capitalise a person's name and say how name-like it is."""
    raw = clean(text)
    stripped = _NOT_NAME.sub(" ", raw)
    words = [w.strip("'-") for w in stripped.split()]
    words = [w for w in words if w]
    if not words:
        return NameParse("", 0.0, 0, bool(raw))
    plain = not any(has_diacritics(w) for w in words) and len(words) > 1
    n = len(words)
    fixed = [_repair(w, _position(i, n), plain) for i, w in enumerate(words)]
    name = " ".join(fixed)
    # digits and symbols were dropped (not the punctuation a clerk puts around a name)
    dropped = bool(_DROPPED.search(raw))
    return NameParse(name, name_evidence(fixed), n, dropped)


def name_evidence(words: list[str]) -> float:
    """How familiar a name looks, in [0, 1]: syllables known in their position score 1,
    syllables known elsewhere 0.7, well-formed but unknown 0.45, malformed 0.1."""
    if not words:
        return 0.0
    lex = lexicon()
    n = len(words)
    scores = []
    for i, w in enumerate(words):
        pos = _position(i, n)
        table = getattr(lex, pos)
        if table.get(w, 0) > 0:
            scores.append(1.0)
        elif any(t.get(w, 0) > 0 for t in (lex.family, lex.middle, lex.given)):
            scores.append(0.7)
        elif is_syllable(w):
            scores.append(0.45)
        else:
            scores.append(0.1)
    ev = math.exp(sum(math.log(s) for s in scores) / n)  # geometric mean
    if n == 1:
        ev *= 0.5
    elif n > 6:
        ev *= 0.5
    return ev


def name_log_prior(words: list[str]) -> float:
    """Log prior of a name under position-wise syllable frequencies (for ranking readings)."""
    lex = lexicon()
    n = len(words)
    return sum(math.log(lex.prob(_position(i, n), w)) for i, w in enumerate(words)) / max(n, 1)


def complete(prefix: str, limit: int = 10) -> list[str]:
    """Names completing ``prefix`` syllable by syllable, likeliest first (review UI)."""
    words = clean(prefix).split()
    ends_with_space = prefix.endswith(" ")
    done = words if ends_with_space else words[:-1]
    partial = "" if ends_with_space else (words[-1] if words else "")
    position = "family" if not done else "middle" if len(done) == 1 else "given"
    lex = lexicon()
    table: Counter[str] = getattr(lex, position)
    if position == "middle":
        table = table + lex.given
    want = fold(partial)
    head = " ".join(capitalise(w) for w in done)
    out = []
    for form, _ in table.most_common():
        if fold(form).startswith(want):
            out.append(f"{head} {form}".strip())
            if len(out) >= limit:
                break
    return out


# syllable prior of a reading for the decoder (models.field_decoder), tuned on training-side
# stroke writers (benchmarks/decode_tune.py): per syllable PRIOR_FREQ x log P(syllable |
# position); a syllable known only in another position costs PRIOR_ELSEWHERE more, a
# well-formed Vietnamese syllable outside every list PRIOR_OOV (the escape: a rare name is
# still read when the image is clear), a malformed one PRIOR_MALFORMED
PRIOR_FREQ = 0.3
PRIOR_ELSEWHERE = 1.5
PRIOR_OOV = 2.0
PRIOR_MALFORMED = 3.0
_FLOOR = {"elsewhere": math.log(1e-4), "oov": math.log(1e-5)}


@cache
def _totals() -> dict[str, int]:
    lex = lexicon()
    return {p: max(1, sum(getattr(lex, p).values())) for p in ("family", "middle", "given")}


@lru_cache(maxsize=65536)
def _syllable_prior(word: str, position: str) -> float:
    lex = lexicon()
    w = capitalise(word)
    count = getattr(lex, position).get(w, 0)
    if count > 0:
        return PRIOR_FREQ * math.log(count / _totals()[position])
    if any(t.get(w, 0) > 0 for t in (lex.family, lex.middle, lex.given)):
        return PRIOR_FREQ * _FLOOR["elsewhere"] - PRIOR_ELSEWHERE
    if is_syllable(w):
        return PRIOR_FREQ * _FLOOR["oov"] - PRIOR_OOV
    return PRIOR_FREQ * _FLOOR["oov"] - PRIOR_MALFORMED


# an empty slot in a reading (two spaces in a row, a leading or a trailing space: the open
# beam keeps spaces as read, "space, blank, space" is two) is a syllable the reading failed to
# spell: it costs what a malformed syllable costs (rule 60 of benchmarks/results/rules-s34.md;
# before, "Nguyễn  Nhi" had the prior of "Nguyễn Nhi" for an image of "Nguyễn Mỹ Nhi")
EMPTY_SLOTS = True


def empty_slots(text: str) -> int:
    """Empty pieces of ``text`` split at single spaces (none for a name written cleanly)."""
    return sum(1 for w in text.split(" ") if not w) if text.strip() else 0


@lru_cache(maxsize=16384)
def name_prior(text: str) -> float:
    """Log prior of a written name under the syllable lexicons by position, with an
    out-of-vocabulary escape cost per unknown syllable and per empty slot (never minus
    infinity)."""
    words = [w.strip("'-.,") for w in text.split()]
    words = [w for w in words if w]
    if not words:
        return -30.0
    n = len(words)
    empty = empty_slots(text) * (PRIOR_FREQ * _FLOOR["oov"] - PRIOR_MALFORMED) \
        if EMPTY_SLOTS else 0.0
    return sum(_syllable_prior(w, _position(i, n)) for i, w in enumerate(words)) \
        + _pair_prior(words) + empty


# the last two syllables as a pair (tuned on training-side stroke writers): a listed
# two-syllable given name (``boy.txt``/``girl.txt``: "Gia Hân") gains PAIR_BONUS; "Văn" before
# a given syllable listed only for girls, or "Thị" before one listed only for boys, costs
# SEX_MISMATCH (Văn marks men's names and Thị women's)
PAIR_BONUS = 3.0
SEX_MISMATCH = 0.0


@cache
def _pairs() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Listed two-syllable given names, and the last syllables of boys' and girls' names."""
    pairs: set[str] = set()
    last: dict[str, set[str]] = {"boy": set(), "girl": set()}
    for sex in ("boy", "girl"):
        for line in _text(f"names/{sex}.txt").splitlines():
            words = [capitalise(w) for w in clean(line).split()]
            if words:
                last[sex].add(words[-1])
            if len(words) == 2:
                pairs.add(" ".join(words))
    return frozenset(pairs), frozenset(last["boy"]), frozenset(last["girl"])


def _pair_prior(words: list[str]) -> float:
    if len(words) < 3 or not (PAIR_BONUS or SEX_MISMATCH):
        return 0.0
    pairs, boys, girls = _pairs()
    mid, given = capitalise(words[-2]), capitalise(words[-1])
    if f"{mid} {given}" in pairs:
        return PAIR_BONUS
    if (mid == "Văn" and given in girls and given not in boys) or (
            mid == "Thị" and given in boys and given not in girls):
        return -SEX_MISMATCH
    return 0.0


@lru_cache(maxsize=16384)
def name_case(text: str) -> str:
    """A name as names are written: each word capitalised (``Bùi Thị ngân`` -> ``Bùi Thị
    Ngân``), or all in capitals when the writer wrote it so (``LÒ VĂN HÙNG``)."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return text
    return " ".join(capitalise(w) for w in text.split(" "))


def name_known(text: str) -> bool:
    """Whether every word of ``text`` is a listed syllable in its position, written as names
    are (``name_case``), and its last two form a listed pair when the pair prior could
    prefer one (the decoder's shortcut: such a reading is decoded without the priors)."""
    words = text.split()
    if not words or name_case(text) != text or (EMPTY_SLOTS and empty_slots(text)):
        return False  # an empty slot pays in the prior: not settled
    lex = lexicon()
    n = len(words)
    if n >= 3 and PAIR_BONUS and not SETTLED_MIDDLES & {capitalise(words[-2])} \
            and " ".join(capitalise(w) for w in words[-2:]) not in _pairs()[0]:
        return False  # a listed pair one letter away could still gain PAIR_BONUS
    return all(getattr(lex, _position(i, n)).get(capitalise(w), 0) > 0
               for i, w in enumerate(words))


SETTLED_MIDDLES = frozenset({"Văn", "Thị"})  # no listed pair to gain: settled as they are
