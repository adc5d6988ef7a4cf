"""Dates and years read group by group (models.date_decode): each group between separators
scored on its own frames against the values its slot can hold."""

from __future__ import annotations

from models.charset import Charset
from sohoa.records import FieldKind
from tests.ctc_helpers import spelt as _spelt


def test_a_month_the_image_reads_as_17_is_read_as_the_likeliest_month():
    from models.date_decode import digit_readings
    from models.field_decoder import FieldDecoder

    cs = Charset.default()
    truth = "10/12/2009"
    lp = _spelt(cs, truth, {4: {"7": 0.5, "2": 0.45}})  # "10/17/2009": no month 17
    assert digit_readings(lp, cs) == [truth]
    assert FieldDecoder(cs).decode(lp, FieldKind.DATE)[0][0] == truth


def test_a_lost_separator_is_found_between_day_and_month():
    from models.date_decode import digit_readings

    cs = Charset.default()
    lp = _spelt(cs, "174/2011")  # clearly "174": read as day 17, month 4
    assert digit_readings(lp, cs) == ["17/4/2011"]


def test_a_clear_date_and_a_clear_year_are_left_as_read():
    from models.date_decode import digit_readings

    cs = Charset.default()
    assert digit_readings(_spelt(cs, "18/7/2009"), cs) == []
    assert digit_readings(_spelt(cs, "NS 1982"), cs, year_only=True) == []
    # a year field's last group is read as a year: "19B2" -> "1982"
    out = digit_readings(_spelt(cs, "NS 1982", {5: {"B": 0.6, "8": 0.3}}), cs, year_only=True)
    assert out == ["NS 1982"]
