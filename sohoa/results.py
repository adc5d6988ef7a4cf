"""Result schemas of reading a page: the ``read`` contract of DESIGN.md as typed records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sohoa.records import BBox, Reading


@dataclass(frozen=True)
class EntryReading:
    """One register entry (a table row) with the readings of its non-empty fields."""

    index: int
    bbox: BBox
    quad: tuple[tuple[int, int], ...] | None
    fields: dict[str, Reading]
    field_boxes: dict[str, BBox] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "bbox": list(self.bbox)}
        if self.quad:
            out["quad"] = [list(p) for p in self.quad]
        out["fields"] = {
            name: {
                "text": r.text,
                "value": r.value,
                "confidence": round(r.confidence, 4),
                **({"bbox": list(r.bbox)} if r.bbox else {}),
            }
            for name, r in self.fields.items()
            if r.text
        }
        return out


@dataclass(frozen=True)
class PageReading:
    """Everything read from one page image; ``status`` says why a page has no entries."""

    page: str
    template: str
    angle: float
    rotation: int
    status: str
    entries: tuple[EntryReading, ...]

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "template": self.template,
            "angle": round(self.angle, 3),
            "rotation": self.rotation,
            "status": self.status,
            "entries": [e.to_json() for e in self.entries],
        }
