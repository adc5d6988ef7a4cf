"""Decoding names and places with what the field can be (models.field_decoder with
sohoa.fields.names.name_prior and sohoa.fields.place_match): the compiled decoders run on
log-probabilities written here, the lexicons and the gazetteer are the shipped ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.charset import Charset
from sohoa.records import Alternative, FieldKind
from tests.ctc_helpers import spelt as _spelt


def _exact(lp: np.ndarray, text: str, cs: Charset) -> float:
    from models.fast_decode import ctc_log_probs

    return math.exp(float(ctc_log_probs(lp, [text], cs)[0]))


def test_a_name_with_one_wrong_syllable_is_read_as_the_lexicon_name():
    from models.field_decoder import FieldDecoder
    from sohoa.fields.vocab import words

    cs = Charset.default()
    truth = "Lò Văn Hùng"
    at = truth.index("ù")  # the image slightly prefers "Hừng": a syllable, but no name
    lp = _spelt(cs, truth, {at: {"ừ": 0.55, "ù": 0.42}})
    assert "Hừng" not in words(FieldKind.NAME) and "Hùng" in words(FieldKind.NAME)
    pairs = FieldDecoder(cs).decode(lp, FieldKind.NAME)
    assert pairs[0][0] == truth
    # its probability is the image's, not raised by the lexicon
    assert pairs[0][1] <= _exact(lp, truth, cs) * 1.001
    assert "Lò Văn Hừng" in dict(pairs)  # what the image preferred stays an alternative
    # without the priors the open beam's reading would have been the image's preference
    assert FieldDecoder(cs, lexicons=False).decode(lp, FieldKind.NAME)[0][0] == "Lò Văn Hừng"


def test_a_rare_name_written_clearly_is_read_as_written_not_snapped():
    from models.field_decoder import FieldDecoder
    from sohoa.fields import choose_reading
    from sohoa.fields.vocab import words

    cs = Charset.default()
    name = "Vừ Pả Xênh"  # two syllables no list holds; "Lềnh" is a listed given name
    assert "Xênh" not in words(FieldKind.NAME) and "Lềnh" in words(FieldKind.NAME)
    x = name.index("X")
    lp = _spelt(cs, name, {x: {"X": 0.9, "L": 0.06}, x + 1: {"ê": 0.9, "ề": 0.06}})
    pairs = FieldDecoder(cs).decode(lp, FieldKind.NAME)
    assert pairs[0][0] == name  # the out-of-vocabulary escape
    chosen = choose_reading("nksHoTen", FieldKind.NAME, [Alternative(t, p) for t, p in pairs],
                            "htr")
    assert chosen.text == name


def test_names_are_capitalised_and_their_case_variants_pooled():
    from models.field_decoder import FieldDecoder

    cs = Charset.default()
    truth = "Bùi Thị Ngân"
    at = truth.index("N")  # the image is unsure of the capital: "ngân" or "Ngân"
    lp = _spelt(cs, truth, {at: {"n": 0.5, "N": 0.47}})
    pairs = dict(FieldDecoder(cs).decode(lp, FieldKind.NAME))
    assert "Bùi Thị ngân" not in pairs
    both = _exact(lp, truth, cs) + _exact(lp, "Bùi Thị ngân", cs)
    assert pairs[truth] == pytest.approx(both, rel=0.02)


def test_a_place_reading_is_mapped_to_a_consistent_hierarchy():
    from models.field_decoder import FieldDecoder
    from sohoa.fields.place_match import place_variants
    from sohoa.fields.places import parse_place

    cs = Charset.default()
    truth = "Bản Nà Sản, xã Co Mạ, huyện Thuận Châu, tỉnh Sơn La"
    doubts = {truth.index("ã"): {"a": 0.55, "ã": 0.42},  # "xa": a misspelt unit word
              truth.index("Mạ"): {"N": 0.55, "M": 0.42},  # "Co Nạ": no commune of Thuận Châu
              truth.index("âu"): {"a": 0.55, "â": 0.42}}  # "Thuận Chau"
    lp = _spelt(cs, truth, doubts)
    read = "Bản Nà Sản, xa Co Nạ, huyện Thuận Chau, tỉnh Sơn La"
    assert FieldDecoder(cs, lexicons=False).decode(lp, FieldKind.PLACE)[0][0] == read
    variants = place_variants(read)
    assert truth in variants
    for v in variants:  # every unit found lies in the one above it
        units = parse_place(v).units
        assert all(u.parent == p.code for u, p in zip(units, units[1:], strict=False))
    pairs = FieldDecoder(cs).decode(lp, FieldKind.PLACE)
    assert pairs[0][0] == truth
    assert pairs[0][1] <= _exact(lp, truth, cs) * 1.001
    assert read in dict(pairs)
    # the village is no unit: never snapped, even when the image doubts it
    village = truth.replace("Nà Sản", "Nà Sàn")
    assert FieldDecoder(cs).decode(_spelt(cs, village), FieldKind.PLACE)[0][0] == village


def test_a_gazetteer_match_the_image_does_not_support_gets_no_high_confidence():
    from models.field_decoder import FieldDecoder
    from sohoa.fields import choose_reading

    cs = Charset.default()
    written = "Bản Kéo Bon, xã Châu Quế Lạ, huyện Văn Yên, tỉnh Yên Bái"  # no such commune
    at = written.index("Lạ")
    lp = _spelt(cs, written, {at: {"L": 0.9, "H": 0.07}})
    pairs = FieldDecoder(cs).decode(lp, FieldKind.PLACE)
    for text, p in pairs:  # no candidate is more likely than the image makes it
        assert p <= _exact(lp, text, cs) * 1.001
    chosen = choose_reading("nksNoiSinh", FieldKind.PLACE,
                            [Alternative(t, p) for t, p in pairs], "htr")
    assert chosen.text in (written, written.replace("Lạ", "Hạ"))
    # the gazetteer's commune may win against the image, but not into the auto-accepted
    # band: the reading the image preferred keeps as much mass as the winner (``honest``)
    assert chosen.confidence < 0.9
    import models.field_decoder as fd

    saved, fd.PRIOR_KINDS = fd.PRIOR_KINDS, ()
    try:  # before the priors the image's reading led with 0.9 and the choice was sure
        before = FieldDecoder(cs).decode(lp, FieldKind.PLACE)
    finally:
        fd.PRIOR_KINDS = saved
    assert choose_reading("nksNoiSinh", FieldKind.PLACE, [Alternative(t, p) for t, p in before],
                          "htr").confidence > chosen.confidence


def test_a_syllable_read_as_spaces_is_not_a_free_shorter_name():
    """An image whose middle syllable the network half reads as spaces ("space, blank,
    space": two spaces as read) is not "Nguyễn Nhi" for free: an empty slot pays what a
    malformed syllable pays (rule 60 of benchmarks/results/rules-s34.md)."""
    from models.field_decoder import FieldDecoder, settled
    from sohoa.fields import names

    assert names.empty_slots("Nguyễn Mỹ Nhi") == 0
    assert names.empty_slots("Nguyễn  Nhi") == 1 and names.empty_slots("Huỳnh ") == 1
    assert names.name_prior("Nguyễn  Nhi") < names.name_prior("Nguyễn Nhi") - 6.0
    assert not settled(FieldKind.NAME, "Nguyễn  Nhi") and settled(FieldKind.NAME, "Nguyễn Nhi")

    cs = Charset.default()
    truth = "Nguyễn Mỹ Nhi"
    m = truth.index("M")
    lp = _spelt(cs, truth, {m: {" ": 0.6, "M": 0.37}, m + 1: {" ": 0.6, "ỹ": 0.37}})
    pairs = FieldDecoder(cs).decode(lp, FieldKind.NAME)
    assert "  " in FieldDecoder(cs, lexicons=False).decode(lp, FieldKind.NAME)[0][0]
    assert pairs[0][0] == truth


def test_the_lm_alone_does_not_overturn_a_settled_name(monkeypatch):
    """The free beam's best reading is a listed name, so the priors are skipped
    (``PRIOR_SHORTCUT``); a character LM that likes "L" after "Thị " put the unlisted
    "Giàng Thị Luyết" first when fused alone. Now a fused best that is not settled sends the
    candidates through the priors (rule 75 of benchmarks/results/rules-s38.md)."""
    import models.field_decoder as fd
    from models.field_decoder import FieldDecoder, settled

    cs = Charset.default()
    truth = "Giàng Thị Tuyết"
    assert settled(FieldKind.NAME, truth) and not settled(FieldKind.NAME, "Giàng Thị Luyết")
    lp = _spelt(cs, truth, {truth.rindex("T"): {"T": 0.6, "L": 0.37}})

    def hook(prefix: str, ch: str) -> float:
        return 2.0 if ch == "L" and prefix.endswith("Thị ") else 0.0

    def best() -> str:
        return FieldDecoder(cs, hooks={FieldKind.NAME: hook}).decode(lp, FieldKind.NAME)[0][0]

    assert best() == truth
    monkeypatch.setattr(fd, "SETTLED_STAYS", False)  # as it was: the LM's reading, unweighed
    assert best() == "Giàng Thị Luyết"
