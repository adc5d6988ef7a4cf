"""Closed lists (ethnic groups, relations, sex) decoded with their prior
(``DecodeWeights.closed``): a listed form wins over a near reading the image
prefers by a few nats, and keeps the image's own (low) probability."""

from __future__ import annotations

import math

from models.charset import Charset
from models.decode_weights import DecodeWeights
from sohoa.records import Alternative, FieldKind
from tests.ctc_helpers import spelt as _spelt


def test_a_listed_group_wins_over_a_form_the_image_prefers_and_stays_unsure():
    import models.field_decoder as fd
    from models.fast_decode import ctc_log_probs
    from sohoa.fields import choose_reading
    from sohoa.fields.vocab import field_prior

    cs = Charset.default()
    truth, misread = "Kinh", "Kình"
    assert field_prior(FieldKind.ETHNICITY, truth) == 0.0
    assert field_prior(FieldKind.ETHNICITY, misread) < 0.0  # accepted, but not a listed form
    lp = _spelt(cs, truth, {1: {"ì": 0.97, "i": 0.001}})  # ~7 nats for the misread
    pairs = fd.FieldDecoder(cs).decode(lp, FieldKind.ETHNICITY)
    assert pairs[0][0] == truth
    assert pairs[0][1] <= math.exp(float(ctc_log_probs(lp, [truth], cs)[0])) * 1.001
    chosen = choose_reading("nksDanToc", FieldKind.ETHNICITY,
                            [Alternative(t, p) for t, p in pairs], "htr")
    assert chosen.confidence < 0.9  # the image did not say so: no auto-accept
    # the former weight let the image's misread stand
    weaker = fd.FieldDecoder(cs, weights=DecodeWeights(closed=3.0))
    assert weaker.decode(lp, FieldKind.ETHNICITY)[0][0] == misread
