"""Places that name a health facility by its seat (sohoa.fields.facilities): the facility
kind and the commune, district or province after it are read against the closed list and
the whole country's units, the image deciding. Log-probabilities are written here; the
gazetteer is the shipped one."""

from __future__ import annotations

import math

import numpy as np

from models.charset import Charset
from models.fast_decode import ctc_log_probs
from sohoa.records import FieldKind
from tests.ctc_helpers import spelt


def _misread(truth: str, read: str, right_p: float = 0.3) -> np.ndarray:
    """The image of ``truth`` (same length as ``read``) whose differing letters each look
    more like ``read``'s."""
    assert len(truth) == len(read)
    doubts = {i: {w: 0.65, r: right_p} for i, (r, w) in enumerate(zip(truth, read,
                                                                       strict=True))
              if r != w}
    return spelt(Charset.default(), truth, doubts)


def test_the_seat_of_a_facility_is_a_unit_of_its_level_anywhere_in_the_country():
    from sohoa.fields.facilities import facility_of, seat_unit
    from sohoa.fields.place_match import place_prior

    assert facility_of("Trạm y tế xã Na Sang") == ("Trạm y tế", "xã Na Sang")
    assert facility_of("Bệnh viện đa khoa tỉnh Lào Cai")[0] == "Bệnh viện đa khoa"
    assert facility_of("Bản Nà Sản, xã Chiềng Mai") == ("", "Bản Nà Sản, xã Chiềng Mai")
    assert seat_unit("Trạm y tế xã Na Sang") == "xã Na Sang"
    assert seat_unit("Bệnh viện đa khoa tỉnh Lào Cai") == "tỉnh Lào Cai"
    assert seat_unit("Trạm y tế xã Lo Lang") is None  # no commune of that name
    assert seat_unit("Trạm y tế huyện Văn Yên") is None  # a station sits in a commune
    assert place_prior("Trạm y tế xã Na Sang") > place_prior("Trạm y tế xã Lo Lang") + 2


def test_variants_come_only_for_readings_that_start_like_a_facility():
    from sohoa.fields.facilities import facility_variants

    assert "Bệnh viện đa khoa huyện Thuận Châu" in facility_variants(
        "Bệnh viện đc khoo huyện Thiệt Châu")
    assert "Trung tâm y tế huyện Văn Yên" in facility_variants("Trng tâm y tế huyện Văn Yên")
    assert facility_variants("Bản Nà Sản xã Chiềng Mai") == ()
    assert facility_variants("Nguyễn Văn An") == ()
    assert facility_variants("") == ()


def test_a_misread_facility_and_seat_are_read_as_the_image_allows():
    from models.field_decoder import FieldDecoder

    cs = Charset.default()
    truth = "Trạm y tế xã Chung Chải"  # a commune of Mường Nhé, Điện Biên
    lp = _misread(truth, "Thạm y tế xã Chunq Chái")
    without = FieldDecoder(cs)
    without.facilities = False
    assert without.decode(lp, FieldKind.PLACE)[0][0] != truth
    pairs = FieldDecoder(cs).decode(lp, FieldKind.PLACE)
    assert pairs[0][0] == truth
    # the gazetteer wins the ranking, never a higher probability than the image gives
    assert pairs[0][1] <= math.exp(float(ctc_log_probs(lp, [truth], cs)[0])) * 1.001
    assert pairs[0][1] < 0.9


def test_a_clearly_written_facility_of_no_seat_stays_as_written():
    from models.field_decoder import FieldDecoder

    cs = Charset.default()
    for written in ("Bệnh viện Phụ sản Hà Nội", "Trạm y tế xã Lo Lang"):
        assert FieldDecoder(cs).decode(spelt(cs, written), FieldKind.PLACE)[0][0] == written
