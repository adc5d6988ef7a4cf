"""Where the stages meet: composition only (DESIGN.md "The flow").

ingest (sohoa.ingest) -> preprocess + segment (preprocessing) -> recognise + parse
(sohoa.recognize) -> store (sohoa.store). Each step is one call with typed inputs and outputs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from sohoa.recognize import Recognizer
from sohoa.records import FieldCrop, FieldKind, Reading
from sohoa.results import EntryReading, PageReading
from sohoa.template import Template

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageWork:
    """The outcome of preprocessing, segmenting and recognising one page image."""

    reading: PageReading
    entry_crops: tuple[np.ndarray, ...] = ()
    field_crops: tuple[dict[str, np.ndarray], ...] = ()
    geometry: object | None = None  # preprocessing.layout.ColumnGeometry, for book consensus
    field_quads: tuple[dict[str, tuple], ...] = ()  # field -> (quad, margin) on the page


@dataclass(frozen=True)
class Segmented:
    """A page cut into entries and field crops, not yet recognised (picklable, so worker
    processes can segment while one process holds the model)."""

    name: str
    template_id: str
    angle: float
    rotation: int
    status: str
    entries: tuple[EntryReading, ...] = ()  # boxes only; fields empty
    crops: tuple[FieldCrop, ...] = ()  # each knows its entry (``FieldCrop.entry``)
    entry_crops: tuple[np.ndarray, ...] = ()
    geometry: object | None = None  # preprocessing.layout.ColumnGeometry, for book consensus

    @property
    def crop_entry(self) -> tuple[int, ...]:
        """The entry index of each crop."""
        return tuple(int(c.entry) for c in self.crops)  # type: ignore[arg-type]


def segment_image(image: np.ndarray, template: Template, *, name: str = "",
                  keep_crops: bool = False, prior=None) -> Segmented:  # noqa: ANN001
    """Preprocess and segment one page image into entries and field crops. ``prior``: the
    book's layout (preprocessing.consensus.BookPrior), when known."""
    from preprocessing import analyze_page, entry_crop, field_crops
    from preprocessing.spread import SPREAD_STATUS, holds_two_pages

    layout = analyze_page(image, template, prior=prior)
    if holds_two_pages(image, template):  # a spread stored whole: a person re-ingests it
        layout = replace(layout, status=SPREAD_STATUS if layout.ok or not layout.status
                         else f"{SPREAD_STATUS} ({layout.status})")
    if not layout.entries:  # a bad page: nothing to cut, the status says why
        return Segmented(name, template.id, layout.angle, layout.rotation, layout.status,
                         geometry=layout.geometry)
    from sohoa.fields.calibration_seg import layout_residual_of

    doubt = layout_residual_of(layout)  # the column fit's doubt, for the confidence
    crops = tuple(replace(c, layout_residual=doubt) if doubt else c
                  for c in field_crops(image, layout, template))
    entries = tuple(
        EntryReading(
            index=e.index,
            bbox=_box(e.bbox),
            quad=tuple((int(p[0]), int(p[1])) for p in e.quad) if e.quad is not None else None,
            fields={},
            field_boxes={k: _box(fb.bbox) for k, fb in e.fields.items()},
        )
        for e in layout.entries
    )
    # a torn or partial page keeps the rows that were found, with its status for a person
    return Segmented(
        name, template.id, layout.angle, layout.rotation, layout.status, entries, crops,
        entry_crops=tuple(entry_crop(image, e) for e in layout.entries) if keep_crops else (),
        geometry=layout.geometry,
    )


def assemble(seg: Segmented, readings: list[Reading], *, keep_crops: bool = False) -> PageWork:
    """Put a segmented page and the readings of its crops (same order) together."""
    if not seg.entries:
        return PageWork(PageReading(seg.name, seg.template_id, seg.angle, seg.rotation,
                                    seg.status, ()), geometry=seg.geometry)
    by_entry: dict[int, dict[str, Reading]] = {}
    crop_images: dict[int, dict[str, np.ndarray]] = {}
    crop_quads: dict[int, dict[str, tuple]] = {}
    for crop, reading in zip(seg.crops, readings, strict=True):
        by_entry.setdefault(crop.entry, {})[crop.field] = reading  # type: ignore[index]
        crop_images.setdefault(crop.entry, {})[crop.field] = crop.image  # type: ignore[index]
        if getattr(crop, "quad", None) is not None:
            crop_quads.setdefault(crop.entry, {})[crop.field] = (  # type: ignore[index]
                crop.quad, crop.margin)
    _settle_numbers(seg, by_entry)
    entries = tuple(replace(e, fields=by_entry.get(e.index, {})) for e in seg.entries)
    page = PageReading(seg.name, seg.template_id, seg.angle, seg.rotation, seg.status, entries)
    if not keep_crops:
        return PageWork(page, geometry=seg.geometry)
    return PageWork(page, entry_crops=seg.entry_crops,
                    field_crops=tuple(crop_images.get(e.index, {}) for e in seg.entries),
                    geometry=seg.geometry,
                    field_quads=tuple(crop_quads.get(e.index, {}) for e in seg.entries))


def _settle_numbers(seg: Segmented, by_entry: dict[int, dict[str, Reading]]) -> None:
    """Register numbers run on down a page: check them against each other (in place)."""
    from sohoa.fields.sequence import number_columns, settle_numbers

    order = [e.index for e in seg.entries]
    names = {c.field for c in seg.crops if c.kind == FieldKind.NUMBER}
    columns = number_columns(order, names, lambda i, n: by_entry.get(i, {}).get(n))
    for name, column in columns.items():
        for i, reading in zip(order, settle_numbers(column), strict=True):
            if reading is not None:
                by_entry[i][name] = reading


def read_image(
    image: np.ndarray,
    template: Template,
    recognizer: Recognizer,
    *,
    name: str = "",
    ref_year: int | None = None,
    keep_crops: bool = False,
    prior=None,  # noqa: ANN001 - preprocessing.consensus.BookPrior
) -> PageWork:
    """Read one page image into the ``read`` contract (and, for the store, its crops)."""
    seg = segment_image(image, template, name=name, keep_crops=keep_crops, prior=prior)
    readings = recognizer.read(seg.crops, ref_year=ref_year) if seg.crops else []
    return assemble(seg, readings, keep_crops=keep_crops)


def _box(b) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    x0, y0, x1, y1 = (int(v) for v in b)
    return (x0, y0, x1, y1)


@dataclass
class ProcessReport:
    """What a ``process`` run did; failures and bad pages are listed for a person to look at."""

    processed: int = 0
    entries: int = 0
    needs_attention: list[tuple[int, str, str]] = field(default_factory=list)
    failed: list[tuple[int, str, str]] = field(default_factory=list)
    second_looks: int = 0  # weak pages analysed again with their book's layout
    book_layout: set[int] = field(default_factory=set)  # pages whose columns it placed
    stored: dict[int, tuple[bool, int]] = field(default_factory=dict, repr=False)  # page ->
    # (ok, entries) as stored in this run


def save_work(ws, page_id: int, work: PageWork) -> int:
    """Store one page's result (one transaction). A bad page is marked for a person to look
    at; a torn or partial page keeps the entries found and is marked too.

    Returns the number of entries saved.
    """
    from sohoa.store import EntryResult

    if not work.reading.entries:
        ws.set_page_state(page_id, "needs_attention", work.reading.status)
        return 0
    results = [
        EntryResult(
            index=e.index,
            bbox=e.bbox,
            quad=e.quad,
            entry_crop=work.entry_crops[i],
            field_crops=work.field_crops[i],
            field_boxes=e.field_boxes,
            readings=[r for r in e.fields.values() if r.text],
            field_quads=work.field_quads[i] if work.field_quads else {},
        )
        for i, e in enumerate(work.reading.entries)
    ]
    ids = ws.save_page_result(page_id, work.reading.angle, results)
    if work.reading.ok:
        ws.set_page_state(page_id, "processed")
    else:
        ws.set_page_state(page_id, "needs_attention", work.reading.status)
    return len(ids)
