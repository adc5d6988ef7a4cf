"""A reading whose box is in doubt is never at auto-accept confidence, whatever the map."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sohoa.fields import calibration_seg
from sohoa.fields.calibration import (
    DOUBT_CAP,
    EDGE_DOUBT,
    OTHER_DOUBT,
    Features,
    box_doubt,
    default_calibration,
)
from sohoa.fields.calibration_seg import LayoutEvidence
from sohoa.fields.choose import choose_reading
from sohoa.records import Alternative, FieldKind

CLEAR = Features(engine_conf=0.999, evidence=1.0, ok=True, length=12, kind=FieldKind.NAME)


def test_thresholds_agree_with_the_evidence_module():
    assert EDGE_DOUBT == calibration_seg.EDGE_DOUBT and OTHER_DOUBT == calibration_seg.OTHER_DOUBT
    assert DOUBT_CAP < 0.9


@pytest.mark.parametrize("change", [{"edge_ink": 0.5}, {"other_kind": 0.6},
                                    {"layout_residual": 0.7}])
def test_doubtful_box_is_capped(change):
    cal = default_calibration()
    assert cal.predict(CLEAR) >= 0.9  # the same reading with a clean box is auto-accepted
    doubtful = replace(CLEAR, **change)
    assert box_doubt(doubtful)
    assert cal.predict(doubtful) <= DOUBT_CAP


def test_mild_evidence_is_left_to_the_map():
    mild = replace(CLEAR, edge_ink=0.1, other_kind=0.1, layout_residual=0.2)
    assert not box_doubt(mild)
    assert default_calibration().predict(mild) >= 0.9


def test_choose_reading_caps_ink_across_the_walls():
    alts = [Alternative("Lò Văn Thắng", 0.99)]
    clean = choose_reading("nksHoTen", FieldKind.NAME, alts, "htr",
                           evidence=LayoutEvidence(edge_ink=0.0, ink=0.05))
    crossed = choose_reading("nksHoTen", FieldKind.NAME, alts, "htr",
                             evidence=LayoutEvidence(edge_ink=0.6, ink=0.05))
    assert clean.text == crossed.text == "Lò Văn Thắng"
    assert clean.confidence >= 0.9 > DOUBT_CAP >= crossed.confidence


def test_fit_never_lets_doubt_raise_confidence():
    """Readings with extra written lines happen to be right more often here: the fitted map
    still gives that doubt feature no positive weight (it is held at 0), and the other
    features are fitted as usual."""
    import random

    from sohoa.fields.calibration import fit_calibration

    rng = random.Random(3)
    samples = []
    for i in range(400):
        conf = rng.random()
        right = rng.random() < conf
        extra = 1.0 if (right and i % 3 == 0) else 0.0
        samples.append((replace(CLEAR, engine_conf=min(max(conf, 0.01), 0.99),
                                extra_lines=extra), right))
    cal = fit_calibration(samples)
    assert cal.weights["extra_lines"] == 0.0
    assert cal.weights["logit_conf"] > 0


def test_a_refit_keeps_the_valid_rival_weight_of_the_map_it_starts_from():
    """Fitted on readings where a valid rival says little (it mostly comes with right
    readings here), the free fit weakens the rival weight; with ``kept_doubt`` it stays at
    the start map's and the other weights are refitted around it."""
    import random

    from sohoa.fields.calibration import CalibrationError, fit_calibration, kept_doubt

    rng = random.Random(5)
    samples = []
    for _ in range(600):
        conf = min(max(rng.random(), 0.02), 0.98)
        right = rng.random() < conf
        rival = 0.4 if rng.random() < (0.25 if right else 0.35) else 0.0
        samples.append((replace(CLEAR, engine_conf=conf, rival=rival), right))
    start = default_calibration()
    bounds = kept_doubt(start)
    assert bounds == {"rival": start.weights["rival"]} and bounds["rival"] < -1
    free = fit_calibration(samples)
    kept = fit_calibration(samples, at_most=bounds)
    assert free.weights["rival"] > bounds["rival"] + 1  # the data alone weaken it
    assert kept.weights["rival"] == bounds["rival"]
    assert kept.weights["logit_conf"] > 0 and kept.bias != free.bias
    doubt, lone = replace(CLEAR, engine_conf=0.6, rival=0.4), replace(CLEAR, engine_conf=0.6)
    assert kept.predict(lone) - kept.predict(doubt) > free.predict(lone) - free.predict(doubt)
    stronger = fit_calibration(samples, at_most={"rival": -9.0})
    assert stronger.weights["rival"] == -9.0
    with pytest.raises(CalibrationError, match="no doubt feature"):
        fit_calibration(samples, at_most={"logit_conf": 0.0})
