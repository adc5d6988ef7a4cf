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


def test_a_date_written_out_with_a_misread_word_is_read_with_the_standard_words():
    from models.date_decode import long_date_readings
    from models.field_decoder import FieldDecoder
    from sohoa.fields.parse import parse_field

    cs = Charset.default()
    truth = "ngày 5 tháng 1 năm 2003"
    at = truth.index("th")  # a hand's "th" of tháng read a little more like "Ph"
    lp = _spelt(cs, truth, {at: {"P": 0.5, "t": 0.45}, at + 1: {"h": 0.9, "a": 0.05}})
    misread = "ngày 5 Pháng 1 năm 2003"
    assert FieldDecoder(cs, lexicons=False).decode(lp, FieldKind.DATE)[0][0] == misread
    assert long_date_readings(lp, cs) == [truth]
    pairs = FieldDecoder(cs).decode(lp, FieldKind.DATE)
    assert pairs[0][0] == truth
    assert parse_field(FieldKind.DATE, pairs[0][0]).value == "05.01.2003"
    assert misread in dict(pairs)  # what the image preferred stays an alternative


def test_a_clear_long_date_and_numeric_dates_get_no_long_form():
    from models.date_decode import long_date_readings

    cs = Charset.default()
    assert long_date_readings(_spelt(cs, "Ngày 05 tháng 01 năm 2003"), cs) == []
    assert long_date_readings(_spelt(cs, "05/01/2003"), cs) == []  # no words: digit_readings
    # a capital is kept, and the word put back where the image lost a letter ("1ăm"):
    # with the spacing as read (no space to read there) and the standard one
    assert long_date_readings(_spelt(cs, "Ngày 5 tháng 1ăm 2003"), cs) \
        == ["Ngày 5 tháng 1năm 2003", "Ngày 5 tháng 1 năm 2003"]
    # two words in a row are not the long form's shape (a digit read as a word)
    assert long_date_readings(_spelt(cs, "ngày 6 tháng Trầm 2003"), cs) == []


def test_each_line_of_a_wrapped_long_date_is_respelt_as_its_part():
    from models.date_decode import long_date_readings
    from models.field_decoder import FieldDecoder
    from sohoa.fields.vocab import PRIOR_OTHER, PRIOR_PARSES, field_prior

    cs = Charset.default()
    # "ngày 5 tháng" / "1 năm 2007" in a narrow cell: each line is decoded alone
    assert long_date_readings(_spelt(cs, "ngày 5 táng"), cs) == ["ngày 5 tháng"]
    assert long_date_readings(_spelt(cs, "1răm 2007"), cs) == ["1năm 2007", "1 năm 2007"]
    assert long_date_readings(_spelt(cs, "ngày 8 tháng"), cs) == []
    # a line of the long form spelt right costs less than one misspelt
    assert field_prior(FieldKind.DATE, "ngày 5 tháng") == -PRIOR_PARSES
    assert field_prior(FieldKind.DATE, "ngày 5 táng") == -PRIOR_OTHER
    truth = "ngày 5 tháng"
    at = truth.index("h")  # the hand's "h" of tháng is faint: "táng" a little likelier
    lp = _spelt(cs, truth, {at: {"": 0.5, "h": 0.45}})
    assert FieldDecoder(cs, lexicons=False).decode(lp, FieldKind.DATE)[0][0] == "ngày 5 táng"
    assert FieldDecoder(cs).decode(lp, FieldKind.DATE)[0][0] == truth


def test_a_date_whose_words_are_not_a_dates_costs_the_parse_prior():
    from sohoa.fields.vocab import PRIOR_PARSES, field_prior

    assert field_prior(FieldKind.DATE, "ngày 5 tháng 1 năm 2003") == 0.0
    assert field_prior(FieldKind.DATE, "5/1/2003") == 0.0
    # the parser takes this for the year alone; the words say it was misread
    assert field_prior(FieldKind.DATE, "ngễy 5 Phăng 1ăm 2003") == -PRIOR_PARSES
