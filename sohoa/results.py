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

    @classmethod
    def from_json(cls, data: dict[str, Any], index: int = 0) -> EntryReading:
        """The entry back from its ``to_json`` form (``index`` when the dict has none)."""
        quad = data.get("quad")
        return cls(
            index=int(data.get("index", index)),
            bbox=_bbox(data["bbox"]),
            quad=tuple((int(p[0]), int(p[1])) for p in quad) if quad else None,
            fields={name: Reading(field=name, text=f.get("text", ""), value=f.get("value", ""),
                                  confidence=float(f.get("confidence", 0.0)),
                                  engine=f.get("engine", ""),
                                  bbox=_bbox(f["bbox"]) if f.get("bbox") else None)
                    for name, f in data.get("fields", {}).items()},
        )


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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageReading:
        """The page back from the ``read`` contract (a ``<page>.read.json`` file, say); keys
        the contract may leave out default to an unnamed, upright, ok page."""
        return cls(
            page=str(data.get("page", "")),
            template=str(data.get("template", "")),
            angle=float(data.get("angle", 0.0)),
            rotation=int(data.get("rotation", 0)),
            status=str(data.get("status", "ok")),
            entries=tuple(EntryReading.from_json(e, i)
                          for i, e in enumerate(data.get("entries", []))),
        )

    def engines(self) -> set[str]:
        """The engines that read the page's non-empty fields."""
        return {r.engine for e in self.entries for r in e.fields.values() if r.text and r.engine}


def _bbox(values: Any) -> BBox:
    x0, y0, x1, y1 = (int(v) for v in values)
    return (x0, y0, x1, y1)
