"""How values are written in the 158 sheet, shared by export, validation and ``check-158``.

Dates are ``dd.mm.yyyy`` (partial ``mm.yyyy`` or ``yyyy``); ``so`` is ``number/year``;
``noiDangKy`` names the registering People's Committee the way the Ministry's template does
(``UBND xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng``).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache

from sohoa.records import Book, nfc

_DATE_RE = re.compile(r"^(?:(\d{2})\.)?(?:(\d{2})\.)?(\d{4})$")
_SO_RE = re.compile(r"^0*(\d{1,6})(?:\s*/\s*(\d{4}))?$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class DateSpan:
    """A 158 date as the interval of days it may denote (``2008`` = 1.1.2008 .. 31.12.2008)."""

    first: date
    last: date
    precision: str  # "day" | "month" | "year"


def parse_date(text: str) -> DateSpan | None:
    """Parse a 158 date (``dd.mm.yyyy``, ``mm.yyyy``, ``yyyy``); ``None`` when malformed or
    not a calendar date."""
    m = _DATE_RE.match(text.strip())
    if not m:
        return None
    a, b, y = m.groups()
    year = int(y)
    if not 1800 <= year <= 2100:
        return None
    try:
        if a and b:  # dd.mm.yyyy
            d = date(year, int(b), int(a))
            return DateSpan(d, d, "day")
        if a:  # mm.yyyy
            month = int(a)
            last = calendar.monthrange(year, month)[1]
            return DateSpan(date(year, month, 1), date(year, month, last), "month")
    except ValueError:
        return None
    return DateSpan(date(year, 1, 1), date(year, 12, 31), "year")


def years_between(earlier: date, later: date) -> float:
    """Whole and fractional years from ``earlier`` to ``later`` (negative when reversed)."""
    return (later - earlier).days / 365.2425


def split_so(text: str) -> tuple[int, int | None] | None:
    """``'12/2008'`` -> ``(12, 2008)``, ``'012'`` -> ``(12, None)``; ``None`` when malformed."""
    m = _SO_RE.match(text.strip())
    if not m:
        return None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)


def format_so(text: str, book: Book) -> str:
    """``so`` as the 158 wants it, ``number/year`` (year of the book when not written)."""
    parts = split_so(text)
    if parts is None:
        return text.strip()
    number, year = parts
    return f"{number:02d}/{year or book.year}"


_PREFIXES = {
    "commune": ("xã", "phường", "thị trấn"),
    "district": ("huyện", "quận", "thị xã", "thành phố", "tp"),
    "province": ("tỉnh", "thành phố", "tp"),
}


def _with_prefix(name: str, level: str) -> str:
    name = nfc(name).strip()
    if not name:
        return ""
    low = name.lower()
    if any(low.startswith(p + " ") for p in _PREFIXES[level]):
        return name
    return f"{_PREFIXES[level][0]} {name}"


def noi_dang_ky(book: Book) -> str:
    """The registering body: ``UBND xã <commune>, huyện <district>, tỉnh <province>``.

    A unit already written with its kind (``phường Tân Phong``, ``thành phố Lai Châu``) keeps it.
    """
    parts = [
        _with_prefix(book.commune, "commune"),
        _with_prefix(book.district, "district"),
        _with_prefix(book.province, "province"),
    ]
    return "UBND " + ", ".join(p for p in parts if p)


def fold(text: str) -> str:
    """Diacritic- and case-insensitive form for comparisons (``Đỗ Thị`` -> ``do thi``)."""
    text = nfc(text).replace("Đ", "D").replace("đ", "d")
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    )
    return " ".join(stripped.lower().split())


def clean_text(text: str) -> str:
    """NFC, control characters removed, line breaks and tabs as single spaces, trimmed."""
    text = nfc(text).replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    text = _CONTROL_RE.sub("", text)
    return " ".join(text.split()) if text.strip() else ""


def has_control(text: str) -> bool:
    """True when the text holds characters a spreadsheet cell should not carry."""
    return bool(_CONTROL_RE.search(text)) or any(c in text for c in "\t\r\n")


_LOOSE_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_LOOSE_MONTH = re.compile(r"^(\d{1,2})[./-](\d{4})$")
_SEX_WORDS = {"nam": "1", "nu": "2", "khong xac dinh": "3"}


def normalise_date(text: str) -> str:
    """``1/3/2008`` -> ``01.03.2008``, ``3-2008`` -> ``03.2008``; anything else unchanged."""
    t = text.strip()
    if m := _LOOSE_DATE.match(t):
        return f"{int(m.group(1)):02d}.{int(m.group(2)):02d}.{m.group(3)}"
    if m := _LOOSE_MONTH.match(t):
        return f"{int(m.group(1)):02d}.{m.group(2)}"
    return t


def sheet_values(values: dict[str, str], book: Book) -> dict[str, str]:
    """An entry's values as the 158 row carries them: book columns filled, ``so`` as
    number/year, dates dd.mm.yyyy, sex as a code, every text cleaned of control characters."""
    out = {k: clean_text(v or "") for k, v in values.items()}
    out["quyenSo"] = clean_text(book.volume)
    place = noi_dang_ky(book)
    if book.register_type == "HN":
        out.setdefault("noiCap", place)
    else:
        out["noiDangKy"] = place
    if out.get("so"):
        out["so"] = format_so(out["so"], book)
    for name, text in list(out.items()):
        if not text:
            continue
        low = name.lower()
        if "ngay" in low and "bangchu" not in low:
            out[name] = normalise_date(text)
        elif name.endswith("GioiTinh") and fold(text) in _SEX_WORDS:
            out[name] = _SEX_WORDS[fold(text)]
        elif name.endswith("DanToc"):
            out[name] = ethnic_name(text) or text
    _derive_codes(out, book)
    return {k: v for k, v in out.items() if v}


# days allowed for registering on time (Nghị định 158/2005/NĐ-CP: birth 60, death 15)
_ON_TIME_DAYS = {"KS": ("nksNgaySinh", 60), "KT": ("nktNgayChet", 15)}


def _derive_codes(out: dict[str, str], book: Book) -> None:
    """Codes the register implies but does not write, filled only when absent:
    ``loaiDangKy`` (2 when the note says re-registration, else 1 on time / 4 late for KS and
    KT, 1 for KH) and ``nksLoaiKhaiSinh`` (which parents are named)."""
    rt = str(book.register_type)
    if not out.get("loaiDangKy"):
        if "dang ky lai" in fold(out.get("ghiChu", "")) and rt in ("KS", "KT", "KH"):
            out["loaiDangKy"] = "2"
        elif rt in _ON_TIME_DAYS:
            field, days = _ON_TIME_DAYS[rt]
            reg, event = parse_date(out.get("ngayDangKy", "")), parse_date(out.get(field, ""))
            if reg and event and reg.precision == event.precision == "day":
                out["loaiDangKy"] = "1" if (reg.first - event.first).days <= days else "4"
        elif rt == "KH":
            out["loaiDangKy"] = "1"
    if rt == "KS" and not out.get("nksLoaiKhaiSinh"):
        mother, father = bool(out.get("meHoTen")), bool(out.get("chaHoTen"))
        out["nksLoaiKhaiSinh"] = {(True, True): "1", (False, True): "2", (True, False): "3",
                                  (False, False): "4"}[(mother, father)]


@cache
def _ethnic_set():  # type: ignore[no-untyped-def]
    """The shared 54-group lexicon (canonical names + variants) from ``sohoa.fields``."""
    try:
        from sohoa.fields.closed import ethnicities
    except ImportError:
        return None
    return ethnicities()


def ethnic_lexicon_available() -> bool:
    return _ethnic_set() is not None


def ethnic_name(text: str) -> str | None:
    """The official name of an ethnic group written as ``text`` (``Khơ Mú``, ``Mèo``, ``Thai``
    -> ``Khơ-mú``, ``Mông``, ``Thái``); ``None`` when it is none of the 54 (or only a fuzzy
    guess, which a person must confirm). Without the lexicon the text is returned as is."""
    lex = _ethnic_set()
    if lex is None:
        return text
    match = lex.match(text.strip())
    if match is None or match.how == "fuzzy":
        return None
    return str(match.name)
