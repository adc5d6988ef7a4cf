"""Addresses anywhere in Vietnam, as people write them: training text for the handwriting
model beyond the north-western commune books of :mod:`sohoa.synth.people`.

A register's place fields (birthplace, residence, home town) name units all over the country
(a mother from Hà Nội, a father working in Bình Dương), and urban wards write house numbers,
lanes and streets ("Số 12 ngõ 45 phố Thái Hà, phường Trung Liệt, quận Đống Đa, Hà Nội",
"123/4 Lê Lợi, P. 8, Q. 10, TP. Hồ Chí Minh"). The units come from the pre-2025 gazetteer
(:func:`sohoa.fields.admin_units.admin_index`, 63 provinces, ~10,000 communes); street names
are people and events streets are commonly named after (common knowledge, written as data)
and Kinh full names from the shipped name lists.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from sohoa.fields.admin_units import Unit, admin_index

# streets named after people, places and events found in most Vietnamese towns
STREETS = (
    "Trần Phú", "Lê Lợi", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
    "Hoàng Văn Thụ", "Tôn Thất Tùng", "Nguyễn Du", "Bà Triệu", "Lê Duẩn", "Phan Chu Trinh",
    "Kim Mã", "Thái Hà", "Láng Hạ", "Điện Biên Phủ", "Võ Thị Sáu", "Cách Mạng Tháng Tám",
    "Trần Hưng Đạo", "Lê Thánh Tông", "Nguyễn Huệ", "Ngô Quyền", "Đinh Tiên Hoàng",
    "Lý Thái Tổ", "Phan Đình Phùng", "Nguyễn Thái Học", "Hùng Vương", "Trường Chinh",
    "Giải Phóng", "Nguyễn Văn Cừ", "Lạc Long Quân", "Âu Cơ", "Xuân Thủy", "Cầu Giấy",
    "Phạm Văn Đồng", "Võ Nguyên Giáp", "Tô Hiệu", "Chu Văn An", "Nguyễn Chí Thanh",
    "Phan Bội Châu", "Huỳnh Thúc Kháng", "Lê Hồng Phong", "Nguyễn Đình Chiểu", "Pasteur",
    "Nam Kỳ Khởi Nghĩa", "Ba Tháng Hai", "Hậu Giang", "Lũy Bán Bích", "Âu Dương Lân",
    "Bạch Đằng", "Chiềng Lề", "Tô Ngọc Vân", "Mạc Đĩnh Chi", "Yết Kiêu", "Trần Quốc Toản",
    "Lò Văn Giá", "Nguyễn Lương Bằng", "Thanh Niên", "Hòa Bình", "Độc Lập", "Thống Nhất",
    "Tây Sơn", "Đội Cấn", "Hoàng Hoa Thám", "Đường Láng", "Khâm Thiên", "Xã Đàn",
)
LANES = ("ngõ", "ngõ", "hẻm", "kiệt", "ngách")
STREET_WORDS = ("đường", "phố", "đường", "", "")
HAMLETS = ("Thôn", "Thôn", "Xóm", "Ấp", "Bản", "Khu", "Đội")  # the countryside
BLOCKS = ("Tổ", "Tổ", "Tổ dân phố", "Khu phố", "Khu")  # towns
ABBREV = {"Phường": "P.", "Quận": "Q.", "Thành phố": "TP.", "Thị xã": "TX.", "Huyện": "H.",
          "Xã": "X.", "Thị trấn": "TT.", "Tỉnh": "T."}
CITIES = ("Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ")


@cache
def _communes() -> tuple[tuple[Unit, Unit, Unit], ...]:
    """(commune, district, province) of every pre-2025 commune."""
    idx = admin_index()
    out = []
    for u in idx.units.values():
        if u.level != 3 or u.since_2025:
            continue
        d = idx.units.get(u.parent)
        p = idx.units.get(d.parent) if d is not None else None
        if d is not None and p is not None and d.level == 2 and p.level == 1:
            out.append((u, d, p))
    return tuple(sorted(out, key=lambda t: t[0].code))


def _pick(rng: np.random.Generator, seq: tuple) -> object:
    return seq[int(rng.integers(len(seq)))]


def _unit(u: Unit, rng: np.random.Generator, case: str, abbrev: float) -> str:
    if rng.random() < abbrev and u.type in ABBREV:
        word = ABBREV[u.type]
        return f"{word}{'' if rng.random() < 0.4 else ' '}{u.name}"
    word = u.type if case == "title" else u.type.lower()
    return f"{word} {u.name}"


def _street(rng: np.random.Generator) -> str:
    if rng.random() < 0.8:
        return str(_pick(rng, STREETS))
    from sohoa.synth.people import full_name

    return full_name(rng, "Nam" if rng.random() < 0.7 else "Nữ", "Kinh")


def _house(rng: np.random.Generator) -> str:
    n = int(rng.integers(1, 400))
    r = rng.random()
    if r < 0.25:
        return f"{n}/{int(rng.integers(1, 120))}"
    if r < 0.4:
        return f"{n}{_pick(rng, ('A', 'B', 'C'))}"
    return str(n)


def _opening(rng: np.random.Generator, urban: bool) -> str:
    """House, lane and street (towns) or the hamlet (countryside)."""
    if urban and rng.random() < 0.75:
        street = _street(rng)
        sw = str(_pick(rng, STREET_WORDS))
        street = f"{sw} {street}" if sw else street
        head = str(_pick(rng, ("Số ", "Số nhà ", "số ", "", "")))
        parts = [f"{head}{_house(rng)}"]
        if rng.random() < 0.4:
            parts.append(f"{_pick(rng, LANES)} {int(rng.integers(1, 300))}")
            if rng.random() < 0.25:
                parts.append(f"ngách {int(rng.integers(1, 80))}")
        sep = ", " if rng.random() < 0.3 else " "
        return sep.join(parts) + sep + street
    word = str(_pick(rng, BLOCKS if urban else HAMLETS))
    if rng.random() < 0.45:
        return f"{word} {int(rng.integers(1, 25))}"
    name = _pick(rng, _communes())[0].name  # hamlets are often named like communes
    return f"{word} {name}"


def nationwide_address(rng: np.random.Generator) -> str:
    """One address anywhere in the country, in one of the ways people write them."""
    commune, district, province = _pick(rng, _communes())  # type: ignore[misc]
    urban = commune.type == "Phường" or district.type in ("Quận", "Thành phố", "Thị xã")
    case = "title" if rng.random() < 0.45 else "lower"
    abbrev = float(rng.choice((0.0, 0.0, 0.0, 0.0, 0.5, 1.0)))
    parts: list[str] = []
    if rng.random() < 0.8:
        parts.append(_opening(rng, urban))
    parts.append(_unit(commune, rng, case, abbrev))
    if rng.random() < 0.9:
        parts.append(_unit(district, rng, case, abbrev))
    r = rng.random()
    if province.name in CITIES and r < 0.5:
        parts.append(province.name)  # "..., Hà Nội"
    elif r < 0.35:
        parts.append(province.name)
    else:
        parts.append(_unit(province, rng, case, abbrev))
    sep = str(_pick(rng, (", ", ", ", ", ", " - ", " ")))
    text = sep.join(parts)
    return text[0].upper() + text[1:]
