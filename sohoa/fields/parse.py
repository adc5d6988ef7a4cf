"""``parse_field``: recognised text of one field -> ``ParsedValue`` (clean text, 158 value,
whether it parsed, how much the lexicons support it, and why not in Vietnamese).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sohoa.fields import closed
from sohoa.fields.dates import DateError, check_range, fix_ocr_digits, parse_date, parse_year_only
from sohoa.fields.names import parse_name
from sohoa.fields.places import parse_place
from sohoa.fields.text import clean, fold, foreign_letters, key
from sohoa.records import FieldKind

MAX_FIELD = 300  # longer than any real cell: refuse to parse (and never hang on it)


@dataclass(frozen=True)
class ParsedValue:
    text: str  # cleaned, as a clerk would type it
    value: str  # the 158 value; "" when unparseable
    ok: bool
    evidence: float  # lexicon / grammar support in [0, 1]
    message: str = ""  # Vietnamese: why not ok

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", min(1.0, max(0.0, float(self.evidence))))


@lru_cache(maxsize=16384)  # pure: the same values recur on every page (Kinh, Việt Nam, Nam)
def parse_field(kind: FieldKind, text: str, *, ref_year: int | None = None) -> ParsedValue:
    """Parse ``text`` read in a field of ``kind``; ``ref_year`` is the register's year."""
    kind = FieldKind(kind)
    cleaned = clean(text or "")
    if not cleaned:
        return ParsedValue("", "", False, 0.0, "ô trống")
    if kind == FieldKind.TEXT:
        return ParsedValue(cleaned, cleaned, True, 0.5)
    if len(cleaned) > MAX_FIELD:
        return ParsedValue(cleaned, "", False, 0.0, f"quá dài ({len(cleaned)} ký tự)")
    parsed = _PARSERS[kind](cleaned, ref_year)
    if parsed.ok and foreign_letters(parsed.text):
        return ParsedValue(parsed.text, parsed.value, False, parsed.evidence * 0.3,
                           "có chữ không phải chữ Việt")
    return parsed


_LUNAR = re.compile(r"\bam lich\b|\(\s*al\s*\)|\bal\b")


def _date(text: str, ref_year: int | None) -> ParsedValue:
    try:
        d = parse_date(text, ref_year)
    except DateError as exc:
        return ParsedValue(text, "", False, 0.0, f"ngày tháng không hợp lệ: {exc}")
    problem = check_range(d, ref_year)
    if _LUNAR.search(fold(text)):
        problem = "ngày âm lịch: cần đổi sang dương lịch"
    evidence = 1.0 if d.day else 0.85 if d.month else 0.7
    if fix_ocr_digits(text) != text:
        evidence *= 0.8
    return ParsedValue(text, d.export(), not problem, evidence * (0.3 if problem else 1), problem)


def _year(text: str, ref_year: int | None) -> ParsedValue:
    try:
        d = parse_year_only(text, ref_year)
    except DateError as exc:
        return ParsedValue(text, "", False, 0.0, f"năm không hợp lệ: {exc}")
    problem = check_range(d, ref_year)
    evidence = 0.8 if re.fullmatch(r"\D*\d{2}\D*", text) else 1.0
    if fix_ocr_digits(text) != text:
        evidence *= 0.8
    return ParsedValue(text, d.export(), not problem, evidence * (0.3 if problem else 1), problem)


_LABEL = re.compile(r"^(dan toc|quoc tich|gioi tinh|quan he)\s*:?\s*(?=\S)")


def _without_label(text: str) -> str:
    """"Dân tộc: Thái" -> "Thái" (a clerk sometimes repeats the column header)."""
    m = _LABEL.match(fold(text))
    return text[m.end():] if m and len(fold(text)) == len(text) else text


def _closed(match_set: closed.ClosedSet, text: str, what: str) -> ParsedValue:
    m = match_set.match(text) or match_set.match(_without_label(text))
    if m is None:
        return ParsedValue(text, "", False, 0.0, f"không nhận ra {what} '{text}'")
    return ParsedValue(m.name, m.name, True, m.evidence)


def _sex(text: str, _ref: int | None) -> ParsedValue:
    m = closed.sexes().match(text) or closed.sexes().match(_without_label(text))
    if m is None:
        return ParsedValue(text, "", False, 0.0, f"không nhận ra giới tính '{text}'")
    return ParsedValue(m.name, closed.SEX_CODES[m.name], True, m.evidence)


def _ethnicity(text: str, _ref: int | None) -> ParsedValue:
    return _closed(closed.ethnicities(), text, "dân tộc")


def _nationality(text: str, _ref: int | None) -> ParsedValue:
    return _closed(closed.nationalities(), text, "quốc tịch")


def _relation(text: str, _ref: int | None) -> ParsedValue:
    pv = _closed(closed.relations(), text, "quan hệ")
    if pv.ok:
        return pv
    # "Cán bộ y tế", "Anh họ": a known relation followed by more words stays as written
    words = text.split()
    for n in range(len(words) - 1, 0, -1):
        m = closed.relations().match(" ".join(words[:n]))
        if m and m.how == "exact":
            rest = " ".join(words[n:])
            return ParsedValue(f"{m.name} {rest}", f"{m.name} {rest}", True, 0.6)
    value = text[:1].upper() + text[1:]
    return ParsedValue(value, value, False, 0.1, f"không nhận ra quan hệ '{text}'")


def _place(text: str, _ref: int | None) -> ParsedValue:
    """Text as written (the clerk's abbreviations kept); value spelt out with official names."""
    p = parse_place(text)
    return ParsedValue(text, p.text, p.ok, p.evidence, p.message)


def _name(text: str, _ref: int | None) -> ParsedValue:
    p = parse_name(text)
    if not p.text:
        return ParsedValue(text, "", False, 0.0, "không có chữ nào của họ tên")
    message = ""
    if p.syllables < 2:
        message = "họ tên chỉ có một chữ"
    elif p.syllables > 7:
        message = "họ tên quá dài"
    evidence = p.evidence * (0.7 if p.dropped else 1.0)
    return ParsedValue(p.text, p.text, not message, evidence, message)


_NUMBER = re.compile(r"(?<!\d)(\d{1,6})(?:\s*/\s*(\d{2,4}))?(?!\d)")


def _number(text: str, _ref: int | None) -> ParsedValue:
    """A register number; the value carries the year when it is known."""
    fixed = fix_ocr_digits(text)
    found = _NUMBER.findall(fixed)
    if not found:
        return ParsedValue(text, "", False, 0.0, f"không có số trong '{text}'")
    number = found[0][0]
    rest = key(_NUMBER.sub(" ", fixed, count=1))
    evidence = 1.0
    if rest and rest not in ("so", "no", "sodangky"):
        evidence = 0.7
    if len(found) > 1:
        evidence = 0.5
    if fixed != text:
        evidence *= 0.8
    return ParsedValue(fixed, _so_value(number, found[0][1], _ref), len(found) == 1, evidence,
                       "" if len(found) == 1 else f"có nhiều số trong '{text}'")


def _so_value(number: str, written_year: str, ref_year: int | None) -> str:
    """The 158 form ``NN/YYYY`` (``01/2008``) when the year is known (written, or the book's),
    else the bare number."""
    year = int(written_year) if written_year else ref_year
    if year is not None and year < 100:  # "12/08": the latest such year not after ref_year
        base = ref_year or 2099
        year = base - (base - year) % 100
    return f"{int(number):02d}/{year}" if year else str(int(number))


_PARSERS = {
    FieldKind.DATE: _date,
    FieldKind.YEAR: _year,
    FieldKind.SEX: _sex,
    FieldKind.ETHNICITY: _ethnicity,
    FieldKind.NATIONALITY: _nationality,
    FieldKind.RELATION: _relation,
    FieldKind.PLACE: _place,
    FieldKind.NAME: _name,
    FieldKind.NUMBER: _number,
}
