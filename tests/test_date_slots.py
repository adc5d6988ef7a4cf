"""Dates and years read group by group (models.date_decode): each group between separators
scored on its own frames against the values its slot can hold."""

from __future__ import annotations

import numpy as np

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


def test_a_number_read_as_a_letter_is_offered_and_chosen_as_digits():
    from models.date_decode import number_readings
    from models.field_decoder import FieldDecoder

    cs = Charset.default()
    # "30" in a cramped hand: the "3" looks a little more like an "N"
    lp = _spelt(cs, "30", {0: {"N": 0.55, "3": 0.4}})
    assert number_readings(lp, cs) == ["30"]
    pairs = FieldDecoder(cs).decode(lp, FieldKind.NUMBER)
    assert pairs[0][0] == "30"
    assert "N0" in dict(pairs)  # what the image preferred stays an alternative
    # no probability is raised: the digits keep the image's own, below the letter's
    from models.fast_decode import ctc_log_probs

    assert pairs[0][1] <= float(np.exp(ctc_log_probs(lp, ["30"], cs)[0])) * 1.001


def test_a_clear_number_and_clear_writing_around_it_are_left_as_read():
    from models.date_decode import number_readings
    from models.field_decoder import FieldDecoder

    cs = Charset.default()
    assert number_readings(_spelt(cs, "172"), cs) == []
    lp = _spelt(cs, "Số 12/KS")  # letters written clearly are not forced into digits
    assert FieldDecoder(cs).decode(lp, FieldKind.NUMBER)[0][0] == "Số 12/KS"
    # a number among letters the image barely prefers is read as the number alone
    lp = _spelt(cs, "14", {0: {"M": 0.5, "1": 0.45}})
    assert FieldDecoder(cs).decode(lp, FieldKind.NUMBER)[0][0] == "14"
