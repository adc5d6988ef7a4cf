"""Dates and years: every written form clerks use, two-digit years, invalid dates."""

import pytest

from sohoa.fields import DateError, PartialDate, parse_date, parse_field
from sohoa.fields.dates import resolve_year, words_to_int
from sohoa.records import FieldKind


@pytest.mark.parametrize(("text", "value"), [
    ("05/03/2008", "05.03.2008"),
    ("5/3/2008", "05.03.2008"),
    ("5-3-08", "05.03.2008"),
    ("5.3.08", "05.03.2008"),
    ("05.03.2008", "05.03.2008"),
    ("2008-03-05", "05.03.2008"),
    ("05032008", "05.03.2008"),
    ("ngày 5 tháng 3 năm 2008", "05.03.2008"),
    ("Ngày 05 tháng 03 năm 2008", "05.03.2008"),
    ("5 tháng 3 2008", "05.03.2008"),
    ("ngày 05/3/2008", "05.03.2008"),
    ("tháng 3 năm 2008", "03.2008"),
    ("tháng 3/2008", "03.2008"),
    ("3/2008", "03.2008"),
    ("2008", "2008"),
    ("năm 2008", "2008"),
    ("mùng năm tháng ba năm hai nghìn không trăm linh tám", "05.03.2008"),
    ("mồng 10 tháng giêng năm 2008", "10.01.2008"),
    ("ngày hai mươi mốt tháng mười hai năm một nghìn chín trăm năm mươi lăm", "21.12.1955"),
    ("tháng năm năm 2008", "05.2008"),
    ("tháng mười một năm hai nghìn lẻ tám", "11.2008"),
    ("ngay 5 thang 3 nam 2008", "05.03.2008"),  # written without diacritics
    ("2OO8", "2008"),  # OCR letter O for zero
    ("29/02/2008", "29.02.2008"),  # leap year
    ("5/III/2008", "05.03.2008"),  # Roman month, as older registers write it
    ("12-XI-1985", "12.11.1985"),
    ("5, 3, 2008", "05.03.2008"),
])
def test_written_forms(text, value):
    assert parse_date(text, 2008).export() == value
    pv = parse_field(FieldKind.DATE, text, ref_year=2008)
    assert pv.ok and pv.value == value


@pytest.mark.parametrize("text", ["31.02.2008", "29/02/2007", "00/05/2008", "12/13/2008",
                                  "ngày 32 tháng 1 năm 2008", "tháng 13 năm 2008"])
def test_invalid_dates_rejected(text):
    with pytest.raises(DateError):
        parse_date(text, 2008)
    pv = parse_field(FieldKind.DATE, text, ref_year=2008)
    assert not pv.ok and pv.value == "" and pv.message


def test_two_digit_years_resolve_against_reference():
    assert resolve_year("08", 2008) == 2008
    assert resolve_year("09", 2008) == 1909  # not after the register's year
    assert resolve_year("85", 2008) == 1985
    assert resolve_year("99", 2001) == 1999
    assert parse_date("5.3.99", 2008).export() == "05.03.1999"


def test_lunar_date_is_flagged():
    pv = parse_field(FieldKind.DATE, "5/3/2008 (âm lịch)", ref_year=2008)
    assert pv.value == "05.03.2008" and not pv.ok and "âm lịch" in pv.message
    assert parse_field(FieldKind.DATE, "5/3/2008 (AL)", ref_year=2008).ok is False


def test_year_after_register_is_flagged():
    pv = parse_field(FieldKind.DATE, "05/03/2010", ref_year=2008)
    assert pv.value == "05.03.2010" and not pv.ok and "2010" in pv.message


@pytest.mark.parametrize(("words", "n"), [
    ("hai nghin khong tram linh tam", 2008), ("mot nghin chin tram tam muoi lam", 1985),
    ("muoi lam", 15), ("hai muoi mot", 21), ("ba muoi", 30), ("mot chin tam lam", 1985),
    ("hai nghin muoi", 2010), ("chin", 9),
])
def test_words_to_int(words, n):
    assert words_to_int(words.split()) == n


def test_words_to_int_rejects_non_numbers():
    assert words_to_int(["xin", "chao"]) is None
    assert words_to_int([]) is None


def test_partial_date_export_and_roundtrip():
    for d in (PartialDate(2008), PartialDate(2008, 3), PartialDate(2008, 3, 5)):
        assert PartialDate.from_export(d.export()) == d
    assert PartialDate(2008, 3).export() == "03.2008"
    with pytest.raises(DateError):
        PartialDate(2008, None, 5)


@pytest.mark.parametrize(("text", "value"), [
    ("1985", "1985"), ("85", "1985"), ("SN 1985", "1985"), ("Sinh năm 85", "1985"),
    ("NS: 1970", "1970"), ("19 85", "1985"), ("1985.", "1985"), ("12/3/1985", "12.03.1985"), ("năm một chín tám lăm", "1985"),
])
def test_year_fields(text, value):
    pv = parse_field(FieldKind.YEAR, text, ref_year=2008)
    assert pv.ok and pv.value == value


def test_year_field_rejects_non_years():
    for text in ("abc", "1", "12345", "Nam"):
        pv = parse_field(FieldKind.YEAR, text, ref_year=2008)
        assert not pv.ok and pv.value == "", text
