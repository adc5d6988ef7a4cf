"""The data model shared by every stage: frozen, typed, validated records.

Field identity is the 158 column name (``nksHoTen``, ``ngayDangKy`` ...); coordinates are pixels
of the page image as ingested; text is Unicode NFC everywhere.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, fields
from dataclasses import field as dc_field
from enum import StrEnum
from typing import Any

from sohoa.errors import SohoaError


class RecordError(SohoaError, ValueError):
    """A record was built from invalid values."""


class RegisterType(StrEnum):
    KS = "KS"  # khai sinh (birth)
    KT = "KT"  # khai tu (death)
    KH = "KH"  # ket hon (marriage)
    HN = "HN"  # xac nhan tinh trang hon nhan
    CMC = "CMC"  # cha me con


class EntryStatus(StrEnum):
    DETECTED = "detected"
    PREFILLED = "prefilled"
    CONFIRMED = "confirmed"
    APPROVED = "approved"
    EXPORTED = "exported"

    @property
    def rank(self) -> int:
        return _STATUS_ORDER.index(self)


_STATUS_ORDER = list(EntryStatus)


class FieldKind(StrEnum):
    NAME = "name"
    DATE = "date"
    YEAR = "year"
    SEX = "sex"
    ETHNICITY = "ethnicity"
    NATIONALITY = "nationality"
    PLACE = "place"
    NUMBER = "number"
    RELATION = "relation"
    TEXT = "text"


def nfc(text: str) -> str:
    """Unicode NFC, with the Icelandic eth (U+00D0) that OCR confuses for Đ mapped to Đ."""
    text = unicodedata.normalize("NFC", text)
    return text.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")


BBox = tuple[int, int, int, int]


def _check_bbox(bbox: Any, what: str) -> BBox:
    if bbox is None or len(bbox) != 4:
        raise RecordError(f"{what}: bbox must be 4 integers, got {bbox!r}")
    x0, y0, x1, y1 = (int(v) for v in bbox)
    if x1 < x0 or y1 < y0:
        raise RecordError(f"{what}: bbox {bbox!r} has x1<x0 or y1<y0")
    return (x0, y0, x1, y1)


class _Record:
    """Mixin: ``to_dict``/``from_dict`` for the frozen dataclasses below."""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)  # type: ignore[call-overload]
        for k, v in out.items():
            if isinstance(v, tuple):
                out[k] = list(v)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - names
        if unknown:
            raise RecordError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class Book(_Record):
    id: int | None
    register_type: RegisterType
    year: int
    volume: str
    commune: str
    district: str = ""
    province: str = ""
    template: str = ""

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "register_type", RegisterType(self.register_type))
        except ValueError as exc:
            raise RecordError(f"Book: unknown register type {self.register_type!r}") from exc
        if not 1900 <= int(self.year) <= 2100:
            raise RecordError(f"Book: year {self.year!r} out of range 1900-2100")
        object.__setattr__(self, "year", int(self.year))
        for name in ("volume", "commune", "district", "province", "template"):
            object.__setattr__(self, name, nfc(str(getattr(self, name))).strip())
        if not self.volume:
            raise RecordError("Book: volume (quyenSo) is required")
        if not self.commune:
            raise RecordError("Book: commune is required")


@dataclass(frozen=True)
class Page(_Record):
    id: int | None
    book_id: int
    page_no: int
    source: str
    sha256: str
    width: int
    height: int
    angle: float = 0.0
    created_at: str = dc_field(default="", compare=False)  # UTC ISO time it was stored

    def __post_init__(self) -> None:
        if self.page_no < 1:
            raise RecordError(f"Page: page_no must be >= 1, got {self.page_no}")
        if len(self.sha256) != 64:
            raise RecordError(f"Page: sha256 must be 64 hex characters, got {self.sha256!r}")
        if self.width <= 0 or self.height <= 0:
            raise RecordError(f"Page: size {self.width}x{self.height} is empty")


@dataclass(frozen=True)
class Entry(_Record):
    id: int | None
    page_id: int
    index: int
    bbox: BBox
    status: EntryStatus = EntryStatus.DETECTED

    def __post_init__(self) -> None:
        object.__setattr__(self, "bbox", _check_bbox(self.bbox, "Entry"))
        try:
            object.__setattr__(self, "status", EntryStatus(self.status))
        except ValueError as exc:
            raise RecordError(f"Entry: unknown status {self.status!r}") from exc
        if self.index < 0:
            raise RecordError(f"Entry: index must be >= 0, got {self.index}")


@dataclass(frozen=True)
class Alternative(_Record):
    text: str
    confidence: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", nfc(self.text))


@dataclass(frozen=True)
class Reading(_Record):
    """One field's recognised text, its parsed 158 value and a confidence in [0, 1]."""

    field: str
    text: str
    value: str = ""
    confidence: float = 0.0
    engine: str = ""
    bbox: BBox | None = None
    alternatives: tuple[Alternative, ...] = dc_field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.field:
            raise RecordError("Reading: field name is required")
        object.__setattr__(self, "text", nfc(self.text))
        object.__setattr__(self, "value", nfc(self.value))
        if not 0.0 <= float(self.confidence) <= 1.0:
            raise RecordError(f"Reading {self.field}: confidence {self.confidence} not in [0, 1]")
        object.__setattr__(self, "confidence", float(self.confidence))
        if self.bbox is not None:
            object.__setattr__(self, "bbox", _check_bbox(self.bbox, f"Reading {self.field}"))
        alts = tuple(
            a if isinstance(a, Alternative) else Alternative.from_dict(a) for a in self.alternatives
        )
        object.__setattr__(self, "alternatives", alts)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["alternatives"] = [a.to_dict() for a in self.alternatives]
        return out


@dataclass(frozen=True)
class FieldCrop:
    """One field's image cut from a page, handed to a recognition engine.

    ``image`` is a grey uint8 numpy array (ruling removed); ``bbox`` is in ingested page pixels.
    ``empty`` is set by segmentation when the cell holds no ink for this field; ``entry`` is the
    index of the register entry (table row) it was cut from, None for a crop not cut from a page.
    """

    field: str
    kind: FieldKind
    image: Any
    bbox: BBox
    empty: bool = False
    entry: int | None = None
    layout_residual: float = 0.0  # page analysis's doubt about the columns (0 clean .. 1)
    # where it was cut: the cell's quadrilateral on the ingested page and the margin added
    # (preprocessing.crops.field_crops); the store keeps it to cut the crop again on demand
    quad: tuple[tuple[float, float], ...] | None = None
    margin: float = 0.0
    part: bool = False  # one line of a value wrapped onto several (sohoa.recognize.split_lines)
