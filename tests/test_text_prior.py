"""Free text (notes, causes of death) decoded as Vietnamese (sohoa.fields.syllables with
models.field_decoder): the syllable set, the frequency prior, and the compiled decoders on
log-probabilities written here, with wordfreq's installed Vietnamese list."""

from __future__ import annotations

import math

import numpy as np

from models.charset import Charset
from sohoa.records import FieldKind
from tests.ctc_helpers import spelt as _spelt


def test_every_syllable_is_generated_with_its_tone_where_spelling_puts_it():
    from sohoa.fields.syllables import lower_syllables
    from sohoa.fields.text import is_syllable

    s = lower_syllables()
    for w in ("hòa", "hoà", "thủy", "thuỷ", "ngoài", "khuỷu", "rượu", "hữu", "gì", "quá",
              "nạn", "nước", "đuối", "huỳnh", "biến", "chết"):
        assert w in s, w
    for w in ("hoàc", "nuễc", "rúộc", "thêng", "tei", "vng", "năc"):
        assert w not in s, w  # a stop ending takes only sắc or nặng; no such rhymes
    assert all(is_syllable(w) for w in s)
    assert 15_000 < len(s) < 30_000


def test_common_words_cost_less_than_rare_ones_and_misshapen_ones_most():
    from sohoa.fields.syllables import frequencies, text_prior, word_prior

    assert len(frequencies()) > 3000  # wordfreq's Vietnamese list, kept to syllables
    assert text_prior("Tai nạn giao thông") > text_prior("Tai nạn giác thêng")
    assert text_prior("Đã cấp lại") > text_prior("Đỗ sấp Vại")
    assert word_prior("lại") > word_prior("vại") > word_prior("xoẳng") > word_prior("nuễc")
    # numbers, codes and capitals' abbreviations are not judged as words
    assert word_prior("12/2005") == word_prior("UBND") == word_prior("(QĐ-UBND)") == 0.0
    # the case a word is written in does not matter
    assert word_prior("Lại") == word_prior("lại")


def test_free_text_read_with_a_misshapen_word_becomes_the_common_word():
    from models.field_decoder import FieldDecoder

    cs = Charset.default()
    truth = "Tai nạn giao thông"
    at = truth.index("ô")  # the image slightly prefers "thêng": no Vietnamese syllable
    lp = _spelt(cs, truth, {at: {"ê": 0.55, "ô": 0.42}})
    assert FieldDecoder(cs, lexicons=False).decode(lp, FieldKind.TEXT)[0][0] \
        == "Tai nạn giao thêng"
    pairs = FieldDecoder(cs).decode(lp, FieldKind.TEXT)
    assert pairs[0][0] == truth
    from models.fast_decode import ctc_log_probs

    exact = math.exp(float(ctc_log_probs(lp, [truth], cs)[0]))
    assert pairs[0][1] <= exact * 1.001  # the prior ranks, it never raises a probability
    assert "Tai nạn giao thêng" in dict(pairs)  # the image's choice stays an alternative


def test_a_rare_word_written_clearly_is_read_as_written():
    from models.field_decoder import FieldDecoder
    from sohoa.fields.syllables import word_prior

    cs = Charset.default()
    text = "Xơ gan cổ trướng"  # "trướng": rare; "trường" is among the commonest words
    assert word_prior("trường") > word_prior("trướng")
    at = text.index("ớ")
    lp = _spelt(cs, text, {at: {"ớ": 0.95, "ờ": 0.03}})
    assert FieldDecoder(cs).decode(lp, FieldKind.TEXT)[0][0] == text


def test_text_decoded_without_priors_is_the_open_beam_as_before():
    from models.field_decoder import FieldDecoder

    cs = Charset.default()
    truth = "Đuối nước"
    lp = _spelt(cs, truth, {truth.index("ư"): {"u": 0.6, "ư": 0.37}})
    plain = FieldDecoder(cs, lexicons=False).decode(lp, FieldKind.TEXT)
    dec = FieldDecoder(cs)
    dec.priors = False
    assert dec.decode(lp, FieldKind.TEXT) == plain
    assert np.isclose(sum(p for _, p in plain[:1]), plain[0][1])


def test_a_capital_inside_a_note_costs_a_little_and_a_clear_one_stays():
    from models.field_decoder import FieldDecoder
    from sohoa.fields.syllables import text_prior, word_prior

    assert text_prior("Ốm lâu ngày") > text_prior("Ốm Lâu ngày")
    # abbreviations and the first word are not charged
    assert text_prior("Đăng ký tại UBND") == sum(
        word_prior(w) for w in ("Đăng", "ký", "tại", "UBND"))
    cs = Charset.default()
    truth = "Ốm lâu ngày"
    at = truth.index("l")  # a hand's "l" a little more like an "L"
    lp = _spelt(cs, truth, {at: {"L": 0.55, "l": 0.42}})
    assert FieldDecoder(cs, lexicons=False).decode(lp, FieldKind.TEXT)[0][0] == "Ốm Lâu ngày"
    assert FieldDecoder(cs).decode(lp, FieldKind.TEXT)[0][0] == truth
    # a proper noun written with a clear capital stays capitalised
    note = "Đăng ký lại tại xã Mường Bú"
    at = note.index("M")
    lp = _spelt(cs, note, {at: {"M": 0.9, "m": 0.08}})
    assert FieldDecoder(cs).decode(lp, FieldKind.TEXT)[0][0] == note
