"""Places read unit by unit on the image (models.place_decode): the best path's frames cut at
the separators, each administrative part scored against the units that can stand there,
right to left, a commune only inside its district and province. Log-probabilities are
written here; the gazetteer is the shipped one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.charset import Charset
from sohoa.records import FieldKind
from tests.ctc_helpers import spelt as _spelt


def _garbled(truth: str, word: str, wrong: str, right_p: float = 0.35) -> np.ndarray:
    """The image of ``truth`` whose letters of ``word`` each look more like ``wrong``'s."""
    cs = Charset.default()
    at = truth.index(word)
    doubts = {at + i: {w: 0.6, r: right_p} for i, (r, w) in enumerate(zip(word, wrong,
                                                                          strict=True))
              if r != w}
    return _spelt(cs, truth, doubts)


@pytest.fixture
def units_on():
    import models.field_decoder as fd

    saved = fd.PLACE_UNITS, fd.PLACE_SPOT
    yield fd
    fd.PLACE_UNITS, fd.PLACE_SPOT = saved


def test_best_path_alignment_gives_each_character_its_frames():
    from models.place_decode import aligned

    cs = Charset.default()
    lp = _spelt(cs, "Sơn La")
    text, starts, ends = aligned(lp, cs)
    assert text == "Sơn La"
    assert list(starts) == [0, 2, 4, 6, 8, 10] and list(ends) == list(starts)


def test_a_garbled_district_is_read_as_the_district_of_its_commune(units_on):
    from models.field_decoder import FieldDecoder
    from models.place_decode import unit_readings
    from sohoa.fields.places import parse_place

    cs = Charset.default()
    truth = "Bản Hua Pá, xã Nậm Cha, huyện Sìn Hồ, tỉnh Lai Châu"
    lp = _garbled(truth, "Sìn Hồ", "Sờu Hà")  # "Sờu Hà": no district anywhere near it
    units_on.PLACE_UNITS = units_on.PLACE_SPOT = False  # (models.place_spot finds it too)
    before = FieldDecoder(cs).decode(lp, FieldKind.PLACE)[0][0]
    assert "Sìn Hồ" not in before  # the name as read matches no district's spelling
    assert truth in unit_readings(lp, cs, before)
    units = parse_place(truth).units  # the district found is the commune's own
    assert sorted(u.name for u in units) == ["Lai Châu", "Nậm Cha", "Sìn Hồ"]
    assert units[0].parent == units[1].code and units[1].parent == units[2].code
    units_on.PLACE_UNITS = True
    pairs = FieldDecoder(cs).decode(lp, FieldKind.PLACE)
    assert pairs[0][0] == truth
    # the gazetteer chose the reading; its probability is still the image's, not raised
    from models.fast_decode import ctc_log_probs

    assert pairs[0][1] <= math.exp(float(ctc_log_probs(lp, [truth], cs)[0])) * 1.001
    assert any(t == before for t, _ in pairs)  # the image's own reading stays an alternative


def test_a_village_and_a_unit_clearly_written_are_not_replaced(units_on):
    from models.field_decoder import FieldDecoder

    cs = Charset.default()
    # "Nà Sàn" is no unit and stays; a clear reading keeps every unit as written
    written = "Bản Nà Sàn, xã Co Mạ, huyện Thuận Châu, tỉnh Sơn La"
    assert FieldDecoder(cs).decode(_spelt(cs, written), FieldKind.PLACE)[0][0] == written
    # a commune that does not exist in the district, written clearly, is not snapped
    odd = "Bản Nà Sàn, xã Nà Xèo, huyện Thuận Châu, tỉnh Sơn La"
    assert FieldDecoder(cs).decode(_spelt(cs, odd), FieldKind.PLACE)[0][0] == odd
