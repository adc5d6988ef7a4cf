"""Entry file names: the default rule, and safety for hostile names on every file system."""

from __future__ import annotations

import re

import pytest

from sohoa.export.naming import (
    MAX_STEM,
    NamingError,
    UniqueNamer,
    ascii_fold,
    book_stem,
    check_pattern,
    entry_stem,
    safe_component,
)
from sohoa.records import Book

BOOK = Book(1, "KS", 2008, "01/2008", "Chiềng Ban", "Mai Sơn", "Sơn La")
SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10))}


def test_default_rule():
    values = {"so": "12", "nksHoTen": "Nguyễn Thị Hồng Nhung", "nksGioiTinh": "2"}
    assert entry_stem(values, BOOK, 5, 1) == "12_2008_NguyenThiHongNhung_Nu"
    assert entry_stem({**values, "so": "12/2008", "nksHoTen": "Đỗ Đức Đạt", "nksGioiTinh": "1"},
                      BOOK, 5, 1) == "12_2008_DoDucDat_Nam"
    assert ascii_fold("Ðặng") == "Dang"  # Icelandic eth slipped in by OCR


@pytest.mark.parametrize("name", [
    "../../etc/passwd", "a/b\\c", "..", ".", "", "   ", "CON", "nul", "Com1", "LPT9",
    "x" * 500, "name.with.dots...", "tab\tand\nnewline", "<>:\"|?*", "🙂🙂", "\x00\x01",
    "-leading-dash", "trailing. ",
])
def test_hostile_names_give_safe_unique_files(name):
    namer = UniqueNamer()
    stems = [entry_stem({"so": "", "nksHoTen": name}, BOOK, 7, 3, "{name}") for _ in range(3)]
    files = [namer.claim(s, ".pdf") for s in stems]
    assert len({f.lower() for f in files}) == 3  # unique, also on case-insensitive systems
    for f in files:
        stem = f[: -len(".pdf")]
        assert SAFE.match(stem), f
        assert stem.upper() not in WINDOWS_RESERVED
        assert len(f) <= MAX_STEM + len(".pdf")
        assert ".." not in f and "/" not in f and "\\" not in f


def test_reserved_device_names_are_escaped():
    assert safe_component("CON").upper() not in WINDOWS_RESERVED
    assert safe_component("aux") != "aux"
    assert safe_component("Console") == "Console"


def test_uniqueness_is_case_insensitive():
    namer = UniqueNamer()
    assert namer.claim("12_2008_A_Nam", ".pdf") == "12_2008_A_Nam.pdf"
    assert namer.claim("12_2008_a_nam", ".pdf") == "12_2008_a_nam_2.pdf"
    assert namer.claim("12_2008_A_Nam", ".pdf") == "12_2008_A_Nam_3.pdf"


def test_patterns_are_checked_up_front():
    assert check_pattern("{type}_{volume}_{so}") == "{type}_{volume}_{so}"
    for bad in ("{nope}", "{0}", "plain", "{so"):
        with pytest.raises(NamingError):
            check_pattern(bad)


def test_book_stem_and_draft_mark():
    assert book_stem(BOOK) == "KS_2008_ChiengBan_01-2008"
    assert book_stem(BOOK, draft=True).startswith("DRAFT_")
