"""Word lists for synthetic registers of the north-west: ethnic groups with their family and
given names, relations, causes of death, notes, and loaders for the shipped name/place files.

Kept as plain data so that the parsers and the generator can share it; weights are rough
shares of the population of Sơn La / Điện Biên / Lai Châu, not census figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from sohoa.records import nfc

# ethnic group -> weight in a north-western commune register
ETHNIC_WEIGHTS: dict[str, float] = {
    "Thái": 0.38,
    "Mông": 0.24,
    "Kinh": 0.17,
    "Mường": 0.06,
    "Dao": 0.04,
    "Khơ Mú": 0.04,
    "Xinh Mun": 0.015,
    "Lào": 0.015,
    "Kháng": 0.01,
    "Giáy": 0.01,
    "Hà Nhì": 0.01,
    "Lự": 0.005,
    "Tày": 0.01,
    "La Ha": 0.005,
}

# family names by group (weights implicit by repetition); Kinh use the national counts file
FAMILY_NAMES: dict[str, tuple[str, ...]] = {
    "Thái": ("Lò", "Lò", "Lò", "Quàng", "Quàng", "Cầm", "Cầm", "Lường", "Lường", "Tòng", "Vì",
             "Hà", "Điêu", "Bạc", "Lê", "Sa", "Lộc", "Hoàng", "Mè"),
    "Mông": ("Sùng", "Sùng", "Giàng", "Giàng", "Mùa", "Mùa", "Thào", "Thào", "Vàng", "Vàng", "Lầu",
             "Hạng", "Lý", "Tráng", "Hờ", "Sình", "Cứ", "Chá"),
    "Mường": ("Đinh", "Đinh", "Bùi", "Bùi", "Hà", "Quách", "Xa", "Đinh Công"),
    "Dao": ("Triệu", "Triệu", "Đặng", "Đặng", "Bàn", "Lý", "Phùng", "Chảo"),
    "Khơ Mú": ("Lò", "Vì", "Quàng", "Cà", "Lường", "Tòng"),
    "Xinh Mun": ("Lò", "Vì", "Lường", "Quàng"),
    "Lào": ("Lò", "Vì", "Cầm", "Lường"),
    "Kháng": ("Lò", "Quàng", "Lường", "Vì"),
    "Giáy": ("Hoàng", "Lù", "Sần", "Vương"),
    "Hà Nhì": ("Ly", "Chu", "Pờ", "Lỳ", "Sừ"),
    "Lự": ("Lò", "Tao", "Vàng"),
    "Tày": ("Hoàng", "Nông", "Ma", "Lục", "Hà"),
    "La Ha": ("Lò", "Quàng", "Lường"),
}

_TAI_MALE = ("Hùng", "Pánh", "Thoong", "Xiêng", "Ín", "Ọn", "Khăm", "Bun", "Phương", "Tiến",
             "Ngoan", "Sơn", "Thanh", "Xôm", "Piêng", "Lả", "Hặc", "Chiến", "Duy", "Hải", "Cương",
             "Văn Tú", "Minh", "Quyết", "Thắng", "Ánh", "Đôi", "Ơn", "Tuấn", "Nhất")
_TAI_FEMALE = ("Ún", "Hoa", "Phanh", "Xuân", "Lả", "Ươi", "Pặng", "Thoa", "Ngọc", "Lan", "Oanh",
               "Ly", "Tiên", "Hương", "Mai", "Đôi", "Xoan", "Bua", "Ếnh", "Kim", "Hiền", "Thủy",
               "Nga", "Yến", "Doan", "Luyến", "Quyên", "Vân")
_HMONG_MALE = ("Páo", "Dế", "Chá", "Sềnh", "Súa", "Tủa", "Chư", "Lử", "Dình", "Sử", "Pà", "Nhè",
               "Của", "Lềnh", "Sinh", "Chống", "Giàng", "Phềnh", "Tồng", "Vư", "Hờ", "Lâu", "Khua",
               "Thái", "Vảng", "Trừ", "Dua", "Xá", "Chính", "Tu")
_HMONG_FEMALE = ("Mỷ", "Dua", "Chua", "Mai", "Sua", "Pàng", "Sía", "Dở", "Mỉ", "Cở", "Say", "Dinh",
                 "Ly", "Máy", "Sấy", "Chư", "Súa", "Pằng", "Ploa", "Xúa", "Vừ", "Lan", "Hoa", "Tú")

GIVEN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Thái": (_TAI_MALE, _TAI_FEMALE),
    "Mông": (_HMONG_MALE, _HMONG_FEMALE),
}

RELATIONS_KS = ("Cha", "Cha", "Cha", "Mẹ", "Mẹ", "Mẹ", "Ông nội", "Bà nội", "Ông ngoại",
                "Bà ngoại", "Bác ruột", "Chú ruột", "Cô ruột")
RELATIONS_KT = ("Con", "Con", "Con đẻ", "Con trai", "Con gái", "Vợ", "Chồng", "Cháu", "Cháu nội",
                "Em ruột", "Anh ruột", "Cha", "Mẹ", "Trưởng bản")
CAUSES_OF_DEATH = ("Già yếu", "Già yếu", "Già", "Bệnh", "Ốm đau", "Ốm lâu ngày", "Bệnh tim",
                   "Bệnh phổi", "Tai nạn giao thông", "Đuối nước", "Sốt rét", "Bệnh gan",
                   "Ung thư", "Tai biến mạch máu não", "Đột quỵ", "Tai nạn lao động")
NOTES_KS = ("Đăng ký quá hạn", "Đăng ký lại", "Khai sinh quá hạn", "Cấp bản sao ngày",
            "Đăng ký muộn", "Con ngoài giá thú", "Trẻ sinh đôi", "Đã cấp lại")
NOTES_KT = ("Đăng ký quá hạn", "Đăng ký lại", "Cấp trích lục")
NOTES_KH = ("Đăng ký lại", "Kết hôn lần đầu", "Cấp bản sao")
HEALTH_PLACES = ("Trạm y tế xã {ward}", "Bệnh viện đa khoa huyện {district}",
                 "Trung tâm y tế huyện {district}", "Bệnh viện đa khoa tỉnh {province}")
VILLAGE_PREFIXES = ("Bản", "Bản", "Bản", "Bản", "Xóm", "Thôn", "Tổ", "Bản")
# syllables used to invent village names (Bản Nà Sản, Bản Huổi Lếch ...)
VILLAGE_FIRST = ("Nà", "Huổi", "Co", "Pá", "Phiêng", "Nậm", "Hua", "Bó", "Pú", "Tà", "Noong",
                 "Hát", "Púng", "Lọng", "Kéo", "Mường", "Chiềng", "Pom", "Ten", "Cang")
VILLAGE_SECOND = ("Sản", "Lếch", "Mạ", "Khoang", "Hốc", "Lạn", "Lự", "Ban", "Nưa", "Bon", "Pá",
                  "Cằm", "Hin", "Tở", "Sáy", "Ún", "Lay", "Nong", "Cuông", "Pết", "Hịa", "Mòn")


@dataclass(frozen=True)
class Place:
    """One pre-2025 commune with its district and province (short names, with unit types)."""

    province: str
    district_type: str
    district: str
    ward_type: str
    ward: str


_VI_LETTERS = set(
    "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
)


def clean_name(raw: str) -> str | None:
    """A name from the shipped lists in NFC with Đ (not the look-alike Ð), each word
    capitalised; ``None`` for the list's mis-encoded entries (VNI/TCVN3 bytes, mojibake)."""
    words = nfc(raw).strip().split()
    if not words or any(not set(w.lower()) <= _VI_LETTERS for w in words):
        return None
    return " ".join(w[0].upper() + w[1:] for w in words)


def _data_text(rel: str) -> str:
    return resources.files("sohoa").joinpath(f"data/{rel}").read_text(encoding="utf-8")


@cache
def communes() -> tuple[Place, ...]:
    """North-western communes from ``data/places/northwest_communes.tsv``."""
    rows = _data_text("places/northwest_communes.tsv").splitlines()[1:]
    return tuple(Place(*r.split("\t")) for r in rows if r.strip())


@cache
def given_names(sex: str) -> tuple[str, ...]:
    """Kinh given names (often two syllables) for ``"Nam"`` or ``"Nữ"``."""
    name = "boy.txt" if sex == "Nam" else "girl.txt"
    cleaned = (clean_name(x) for x in _data_text(f"lexicons/names/{name}").splitlines())
    return tuple(sorted({x for x in cleaned if x}))


@cache
def counted(name: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """A ``word<TAB>count`` file as (words, probabilities)."""
    merged: dict[str, float] = {}
    for line in _data_text(f"lexicons/names/{name}").splitlines()[1:]:
        parts = line.split("\t")
        word = clean_name(parts[0]) if len(parts) == 2 else None
        if word and parts[1].strip().isdigit():
            merged[word] = merged.get(word, 0.0) + float(parts[1])
    words, counts = list(merged), list(merged.values())
    total = sum(counts)
    return tuple(words), tuple(c / total for c in counts)
