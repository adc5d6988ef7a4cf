"""Field values: parse recognised text per ``FieldKind`` into the 158 value, choose among an
engine's alternatives with lexicon priors, calibrate confidence, and offer choices.

    from sohoa.fields import parse_field, ParsedValue, choose_reading, suggestions, choices
"""

from sohoa.fields.calibration import (
    Calibration,
    Features,
    Sample,
    default_calibration,
    expected_calibration_error,
    fit_calibration,
)
from sohoa.fields.choose import choose_reading, features_of, rank_candidates
from sohoa.fields.dates import DateError, PartialDate, parse_date
from sohoa.fields.parse import ParsedValue, parse_field
from sohoa.fields.refit import LabelledReading, calibration_samples
from sohoa.fields.suggest import choices, suggestions

__all__ = [
    "Calibration", "DateError", "Features", "LabelledReading", "ParsedValue", "PartialDate",
    "Sample", "calibration_samples", "choices", "choose_reading", "default_calibration",
    "expected_calibration_error",
    "features_of", "fit_calibration", "parse_date", "parse_field", "rank_candidates",
    "suggestions",
]
