"""Field-aware plausibility of a parsed value, for choosing among readings.

A register of year Y registers events of year Y (``ngayDangKy``), births shortly before
(``nksNgaySinh``), and parents born 13-60 years before. Such facts cannot make a value
invalid (late registrations exist) but they break ties between readings like 12/3/2008 and
12/3/2006 in a 2008 book.
"""

from __future__ import annotations

from sohoa.fields.dates import PartialDate
from sohoa.fields.parse import ParsedValue
from sohoa.records import FieldKind

# field name -> (years before ref_year that are usual: low, high)
_USUAL_AGE: dict[str, tuple[int, int]] = {
    "ngayDangKy": (0, 0),
    "nksNgaySinh": (0, 15),
    "nktNgayChet": (0, 1),
    "meNgaySinh": (13, 60),
    "chaNgaySinh": (13, 70),
    "nycNgaySinh": (13, 90),
    "chongNgaySinh": (16, 80),
    "voNgaySinh": (16, 80),
}
UNUSUAL = 0.5  # evidence factor for a value outside the usual range


def plausibility(field: str, kind: FieldKind, parsed: ParsedValue, ref_year: int | None) -> float:
    """A factor in (0, 1] for ``parsed.evidence``: 1 when usual for the field, else lower."""
    if ref_year is None or not parsed.ok or not parsed.value:
        return 1.0
    if FieldKind(kind) not in (FieldKind.DATE, FieldKind.YEAR) or field not in _USUAL_AGE:
        return 1.0
    try:
        year = PartialDate.from_export(parsed.value).year
    except (ValueError, IndexError):
        return 1.0
    low, high = _USUAL_AGE[field]
    return 1.0 if ref_year - high <= year <= ref_year - low else UNUSUAL
