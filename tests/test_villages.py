"""The village word that opens an address (sohoa.fields.villages): readings whose first word
is no unit word are offered with each village word in its place, and the decoder weighs them
on the image like any other candidate (no prior of their own). Log-probabilities are written
here."""

from __future__ import annotations

from models.charset import Charset
from models.field_decoder import FieldDecoder
from sohoa.fields.villages import VILLAGE_WORDS, village_variants
from sohoa.records import FieldKind
from tests.ctc_helpers import spelt

ADDRESS = ", xã La Pán Tẩn, huyện Mù Căng Chải, tỉnh Yên Bái"


def test_a_misread_village_word_is_offered_back_and_nothing_else_changes():
    variants = village_variants("Thần Bá Lạn" + ADDRESS)
    assert "Thôn Bá Lạn" + ADDRESS in variants and "Bản Bá Lạn" + ADDRESS in variants
    assert len(variants) == len(VILLAGE_WORDS)
    assert all(v.endswith("Bá Lạn" + ADDRESS) for v in variants)  # only the first word
    assert village_variants("Lê Pá Cằm - La Pán Tẩn - Yên Bái")[0].startswith("Bản Pá Cằm - ")


def test_no_variants_where_there_is_no_village_part_to_name():
    assert village_variants("Bản Nà Mòn" + ADDRESS) == ()  # a village word already
    assert village_variants("Xã La Pán Tẩn, huyện Mù Căng Chải") == ()  # a unit word
    assert village_variants("Thần Bá Lạn") == ()  # one part: no address
    assert village_variants("Lê" + ADDRESS) == ()  # a word alone names no village
    assert village_variants("") == ()


def test_the_image_decides_between_the_read_word_and_a_village_word():
    cs = Charset.default()
    clear = "Tân Phượng, huyện Lục Yên, tỉnh Yên Bái"  # a commune first, written clearly
    assert FieldDecoder(cs).decode(spelt(cs, clear), FieldKind.PLACE)[0][0] == clear
    truth = "Tổ Pá Cằm" + ADDRESS
    lp = spelt(cs, truth, {0: {"T": 0.3, "L": 0.6}, 1: {"ổ": 0.3, "ê": 0.6}})
    pairs = FieldDecoder(cs).decode(lp, FieldKind.PLACE)
    assert pairs[0][0].startswith("Lê Pá Cằm")  # the image prefers it: no prior overrules
    assert any(t == truth for t, _ in pairs)  # the village reading stays an alternative
