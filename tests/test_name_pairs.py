"""Names decoded with the pair prior (sohoa.fields.names.PAIR_BONUS): the last two syllables
as a listed two-syllable given name (boy.txt / girl.txt) weigh for a reading, never over a
clear image, never with a probability the image does not give."""

from __future__ import annotations

import math

from models.charset import Charset
from sohoa.records import Alternative, FieldKind
from tests.ctc_helpers import spelt as _spelt


def _exact(lp, text: str, cs: Charset) -> float:  # type: ignore[no-untyped-def]
    from models.fast_decode import ctc_log_probs

    return math.exp(float(ctc_log_probs(lp, [text], cs)[0]))


def test_a_listed_given_name_pair_wins_a_close_call():
    import sohoa.fields.names as nm
    from models.field_decoder import FieldDecoder
    from sohoa.fields.names import _pairs

    cs = Charset.default()
    truth = "Phạm An Ninh"
    assert "An Ninh" in _pairs()[0] and "An Minh" not in _pairs()[0]
    at = truth.index("Ninh")  # the image slightly prefers "Minh", a commoner given name
    lp = _spelt(cs, truth, {at: {"M": 0.55, "N": 0.42}})
    pairs = FieldDecoder(cs).decode(lp, FieldKind.NAME)
    assert pairs[0][0] == truth
    assert pairs[0][1] <= _exact(lp, truth, cs) * 1.001  # never more than the image gives
    assert "Phạm An Minh" in dict(pairs)
    saved, nm.PAIR_BONUS = nm.PAIR_BONUS, 0.0
    nm.name_prior.cache_clear()
    try:  # without the pair prior the syllables alone chose the commoner name
        assert FieldDecoder(cs).decode(lp, FieldKind.NAME)[0][0] == "Phạm An Minh"
    finally:
        nm.PAIR_BONUS = saved
        nm.name_prior.cache_clear()


def test_an_unlisted_pair_written_clearly_is_not_snapped_and_not_made_surer():
    from models.field_decoder import FieldDecoder
    from sohoa.fields import choose_reading

    cs = Charset.default()
    name = "Phạm An Minh"  # no listed pair; "An Ninh" is, one letter away
    at = name.index("Minh")
    lp = _spelt(cs, name, {at: {"M": 0.9, "N": 0.08}})
    pairs = FieldDecoder(cs).decode(lp, FieldKind.NAME)
    assert pairs[0][0] == name
    alts = [Alternative(t, p) for t, p in pairs]
    chosen = choose_reading("nksHoTen", FieldKind.NAME, alts, "htr")
    assert chosen.text == name
    # where the listed pair is chosen over a slightly preferred image, the confidence stays
    # below the auto-accept band (the image's reading keeps as much mass as the winner)
    lp2 = _spelt(cs, "Phạm An Ninh", {at: {"M": 0.55, "N": 0.42}})
    pairs2 = FieldDecoder(cs).decode(lp2, FieldKind.NAME)
    won = choose_reading("nksHoTen", FieldKind.NAME, [Alternative(t, p) for t, p in pairs2],
                         "htr")
    assert won.text == "Phạm An Ninh" and won.confidence < 0.9
