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
