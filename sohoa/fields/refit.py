"""Turn benchmark readings with known truth into calibration samples, in one call:

    from sohoa.fields.refit import LabelledReading, calibration_samples
    from sohoa.fields import fit_calibration
    items = [LabelledReading(field, kind, reading.alternatives, truth_text, book_year), ...]
    cal = fit_calibration(calibration_samples(items), note="htr v3, 2,000 cells")
    cal.save("sohoa/data/calibration.json")
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sohoa.fields.calibration import Sample
from sohoa.fields.choose import features_of
from sohoa.fields.parse import parse_field
from sohoa.records import Alternative, FieldKind


@dataclass(frozen=True)
class LabelledReading:
    """An engine's n-best for one cell and what is really written there."""

    field: str
    kind: FieldKind
    candidates: Sequence[Alternative]
    truth: str  # the text as written, or its 158 value: both are compared after parsing
    ref_year: int | None = None
    engine: str = ""


def is_correct(kind: FieldKind, chosen_value: str, chosen_text: str, truth: str,
               ref_year: int | None = None) -> bool:
    """Whether a chosen reading matches the truth (same 158 value; same text for free text)."""
    want = parse_field(kind, truth, ref_year=ref_year)
    if want.ok and want.value:
        return chosen_value == want.value
    return chosen_text == want.text


def calibration_samples(items: Iterable[LabelledReading]) -> list[Sample]:
    """One calibration sample per item with at least one non-empty candidate."""
    out = []
    for it in items:
        found = features_of(it.kind, list(it.candidates), it.ref_year, it.field, it.engine)
        if found is None:
            continue
        feats, parsed = found
        out.append(Sample(feats, is_correct(it.kind, parsed.value, parsed.text, it.truth,
                                            it.ref_year)))
    return out
