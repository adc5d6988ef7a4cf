"""Dates and years as clerks write them -> ``PartialDate`` (exports dd.mm.yyyy / mm.yyyy / yyyy).

Handles 05/03/2008, 5-3-08, 5.3.08, 2008-03-05, "ngày 5 tháng 3 năm 2008", "5 tháng 3 2008",
"tháng 3/2008", "3/2008", "2008", "SN 1985" and dates in words ("mùng năm tháng ba năm hai
nghìn không trăm linh tám"). Two-digit years resolve to the latest year not after the
reference year (the book's year), because nobody registers a birth before it happens.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from sohoa.errors import SohoaError
from sohoa.fields.text import fold

MIN_YEAR = 1850


class DateError(SohoaError, ValueError):
    """Text that is not a valid date; the message is Vietnamese, for the clerk."""


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise DateError("có ngày nhưng thiếu tháng")
        if self.month is not None and not 1 <= self.month <= 12:
            raise DateError(f"tháng {self.month} không hợp lệ")
        if self.day is not None:
            assert self.month is not None
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise DateError(f"ngày {self.day} không có trong tháng {self.month}/{self.year}")

    def export(self) -> str:
        """The 158 form: ``dd.mm.yyyy``, ``mm.yyyy`` or ``yyyy``."""
        if self.day is not None:
            return f"{self.day:02d}.{self.month:02d}.{self.year:04d}"
        if self.month is not None:
            return f"{self.month:02d}.{self.year:04d}"
        return f"{self.year:04d}"

    @classmethod
    def from_export(cls, value: str) -> PartialDate:
        parts = [int(p) for p in value.split(".")]
        if len(parts) == 3:
            return cls(parts[2], parts[1], parts[0])
        if len(parts) == 2:
            return cls(parts[1], parts[0])
        return cls(parts[0])


def resolve_year(digits: str, ref_year: int | None) -> int:
    """A written year (4 digits, or 2 digits against ``ref_year``) as a full year."""
    if len(digits) == 4:
        return int(digits)
    if len(digits) != 2:
        raise DateError(f"năm '{digits}' không rõ")
    ref = ref_year or dt.date.today().year
    yy = int(digits)
    year = (ref // 100) * 100 + yy
    return year - 100 if year > ref else year


# --- numbers in words ------------------------------------------------------------------------
_DIGITS = {"khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
           "sau": 6, "bay": 7, "tam": 8, "chin": 9, "linh": None, "le": None}
_MULT = {"muoi", "tram", "nghin", "ngan"}
NUMBER_WORDS = set(_DIGITS) | _MULT


def words_to_int(words: list[str]) -> int | None:
    """Folded Vietnamese number words -> int ("hai nghin khong tram linh tam" -> 2008;
    digit by digit "mot chin tam lam" -> 1985); None when they do not form a number."""
    if not words or any(w not in NUMBER_WORDS for w in words):
        return None
    if not any(w in _MULT for w in words):
        digits = [_DIGITS[w] for w in words if _DIGITS[w] is not None]
        return int("".join(str(d) for d in digits)) if digits else None
    total, section, last = 0, 0, None
    for w in words:
        if w in ("nghin", "ngan"):
            total += (section + (last or 0)) * 1000 if (section or last) else 1000
            section, last = 0, None
        elif w == "tram":
            section += (last if last is not None else 1) * 100
            last = None
        elif w == "muoi":  # mười (10) and mươi (x10) fold alike: a pending digit decides
            section += last * 10 if last else 10
            last = None
        elif _DIGITS[w] is not None:
            if last is not None:
                return None
            last = _DIGITS[w]
    return total + section + (last or 0)


# --- date grammar ----------------------------------------------------------------------------
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1",
                             "S": "5", "B": "8", "Z": "2", "z": "2"})
_DIGITISH = re.compile(r"(?<![^\W\d_])[0-9OoDlI|SBZz]*\d[0-9OoDlI|SBZz]*(?![^\W\d_])")
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.,\-\s]\s*(\d{1,2})\s*[/.,\-\s]\s*(\d{4}|\d{2})(?!\d)")
_ROMAN_MONTH = re.compile(
    r"(?<=[/.\-\s])(XII|XI|IX|X|VIII|VII|VI|IV|V|III|II|I)(?=\s*[/.\-\s]\s*\d)")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9,
          "X": 10, "XI": 11, "XII": 12}
_YMD = re.compile(r"(?<!\d)(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?!\d)")
_MY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)")
_Y = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{4})(?!\d)")
_NOISE = {"ngay", "sinh", "sn", "ns", "nam", "mung", "mong", "thang", "vao", "luc", "tai"}
_TOKENS = re.compile(r"[a-z]+|\d+")


def fix_ocr_digits(text: str) -> str:
    """O->0, l/I->1 ... inside tokens that already hold a digit (``2OO8`` -> ``2008``)."""
    return _DIGITISH.sub(lambda m: m.group(0).translate(_OCR_DIGITS), text)


def _number(tokens: list[str]) -> int | None:
    if len(tokens) == 1 and tokens[0].isdigit():
        return int(tokens[0])
    return words_to_int(tokens)


def _year(tokens: list[str], ref_year: int | None) -> int | None:
    if len(tokens) == 1 and tokens[0].isdigit():
        return resolve_year(tokens[0], ref_year) if len(tokens[0]) in (2, 4) else None
    n = words_to_int(tokens)
    if n is None:
        return None
    return resolve_year(f"{n:02d}", ref_year) if n < 100 else n


def _month(tokens: list[str]) -> tuple[int | None, list[str]]:
    """The month right after "tháng" and the tokens left over (the year part)."""
    if not tokens:
        return None, []
    first, rest = tokens[0], tokens[1:]
    if first.isdigit():
        return int(first), rest
    if first == "gieng":
        return 1, rest
    if first == "chap":
        return 12, rest
    if first == "muoi":
        if rest and rest[0] in ("mot", "hai") and not (len(rest) > 1 and rest[1] in _MULT):
            return 10 + _DIGITS[rest[0]], rest[1:]  # type: ignore[operator]
        return 10, rest
    if first in _DIGITS and _DIGITS[first]:
        return _DIGITS[first], rest
    return None, tokens


def _worded(folded: str, ref_year: int | None) -> PartialDate | None:
    """Dates built around "tháng" ("ngày 5 tháng 3 năm 2008", "mùng năm tháng ba năm ...")."""
    tokens = _TOKENS.findall(folded)
    if "thang" not in tokens:
        if tokens and tokens[0] == "nam" and len(tokens) > 1:  # "năm 2008", "năm hai nghìn..."
            year = _year(tokens[1:], ref_year)
            return PartialDate(year) if year else None
        return None
    at = tokens.index("thang")
    day_tokens = [t for t in tokens[:at] if t not in ("ngay", "mung", "mong", "sinh", "vao")]
    month, rest = _month(tokens[at + 1:])
    if month is None:
        raise DateError("không đọc được tháng")
    if rest and rest[0] == "nam":
        rest = rest[1:]
    year = _year(rest, ref_year) if rest else None
    if year is None:
        raise DateError("không đọc được năm")
    day = _number(day_tokens) if day_tokens else None
    if day_tokens and day is None:
        raise DateError("không đọc được ngày")
    return PartialDate(year, month, day)


def parse_date(text: str, ref_year: int | None = None) -> PartialDate:
    """The date written in ``text``; raises ``DateError`` (Vietnamese message) when none."""
    src = _ROMAN_MONTH.sub(lambda m: str(_ROMAN[m[1]]), fix_ocr_digits(text))  # 5/III/1985
    folded = fold(src)
    if "thang" in folded or re.match(r"\s*nam\b", folded):
        found = _worded(folded, ref_year)
        if found:
            return found
    if m := _YMD.search(src):
        return PartialDate(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.search(src):
        return PartialDate(resolve_year(m[3], ref_year), int(m[2]), int(m[1]))
    if m := _MY.search(src):
        return PartialDate(int(m[2]), int(m[1]))
    if m := _COMPACT.search(src):
        return PartialDate(int(m[3]), int(m[2]), int(m[1]))
    if m := _Y.search(src):
        return PartialDate(int(m[1]))
    tokens = [t for t in _TOKENS.findall(folded) if t not in _NOISE or t == "nam"]
    while tokens and tokens[0] in ("nam",) and len(tokens) > 1:
        tokens = tokens[1:]
    if len(tokens) >= 2:  # a year in words has at least two ("tám lăm"); "Nam" is no year
        year = _year(tokens, ref_year)
        if year:
            return PartialDate(year)
    raise DateError("không nhận ra ngày tháng")


def check_range(d: PartialDate, ref_year: int | None) -> str:
    """A Vietnamese warning when the year is implausible for a register of ``ref_year``."""
    if d.year < MIN_YEAR:
        return f"năm {d.year} quá xa"
    limit = ref_year if ref_year else dt.date.today().year
    if d.year > limit:
        return f"năm {d.year} sau năm {limit} của sổ"
    return ""


def parse_year_only(text: str, ref_year: int | None = None) -> PartialDate:
    """A year field: "1985", "85", "SN 1985", "Sinh năm 85"; a full date is kept whole."""
    src = fix_ocr_digits(text)
    if re.fullmatch(r"\D*(?:19|20)\s+\d{2}\D*", src):  # "19 85": a year split by a gap
        src = re.sub(r"(\d{2})\s+(\d{2})", r"\1\2", src)
    digits = re.fullmatch(r"\D*?(\d{2}|\d{4})\D*", src)
    if digits and not re.search(r"\d\s*[/.\-]\s*\d", src):
        return PartialDate(resolve_year(digits[1], ref_year))
    return parse_date(text, ref_year)
