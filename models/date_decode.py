"""Dates and years read group by group with what each group can be; numbers read as digits.

The best path's alignment cuts a date's CTC frames at its separators ("/", ".", "-", " ");
with three groups each is scored, by exact CTC (``models.fast_decode.ctc_log_probs``),
against every value its slot can hold: a day (1-31, with or without a leading zero), a month
(1-12), a year (1900-2039 or two digits). The best value of each slot gives a reading with
the writer's separators kept ("10/102/2009" -> "10/12/2009", "06/08/098" -> "06/08/1998");
for a year field the last group is read as a year ("NS 198" -> "NS 1982"). The decoder
(``models.field_decoder``) weighs these like any other candidate: exact P(text | image) of the
whole crop and the field's parse prior, so the image keeps its say and no probability is
raised.

A date written out in words (``ngày 5 tháng 1 năm 2003``) has words that can be nothing else,
but a hand's ``tháng`` is often read ``Phăng`` or ``táng``: ``long_date_readings`` offers the
reading (or the line of a wrapped date) with its words respelt as the long form's, its digit
groups each the likeliest value of its slot on its frames, weighed the same way.

A register number's cell holds a number, but a cramped or looped hand is often read as
letters ("30" -> "N", "171" -> "Nữ"): ``number_readings`` offers the best path over the digits
alone (each frame's likeliest of blank and the ten digits), weighed the same way.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

from models.charset import Charset
from models.fast_decode import ctc_log_probs
from models.place_decode import aligned
from sohoa.fields.text import fold

_SEP = re.compile(r"[/.\-\s]+")
YEARS = (1900, 2040)


@cache
def _slot(name: str) -> tuple[str, ...]:
    if name == "day":
        return (*(str(d) for d in range(1, 32)), *(f"{d:02d}" for d in range(1, 10)))
    if name == "month":
        return (*(str(m) for m in range(1, 13)), *(f"{m:02d}" for m in range(1, 10)))
    return (*(str(y) for y in range(*YEARS)), *(f"{y:02d}" for y in range(100)))


def _groups(text: str) -> list[tuple[int, int]]:
    """(start, end) character ranges of the groups between separators."""
    out, at = [], 0
    for m in _SEP.finditer(text):
        if m.start() > at:
            out.append((at, m.start()))
        at = m.end()
    if at < len(text):
        out.append((at, len(text)))
    return out


def _digitish(s: str) -> bool:
    return sum(c.isdigit() for c in s) * 2 >= len(s)


def digit_readings(logp: np.ndarray, charset: Charset, year_only: bool = False) -> list[str]:
    """The best path with each group replaced by its slot's likeliest value on its frames
    (a date's day, month, year; a year field's last group), when that changes anything."""
    text, starts, ends = aligned(logp, charset)
    groups = _groups(text)
    if year_only:
        groups = groups[-1:]
        slots = ["year"]
    else:
        slots = ["day", "month", "year"]
    if not groups or not all(_digitish(text[a:b]) for a, b in groups):
        return []
    plan: list[tuple[int, int, tuple[str, ...]]] = []
    if len(groups) == len(slots):
        plan = [(a, b, _slot(slot)) for (a, b), slot in zip(groups, slots, strict=True)]
    elif len(groups) == 2 and not year_only:  # a separator not written or not seen
        sep = text[groups[0][1]: groups[1][0]].strip() or "/"
        for i in (0, 1):  # the group that holds two slots ("174/2011": day and month)
            a, b = groups[i]
            pair = ("day", "month") if i == 0 else ("month", "year")
            values = tuple(x + sep + y for x in _slot(pair[0]) for y in _slot(pair[1])
                           if x + y == text[a:b])
            if values:
                other = groups[1 - i]
                plan = sorted([(a, b, values),
                               (*other, _slot("year" if i == 0 else "day"))])
                break
    if not plan:
        return []
    new = text
    for a, b, values in reversed(plan):
        value = _likeliest(logp, charset, (text, starts, ends), a, b, values)
        if value is None:
            return []
        new = new[:a] + value + new[b:]
    return [new] if new != text else []


def _likeliest(logp: np.ndarray, charset: Charset, path: tuple[str, np.ndarray, np.ndarray],
               a: int, b: int, values: tuple[str, ...]) -> str | None:
    """The value of ``values`` likeliest on the frames of the best path's characters
    ``a:b`` (``path``: ``aligned``'s text, starts, ends); the text there as read when none
    can be spelt on them, None when the group has no frames of its own."""
    text, starts, ends = path
    f0 = int(ends[a - 1]) + 1 if a > 0 else 0
    f1 = int(starts[b]) if b < len(text) else logp.shape[0]
    if f1 <= f0:
        return None
    scores = ctc_log_probs(logp[f0:f1], values, charset)
    best = int(np.argmax(scores))
    return values[best] if np.isfinite(scores[best]) else text[a:b]




_TOKEN = re.compile(r"[^\W\d_]+|\d+")
# the long form's words and digit groups in order: a line of it is any run of them
_LONG = (("W", "ngày"), ("D", "day"), ("W", "tháng"), ("D", "month"), ("W", "năm"),
         ("D", "year"))


def long_date_readings(logp: np.ndarray, charset: Charset) -> list[str]:
    """The best path of a date written out (``ngày 5 tháng 1 năm 2003``), or of one line of
    it when it wraps (``ngày 5 tháng`` / ``1 năm 2003``), with its words respelt as the long
    form's: its words and digit groups, alternating, are laid on the run of the long form
    whose words they spell most alike, each word replaced by that word and each digit group
    by the likeliest value of its slot on its own frames. Offered twice when they differ:
    with the spaces as the reading has them (a hand that writes ``1năm`` leaves the image no
    space to read) and with single spaces. Nothing is added where the reading has nothing
    (a ``ngày`` cut off stays off); the first letter's case is kept."""
    from rapidfuzz.distance import Levenshtein

    text, starts, ends = aligned(logp, charset)
    toks = [(m.start(), m.end(), "D" if m.group().isdigit() else "W")
            for m in _TOKEN.finditer(text)]
    if not any(k == "W" for *_, k in toks) or not any(k == "D" for *_, k in toks):
        return []
    if any(a[2] == b[2] for a, b in zip(toks, toks[1:], strict=False)):
        return []  # two words or two groups in a row: not the long form's shape
    best: tuple[int, int] | None = None
    for s in range(len(_LONG) - len(toks) + 1):
        if _LONG[s][0] != toks[0][2]:
            continue
        cost = sum(Levenshtein.distance(fold(text[a:b]).lower(), fold(_LONG[s + i][1]))
                   for i, (a, b, k) in enumerate(toks) if k == "W")
        if best is None or cost < best[0]:
            best = (cost, s)
    if best is None:
        return []
    spelt = []
    for i, (a, b, k) in enumerate(toks):
        what = _LONG[best[1] + i][1]
        if k == "D":
            what = _likeliest(logp, charset, (text, starts, ends), a, b, _slot(what)) \
                or text[a:b]
        spelt.append(what)
    as_read = text[: toks[0][0]] + "".join(
        w + text[toks[i][1]: toks[i + 1][0] if i + 1 < len(toks) else len(text)]
        for i, w in enumerate(spelt))
    out = []
    first = next((c for c in text if c.isalpha()), "")
    for t in (as_read.strip(), " ".join(spelt)):
        if first.isupper():
            t = t[:1].upper() + t[1:]
        if t != text and t not in out:
            out.append(t)
    return out


def number_readings(logp: np.ndarray, charset: Charset) -> list[str]:
    """The best path when only digits may be written (frames whose likeliest class is a
    letter take their likeliest digit or blank), if it has a digit and differs from the
    open best path."""
    from models.ctc_decode import best_path_text

    allowed = np.full(logp.shape[1], -np.inf, dtype=logp.dtype)
    allowed[0] = 0.0
    allowed[list(_digit_classes(charset.chars))] = 0.0
    text = best_path_text(logp + allowed, charset)
    if not text or text == best_path_text(logp, charset):
        return []
    return [text]


@cache
def _digit_classes(chars: str) -> tuple[int, ...]:
    """CTC classes of the ten digits (class 0 is the blank)."""
    return tuple(i + 1 for i, c in enumerate(chars) if c in "0123456789")
