"""Result records of page analysis: the table grid and the page layout handed to the pipeline.

Everything a stage hands to the next is a frozen dataclass. ``Grid`` lives in the coordinates of
the image it was found in; ``PageLayout`` carries boxes in the coordinates of the *ingested* page
image plus the affine transform to the deskewed, upright "work" page, so crops can be cut from
the straightened page while every box still points into the original scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

BBox = tuple[int, int, int, int]
Quad = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]
Affine = tuple[float, float, float, float, float, float]  # row-major 2x3


@dataclass(frozen=True)
class RuledLine:
    """One ruling line. Horizontal lines give y as a function of x, vertical x of y.

    ``coeffs`` are polynomial coefficients (highest power first, ``np.polyval`` order) so a
    slightly curled page keeps its lines; ``pos`` is the value in the middle of the table;
    ``strength`` the fraction of the table span where ink was found on the line.
    """

    pos: float
    coeffs: tuple[float, ...]
    strength: float

    def at(self, t: float | np.ndarray) -> Any:
        if isinstance(t, np.ndarray):
            return np.polyval(self.coeffs, t)
        v = 0.0
        for c in self.coeffs:  # Horner's rule: scalars are evaluated thousands of times a page
            v = v * t + c
        return v


@dataclass(frozen=True)
class Grid:
    """The ruled table found on a page: horizontal and vertical lines, sorted."""

    h_lines: tuple[RuledLine, ...]
    v_lines: tuple[RuledLine, ...]
    bbox: BBox  # table extent (x0, y0, x1, y1)

    @property
    def found(self) -> bool:
        return len(self.h_lines) >= 3 and len(self.v_lines) >= 3


@dataclass(frozen=True)
class FieldBox:
    """One field on the scan. ``bbox``/``quad`` frame the handwriting (the whole field region
    when ``empty``); ``cell`` is the field's region: its cell, or its line of a cell that holds
    two fields. ``empty`` when the region holds no handwriting."""

    bbox: BBox
    quad: Quad
    empty: bool
    cell: Quad | None = None
    reason: str = ""  # why an empty field holds nothing to read (a column cut off)


@dataclass(frozen=True)
class EntryLayout:
    """One register entry (a table row that holds writing)."""

    index: int
    bbox: BBox
    quad: Quad
    fields: dict[str, FieldBox]


@dataclass(frozen=True)
class SkippedRow:
    """A table row that is not an entry: ``reason`` is "blank" or "struck"."""

    row: int
    bbox: BBox
    reason: str


@dataclass(frozen=True)
class ColumnGeometry:
    """A page's column boundaries normalised to its table (0 left edge .. 1 right edge), and
    how well its own lines showed them: for a book's consensus (preprocessing.consensus)."""

    bounds: tuple[float, ...]
    fit: float  # alignment cost per matched line (lower is better)
    placed: int  # boundaries with no line of their own
    cut: int  # columns off the image
    prior_used: bool = False  # the book's consensus placed this page's columns
    pitch: float = 0.0  # entry row height / table width (0: unknown)
    placed_at: tuple[int, ...] = ()  # which boundaries had no line of their own
    cut_at: tuple[int, ...] = ()  # which columns lie off the image

    @property
    def complete(self) -> bool:
        return self.placed == 0 and self.cut == 0


@dataclass(frozen=True)
class PageLayout:
    """What page analysis found. ``status`` is "ok" or a human-readable reason."""

    status: str
    angle: float  # skew corrected, degrees, counter-clockwise positive
    rotation: int  # 0/90/180/270: counter-clockwise turn of the scan that was undone
    width: int  # ingested image size
    height: int
    entries: tuple[EntryLayout, ...] = ()
    skipped_rows: tuple[SkippedRow, ...] = ()
    header_bbox: BBox | None = None
    columns: tuple[tuple[int, int], ...] = ()  # column x-ranges on the work page
    transform: Affine = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # ingested -> work page
    work_size: tuple[int, int] = (0, 0)  # (width, height) of the work page
    # ingested -> work page as a 3x3 homography (row-major) when a photo taken at an angle was
    # rectified; ``transform`` is then only its affine part
    perspective: tuple[float, ...] | None = None
    geometry: ColumnGeometry | None = None  # the page's columns, for the book's consensus
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        """The ``read`` contract shape without text (see DESIGN.md)."""
        return {
            "status": self.status,
            "angle": round(self.angle, 3),
            "rotation": self.rotation,
            "entries": [
                {
                    "index": e.index,
                    "bbox": list(e.bbox),
                    "quad": [list(p) for p in e.quad],
                    "fields": {
                        n: {"bbox": list(f.bbox), "empty": f.empty,
                            **({"reason": f.reason} if f.reason else {})}
                        for n, f in e.fields.items()
                    },
                }
                for e in self.entries
            ],
            "skipped_rows": [
                {"row": r.row, "bbox": list(r.bbox), "reason": r.reason} for r in self.skipped_rows
            ],
        }
