"""Places written after the 1 July 2025 reform (34 provinces, merged communes, no districts)
next to the pre-2025 forms, against the real ``vietnamadminunits`` data; and respelling that
corrects letters without dropping words."""

import pytest

from sohoa.fields import parse_field
from sohoa.fields.admin_units import admin_index
from sohoa.fields.places import parse_place, respell
from sohoa.records import FieldKind

PLACE = FieldKind.PLACE


def test_index_holds_the_2025_units_under_their_provinces():
    ix = admin_index()
    new = [u for u in ix.units.values() if u.since_2025]
    assert len(new) > 1500  # 3,321 units in force, those not kept unchanged from before
    provinces = {u.code: u for u in ix.units.values() if u.level == 1}
    assert len(provinces) == 63  # every 2025 province bears an old province's name
    for u in new:
        assert u.level == 3 and u.parent in provinces  # no district between
    assert {u.type for u in new} >= {"Xã", "Phường", "Đặc khu"}


@pytest.mark.parametrize(("text", "value"), [
    # a ward created in 2025: before it, "phường Hoàn Kiếm" was snapped onto "Xã Hoàng Kim"
    ("phường Hoàn Kiếm, thành phố Hà Nội", "Phường Hoàn Kiếm, thành phố Hà Nội"),
    ("P. Hoàn Kím, TP. Hà Nội", "Phường Hoàn Kiếm, thành phố Hà Nội"),
    # communes of the former Hà Giang province, now in Tuyên Quang
    ("xã Mèo Vạc, tỉnh Tuyên Quang", "Xã Mèo Vạc, tỉnh Tuyên Quang"),
    ("Xã Ngọc Đường, Tuyên Quang", "Xã Ngọc Đường, tỉnh Tuyên Quang"),
    ("Đặc khu Côn Đảo, TP. Hồ Chí Minh", "Đặc khu Côn Đảo, thành phố Hồ Chí Minh"),
    ("Bản Nà Sản, đặc khu Phú Quốc, An Giang", "Bản Nà Sản, đặc khu Phú Quốc, tỉnh An Giang"),
])
def test_post_2025_places_recognised(text, value):
    pv = parse_field(PLACE, text)
    assert pv.ok and pv.value == value, pv
    assert pv.evidence >= 0.8


def test_pre_2025_places_unchanged():
    full = "Bản Co Mạ, xã Co Mạ, huyện Thuận Châu, tỉnh Sơn La"
    p = parse_place(full)
    assert p.ok and p.text == full
    assert [u.level for u in p.units] == [3, 2, 1] and not p.units[0].since_2025
    # a 2019 commune under its old district still resolves through the district
    value = parse_field(PLACE, "Co Mạ, Thuận Châu, Sơn La").value
    assert value == "Xã Co Mạ, huyện Thuận Châu, tỉnh Sơn La"


def test_respell_knows_2025_communes():
    assert respell("xã Ngoc Đường, tỉnh Tuyen Quang") == "xã Ngọc Đường, tỉnh Tuyên Quang"
    assert respell("phường Hoàn Kím, Hà Nội") == "phường Hoàn Kiếm, Hà Nội"


def test_respell_never_drops_or_adds_words():
    # the misread unit word "chường" is not part of the commune's name: it stays
    assert respell("chường Thạch Thang, Đà Nắng") == "chường Thạch Thang, Đà Nẵng"
    assert respell("xã Châu Quế Mạ, huyện Văn Yên") == "xã Châu Quế Hạ, huyện Văn Yên"
    for text in ("chường Thạch Thang, Đà Nắng", "Bản Co Mạ, Co Mạ, Thuận Chau, Sơn La"):
        assert len(respell(text).split()) == len(text.split())
