"""Validation rules for 158 records: what blocks an export (errors) and what a clerk should
look at (warnings), each with a stable id and a Vietnamese message.

The review screen calls :func:`validate_entry` per entry, the approver view and the export call
:func:`validate_book` per book, and ``check-158`` runs the same rules on Excel rows made
elsewhere. Values are 158 values (dates ``dd.mm.yyyy``/``mm.yyyy``/``yyyy``, sex codes ``1``/``2``/
``3``, ethnicity as a name). ``quyenSo`` and ``noiDangKy`` come from the book unless given.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from sohoa.export.values import (
    ethnic_lexicon_available,
    ethnic_name,
    fold,
    format_so,
    has_control,
    noi_dang_ky,
    parse_date,
    split_so,
)
from sohoa.export.values import years_between as _years
from sohoa.records import Book, FieldKind, RegisterType
from sohoa.spec import code_set
from sohoa.template import Template

log = logging.getLogger(__name__)


class Severity(StrEnum):
    ERROR = "error"  # blocks the export
    WARNING = "warning"  # shown to the clerk, does not block


@dataclass(frozen=True)
class Issue:
    rule_id: str
    severity: Severity
    field: str  # 158 column name, "" for a whole entry or book
    message: str  # Vietnamese, for the clerk
    entry_id: int | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    description: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("required", Severity.ERROR, "Trường bắt buộc của loại sổ bị trống"),
        Rule("date_format", Severity.ERROR, "Ngày không đúng dạng dd.mm.yyyy / mm.yyyy / yyyy"),
        Rule("date_order", Severity.ERROR, "Ngày đăng ký trước ngày sự kiện (sinh, chết ...)"),
        Rule("parent_age", Severity.WARNING, "Mẹ chưa hơn con 18 tuổi / cha chưa hơn con 20 tuổi"),
        Rule("marriage_age", Severity.WARNING, "Chồng dưới 20 / vợ dưới 18 tuổi khi đăng ký"),
        Rule("so_format", Severity.ERROR, "Số đăng ký không đúng dạng số/năm"),
        Rule("book_year", Severity.WARNING, "Năm của số hoặc ngày đăng ký khác năm của sổ"),
        Rule("duplicate", Severity.ERROR, "Trùng (số, quyển số, nơi đăng ký)"),
        Rule("sequence_gap", Severity.WARNING, "Thiếu số trong dãy số thứ tự của sổ"),
        Rule("id_distinct", Severity.ERROR, "Hai người khác nhau có cùng số giấy tờ / định danh"),
        Rule("id_format", Severity.WARNING, "Số định danh / CMND không đúng độ dài"),
        Rule("code_list", Severity.ERROR, "Mã hoặc tên không có trong danh mục"),
        Rule("name_chars", Severity.WARNING, "Họ tên có chữ số hoặc ký tự lạ"),
        Rule("control_chars", Severity.WARNING, "Có ký tự điều khiển / xuống dòng trong ô"),
    )
}

REQUIRED: dict[RegisterType, tuple[str, ...]] = {
    RegisterType.KS: ("so", "quyenSo", "ngayDangKy", "noiDangKy", "nksHoTen", "nksNgaySinh",
                      "nksGioiTinh"),
    RegisterType.KT: ("so", "quyenSo", "ngayDangKy", "noiDangKy", "nktHoTen", "nktNgayChet"),
    RegisterType.KH: ("so", "quyenSo", "ngayDangKy", "noiDangKy", "chongHoTen", "voHoTen"),
    RegisterType.HN: ("so", "quyenSo", "ngayDangKy", "noiCap", "nxnHoTen"),
    RegisterType.CMC: ("so", "quyenSo", "ngayDangKy", "noiDangKy", "cmHoTen", "ncHoTen"),
}

# the event each register records, which registration cannot precede
EVENT_DATE: dict[RegisterType, tuple[str, ...]] = {
    RegisterType.KS: ("nksNgaySinh",),
    RegisterType.KT: ("nktNgayChet", "nktNgaySinh"),
    RegisterType.KH: ("chongNgaySinh", "voNgaySinh"),
    RegisterType.HN: ("nxnNgaySinh",),
    RegisterType.CMC: ("cmNgaySinh", "ncNgaySinh"),
}

# field-name suffix -> key in the spec's code lists
_CODE_SUFFIX = {
    "GioiTinh": "gioiTinh",
    "LoaiGiayToTuyThan": "loaiGiayToTuyThan",
    "LoaiCuTru": "loaiCuTru",
    "LoaiKhaiSinh": "nksLoaiKhaiSinh",
    "MatTich": "nksMatTich / nksHanCheNangLucHanhVi",
    "HanCheNangLucHanhVi": "nksMatTich / nksHanCheNangLucHanhVi",
    "gbtLoai": "gbtLoai (vendor)",
    "loaiXacNhan": "CMC.loaiXacNhan (vendor)",
    "LoaiMucDichSuDung": "HN.nxnLoaiMucDichSuDung (vendor)",
    "tinhTrangKetHon": "tinhTrangKetHon (vendor, text)",
}
_LOAI_DANG_KY = {
    RegisterType.KS: "KS.loaiDangKy(158)",
    RegisterType.KT: "KT.loaiDangKy (vendor)",
    RegisterType.KH: "KH.loaiDangKy (vendor)",
    RegisterType.CMC: "CMC.loaiDangKy (vendor)",
}
_PERSONS = ("nks", "nkt", "me", "cha", "nyc", "chong", "vo", "nxn", "cm", "nc")
_ID_SUFFIXES = ("SoDinhDanh", "SoDinhDanhCaNhan", "SoGiayToTuyThan")
_NAME_OK = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")


def _is_date_field(name: str) -> bool:
    low = name.lower()
    return "ngay" in low and "bangchu" not in low


def _is_name_field(name: str) -> bool:
    return name.endswith("HoTen") or name in ("nguoiKy", "nguoiThucHien")


_PERSON_WORDS = {"nks": "người được khai sinh", "nkt": "người chết", "me": "mẹ", "cha": "cha",
                 "nyc": "người đi khai", "chong": "chồng", "vo": "vợ", "nxn": "người được xác nhận",
                 "cm": "cha/mẹ", "nc": "người con"}
_COLUMN_WORDS = {"SoDinhDanh": "số định danh", "SoDinhDanhCaNhan": "số định danh",
                 "SoGiayToTuyThan": "số giấy tờ", "LoaiGiayToTuyThan": "loại giấy tờ",
                 "LoaiCuTru": "loại cư trú", "QuocTich": "quốc tịch", "DanToc": "dân tộc",
                 "GioiTinh": "giới tính", "NgaySinh": "ngày sinh", "HoTen": "họ tên",
                 "LoaiKhaiSinh": "loại khai sinh", "NgayChet": "ngày chết"}
_PLAIN = {"so": "Số", "quyenSo": "Quyển số", "ngayDangKy": "Ngày đăng ký",
          "noiDangKy": "Nơi đăng ký", "noiCap": "Nơi cấp", "loaiDangKy": "Loại đăng ký",
          "ghiChu": "Ghi chú"}


@cache
def _label(name: str) -> str:
    """Vietnamese name of a 158 column for messages: ``meNgaySinh`` -> ``Ngày sinh của mẹ
    (meNgaySinh)``; the column name stays so clerks and IT staff speak of the same cell."""
    if name in _PLAIN:
        return f"{_PLAIN[name]} ({name})"
    for prefix in sorted(_PERSON_WORDS, key=len, reverse=True):
        rest = name[len(prefix):]
        if name.startswith(prefix) and rest in _COLUMN_WORDS:
            words = f"{_COLUMN_WORDS[rest]} của {_PERSON_WORDS[prefix]}"
            return f"{words[0].upper()}{words[1:]} ({name})"
    return name


def _lower(name: str) -> str:
    label = _label(name)
    return label[:1].lower() + label[1:]


def _issue(rule: str, field: str, message: str, entry_id: int | None) -> Issue:
    return Issue(rule, RULES[rule].severity, field, message, entry_id)


def full_values(values: Mapping[str, str], book: Book) -> dict[str, str]:
    """Entry values with the book-level columns (``quyenSo``, ``noiDangKy``) filled in."""
    out = {"quyenSo": book.volume, "noiDangKy": noi_dang_ky(book)}
    if book.register_type is RegisterType.HN:
        out["noiCap"] = out.pop("noiDangKy")
    out.update({k: (v or "").strip() for k, v in values.items()})
    return out


def validate_entry(
    values: Mapping[str, str], book: Book, template: Template | None = None,
    entry_id: int | None = None,
) -> list[Issue]:
    """Every rule that looks at one entry alone. ``template`` supplies which fields are dates
    beyond the 158 naming convention; it may be ``None`` (``check-158``)."""
    v = full_values(values, book)
    rt = book.register_type
    out: list[Issue] = []
    for name in REQUIRED.get(rt, ()):
        if not v.get(name):
            out.append(_issue("required", name, f"Thiếu {_label(name)} (bắt buộc)", entry_id))
    date_fields = {k for k in v if _is_date_field(k)}
    if template is not None:
        date_fields |= {f.name for f in template.fields if f.kind in (FieldKind.DATE,
                                                                      FieldKind.YEAR)}
    spans = {}
    for name in sorted(date_fields):
        text = v.get(name, "")
        if not text:
            continue
        span = parse_date(text)
        if span is None:
            out.append(_issue("date_format", name,
                              f"{_label(name)} = '{text}': ngày phải có dạng dd.mm.yyyy, "
                              "mm.yyyy hoặc yyyy và là ngày có thật", entry_id))
        else:
            spans[name] = span
    out += _date_rules(spans, rt, book, entry_id)
    out += _so_rules(v.get("so", ""), book, entry_id)
    out += _code_rules(v, rt, entry_id)
    out += _id_rules(v, entry_id)
    for name, text in sorted(v.items()):
        if text and _is_name_field(name) and not _NAME_OK.match(text):
            out.append(_issue("name_chars", name,
                              f"{_label(name)} = '{text}': họ tên có chữ số hoặc ký tự lạ",
                              entry_id))
        if has_control(values.get(name, "") or ""):
            out.append(_issue("control_chars", name,
                              f"{_label(name)}: có ký tự điều khiển hoặc xuống dòng", entry_id))
    return out


def _date_rules(spans: dict, rt: RegisterType, book: Book, entry_id: int | None) -> list[Issue]:
    out: list[Issue] = []
    reg = spans.get("ngayDangKy")
    if reg is not None:
        for name in EVENT_DATE.get(rt, ()):
            ev = spans.get(name)
            if ev is not None and reg.last < ev.first:
                out.append(_issue("date_order", "ngayDangKy",
                                  f"Ngày đăng ký ({reg.first:%d.%m.%Y}) trước {_lower(name)} "
                                  f"({ev.first:%d.%m.%Y})", entry_id))
        if not reg.first.year <= book.year <= reg.last.year:
            out.append(_issue("book_year", "ngayDangKy",
                              f"Ngày đăng ký năm {reg.first.year}, sổ năm {book.year}", entry_id))
    birth, death = spans.get("nktNgaySinh"), spans.get("nktNgayChet")
    if rt is RegisterType.KT and birth and death and death.last < birth.first:
        out.append(_issue("date_order", "nktNgayChet", "Ngày chết trước ngày sinh", entry_id))
    child = spans.get("nksNgaySinh")
    if child is not None:
        for parent, least, who in (("meNgaySinh", 18, "Mẹ"), ("chaNgaySinh", 20, "Cha")):
            p = spans.get(parent)
            if p is not None and _years(p.first, child.last) < least:
                out.append(_issue("parent_age", parent,
                                  f"{who} hơn con chưa đủ {least} tuổi "
                                  f"(sinh {p.first.year}, con sinh {child.first.year})", entry_id))
    if rt is RegisterType.KH and reg is not None:
        for person, least, who in (("chongNgaySinh", 20, "Chồng"), ("voNgaySinh", 18, "Vợ")):
            p = spans.get(person)
            if p is not None and _years(p.first, reg.last) < least:
                out.append(_issue("marriage_age", person,
                                  f"{who} chưa đủ {least} tuổi khi đăng ký kết hôn", entry_id))
    return out


def _so_rules(so: str, book: Book, entry_id: int | None) -> list[Issue]:
    if not so:
        return []
    parts = split_so(so)
    if parts is None or parts[0] == 0:
        return [_issue("so_format", "so", f"Số '{so}' phải có dạng số hoặc số/năm (12/2008)",
                       entry_id)]
    if parts[1] is not None and parts[1] != book.year:
        return [_issue("book_year", "so", f"Số '{so}' mang năm {parts[1]}, sổ năm {book.year}",
                       entry_id)]
    return []


def _code_key(name: str, rt: RegisterType) -> str | None:
    if name == "loaiDangKy":
        return _LOAI_DANG_KY.get(rt)
    for suffix, key in _CODE_SUFFIX.items():
        if name.endswith(suffix) or name == suffix:
            return key
    return None


def _code_rules(v: Mapping[str, str], rt: RegisterType, entry_id: int | None) -> list[Issue]:
    out: list[Issue] = []
    ethnic = ethnic_lexicon_available()
    for name, text in sorted(v.items()):
        if not text:
            continue
        if name.endswith("DanToc"):
            if ethnic and ethnic_name(text) is None:
                out.append(_issue("code_list", name,
                                  f"{_label(name)} = '{text}': không có trong danh mục 54 dân tộc",
                                  entry_id))
            continue
        key = _code_key(name, rt)
        if key is None:
            continue
        allowed = code_set(key)
        if text not in allowed:
            shown = ", ".join(sorted(allowed))
            out.append(_issue("code_list", name,
                              f"{_label(name)} = '{text}': mã không hợp lệ (cho phép: {shown})",
                              entry_id))
    return out


def _id_rules(v: Mapping[str, str], entry_id: int | None) -> list[Issue]:
    out: list[Issue] = []
    seen: dict[str, tuple[str, str]] = {}  # number -> (person, field)
    for person in _PERSONS:
        for suffix in _ID_SUFFIXES:
            field = person + suffix
            number = re.sub(r"\s", "", v.get(field, ""))
            if not number:
                continue
            if suffix != "SoGiayToTuyThan" or v.get(person + "LoaiGiayToTuyThan") in ("1", "4"):
                if not number.isdigit() or len(number) not in ((12,) if "DinhDanh" in suffix
                                                               else (9, 12)):
                    out.append(_issue("id_format", field,
                                      f"{_label(field)} = '{number}': số định danh 12 chữ số, "
                                      "CMND 9 hoặc 12 chữ số", entry_id))
            other = seen.get(number)
            if other and other[0] != person and not _same_name(v, person, other[0]):
                out.append(_issue("id_distinct", field,
                                  f"{_label(field)} trùng với {_lower(other[1])} ({number})",
                                  entry_id))
            seen.setdefault(number, (person, field))
    return out


def _same_name(v: Mapping[str, str], a: str, b: str) -> bool:
    """The declarant (nyc) is often the mother or father: same name, same papers, no issue."""
    na, nb = fold(v.get(a + "HoTen", "")), fold(v.get(b + "HoTen", ""))
    return bool(na) and na == nb


def _dup_key(values: Mapping[str, str], book: Book) -> tuple[str, str, str] | None:
    v = full_values(values, book)
    if not v.get("so"):
        return None
    place = v.get("noiDangKy") or v.get("noiCap", "")
    return (format_so(v["so"], book), fold(v["quyenSo"]), fold(place))


def validate_book(
    entries: Sequence[tuple[int, Mapping[str, str]]], book: Book, template: Template | None = None,
    others: Iterable[tuple[Book, int, Mapping[str, str]]] = (),
) -> list[Issue]:
    """Every rule on every entry of a book, plus the rules across entries: duplicate
    (so, quyenSo, noiDangKy) in the book and against ``others`` (entries of the other books of
    the workspace, as ``(book, entry_id, values)``), gaps in the number sequence, and the
    subject's identity number used twice."""
    out: list[Issue] = []
    for entry_id, values in entries:
        out += validate_entry(values, book, template, entry_id)
    by_key: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for entry_id, values in entries:
        key = _dup_key(values, book)
        if key is not None:
            by_key[key].append(entry_id)
    for key, ids in by_key.items():
        if len(ids) > 1:
            for eid in ids:
                others_ids = ", ".join(str(i) for i in ids if i != eid)
                out.append(_issue("duplicate", "so",
                                  f"Số {key[0]} lặp lại trong sổ (mục {others_ids})", eid))
    for other_book, other_id, other_values in others:
        if other_book.id is not None and other_book.id == book.id:
            continue
        key = _dup_key(other_values, other_book)
        if key is None:
            continue
        for eid in by_key.get(key, []):
            out.append(_issue("duplicate", "so",
                              f"Số {key[0]} đã có ở sổ {other_book.volume} (mục {other_id})", eid))
    out += _sequence_rules(entries)
    out += _subject_id_rules(entries)
    return out


def _sequence_rules(entries: Sequence[tuple[int, Mapping[str, str]]]) -> list[Issue]:
    numbers = sorted({p[0] for _, v in entries if (p := split_so(v.get("so", "") or ""))})
    if not numbers:
        return []
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    if not missing:
        return []
    shown = ", ".join(str(n) for n in missing[:20]) + (" ..." if len(missing) > 20 else "")
    return [_issue("sequence_gap", "so", f"Thiếu {len(missing)} số trong dãy: {shown}", None)]


def _subject_id_rules(entries: Sequence[tuple[int, Mapping[str, str]]]) -> list[Issue]:
    out: list[Issue] = []
    seen: dict[str, int] = {}
    for entry_id, v in entries:
        for field in ("nksSoDinhDanh", "nktSoGiayToTuyThan", "nxnSoGiayToTuyThan"):
            number = re.sub(r"\s", "", v.get(field, "") or "")
            if not number:
                continue
            if number in seen and seen[number] != entry_id:
                out.append(_issue("id_distinct", field,
                                  f"{_label(field)} {number} đã dùng cho mục {seen[number]}",
                                  entry_id))
            seen.setdefault(number, entry_id)
    return out


INK_BLANK = "ink_blank"


def ink_blank_rules(values: Mapping[str, str], inked: Iterable[str],
                    illegible: Iterable[str] = (), entry_id: int | None = None) -> list[Issue]:
    """A silent blank: the cell of a field holds handwriting (``inked``, measured on its crop)
    but its value is empty. An error until someone types the value or marks the field
    illegible, so one key press never confirms it empty. (A rule of the scan, not of the 158
    row: it is not in :data:`RULES`, which ``check-158`` runs on Excel rows.)"""
    skip = frozenset(illegible)
    return [Issue(INK_BLANK, Severity.ERROR, f,
                  f"{_label(f)}: ô có chữ viết nhưng giá trị đang trống; hãy nhập, "
                  "hoặc đánh dấu không đọc được", entry_id)
            for f in sorted(set(inked)) if f not in skip and not (values.get(f) or "").strip()]


def blocking(issues: Iterable[Issue]) -> list[Issue]:
    """The issues that block an export."""
    return [i for i in issues if i.severity is Severity.ERROR]
