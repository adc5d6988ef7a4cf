"""Every validation rule fires on a crafted bad record and stays quiet on a good one."""

from __future__ import annotations

import pytest

from sohoa.records import Book
from sohoa.template import load_template
from sohoa.validate import RULES, Severity, blocking, validate_book, validate_entry

BOOK = Book(1, "KS", 2008, "01/2008", "Chiềng Ban", "Mai Sơn", "Sơn La")
KS = load_template("ks-2006")
GOOD = {
    "so": "12", "ngayDangKy": "15.03.2008", "nksHoTen": "Lò Thị Hồng Nhung",
    "nksNgaySinh": "01.03.2008", "nksGioiTinh": "2", "nksDanToc": "Thái",
    "nksQuocTich": "Việt Nam", "nksNoiSinh": "Bản Nà Sản", "meHoTen": "Lò Thị Mai",
    "meNgaySinh": "1985", "chaHoTen": "Quàng Văn Ánh", "chaNgaySinh": "1980",
    "nycHoTen": "Quàng Văn Ánh", "nycQuanHe": "Cha",
}

# rule id -> changes to GOOD that must make exactly that rule fire
BAD: dict[str, dict[str, str]] = {
    "required": {"nksHoTen": ""},
    "date_format": {"nksNgaySinh": "31.02.2008"},
    "date_order": {"ngayDangKy": "28.02.2008"},
    "parent_age": {"meNgaySinh": "1995"},
    "so_format": {"so": "12a"},
    "book_year": {"so": "12/2009"},
    "id_format": {"nksSoDinhDanh": "12345"},
    "id_distinct": {"meSoDinhDanhCaNhan": "011185000123", "chaSoDinhDanhCaNhan": "011185000123"},
    "code_list": {"nksGioiTinh": "4"},
    "name_chars": {"meHoTen": "Lò Thị M4i"},
    "control_chars": {"ghiChu": "dòng 1\ndòng 2"},
}


def rules_of(issues):
    return {i.rule_id for i in issues}


def test_ethnicity_must_be_one_of_the_54_groups():
    for name in ("Khơ Mú", "Mèo", "H'Mông", "Thái", "Kinh"):  # variants of official names
        assert validate_entry({**GOOD, "nksDanToc": name}, BOOK, KS) == [], name
    issues = validate_entry({**GOOD, "meDanToc": "Người Sao Hỏa"}, BOOK, KS)
    assert [(i.rule_id, i.field) for i in issues] == [("code_list", "meDanToc")]


def test_good_record_is_quiet():
    assert validate_entry(GOOD, BOOK, KS) == []


@pytest.mark.parametrize("rule", sorted(BAD))
def test_rule_fires_on_bad_record(rule):
    issues = validate_entry({**GOOD, **BAD[rule]}, BOOK, KS)
    assert rules_of(issues) == {rule}, issues
    assert all(i.severity is RULES[rule].severity for i in issues)
    assert all(i.message and i.field for i in issues)


def test_partial_dates_are_compared_as_intervals():
    # registered in 2008, born March 2008: not provably out of order
    assert validate_entry({**GOOD, "ngayDangKy": "2008", "nksNgaySinh": "03.2008"}, BOOK, KS) == []
    issues = validate_entry({**GOOD, "ngayDangKy": "02.2008", "nksNgaySinh": "03.2008"}, BOOK, KS)
    assert rules_of(issues) == {"date_order"}


def test_father_age_and_death_order():
    assert rules_of(validate_entry({**GOOD, "chaNgaySinh": "1990"}, BOOK, KS)) == {"parent_age"}
    kt_book = Book(2, "KT", 2010, "01/2010", "Chiềng Ban", "Mai Sơn", "Sơn La")
    kt = {"so": "3", "ngayDangKy": "05.05.2010", "nktHoTen": "Lò Văn Ón",
          "nktNgaySinh": "1950", "nktNgayChet": "01.05.2010", "nktGioiTinh": "1"}
    assert validate_entry(kt, kt_book, load_template("kt-2006")) == []
    bad = validate_entry({**kt, "nktNgaySinh": "02.05.2010"}, kt_book, load_template("kt-2006"))
    assert rules_of(bad) == {"date_order"}
    late = validate_entry({**kt, "ngayDangKy": "30.04.2010"}, kt_book, load_template("kt-2006"))
    assert rules_of(late) == {"date_order"}


def test_marriage_age():
    kh_book = Book(3, "KH", 2012, "01/2012", "Chiềng Ban", "Mai Sơn", "Sơn La")
    kh = {"so": "1", "ngayDangKy": "01.06.2012", "chongHoTen": "Lò Văn Ón",
          "chongNgaySinh": "1985", "voHoTen": "Cầm Thị Lả", "voNgaySinh": "1990"}
    assert validate_entry(kh, kh_book, load_template("kh-2006")) == []
    bad = validate_entry({**kh, "voNgaySinh": "1996"}, kh_book, load_template("kh-2006"))
    assert rules_of(bad) == {"marriage_age"}


def test_declarant_may_share_the_parents_papers():
    same = {**GOOD, "chaSoDinhDanhCaNhan": "011180000999", "nycSoGiayToTuyThan": "011180000999"}
    assert validate_entry(same, BOOK, KS) == []


def test_book_rules_duplicate_gap_and_subject_id():
    entries = [(i, {**GOOD, "so": str(n), "nksSoDinhDanh": f"011208000{i}"})
               for i, n in ((101, 1), (102, 2), (103, 2), (104, 5))]
    entries.append((105, {**GOOD, "so": "6", "nksSoDinhDanh": "011208000101"}))
    issues = validate_book(entries, BOOK, KS)
    dup = [i for i in issues if i.rule_id == "duplicate"]
    assert {i.entry_id for i in dup} == {102, 103}
    gaps = [i for i in issues if i.rule_id == "sequence_gap"]
    assert len(gaps) == 1 and gaps[0].entry_id is None and "3, 4" in gaps[0].message
    ids = [i for i in issues if i.rule_id == "id_distinct"]
    assert [i.entry_id for i in ids] == [105]
    assert {i.rule_id for i in blocking(issues)} == {"duplicate", "id_distinct"}
    clean = [(i, {**GOOD, "so": str(i)}) for i in range(1, 6)]
    assert validate_book(clean, BOOK, KS) == []


def test_duplicate_across_workspace():
    other = Book(9, "KS", 2008, "01/2008", "Chiềng Ban", "Mai Sơn", "Sơn La")
    unrelated = Book(10, "KS", 2008, "01/2008", "Chiềng Mung", "Mai Sơn", "Sơn La")
    issues = validate_book([(1, {**GOOD, "so": "1"})], BOOK, KS,
                           others=[(other, 77, {"so": "1/2008"}), (unrelated, 78, {"so": "1"})])
    assert [(i.rule_id, i.entry_id) for i in issues] == [("duplicate", 1)]
    assert "77" in issues[0].message


def test_rule_table_is_complete():
    assert set(BAD) | {"duplicate", "sequence_gap", "marriage_age"} == set(RULES)
    assert all(r.severity in (Severity.ERROR, Severity.WARNING) for r in RULES.values())
