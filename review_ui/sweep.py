"""Field sweep as plain functions: one field across many entries of a book (e.g. every
low-confidence birth date), shown as a column of crops with values, checked and corrected in
one pass, as verification stations do. Corrections go through ``ws.correct`` (one
transaction, audited, version-checked) and leave the entry's status alone: a prefilled entry
whose date was fixed in the sweep still gets its full review, a confirmed one stays confirmed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from review_ui.fieldhelp import to_store
from review_ui.logic import LOW_CONFIDENCE
from sohoa.records import EntryStatus
from sohoa.template import Template

log = logging.getLogger(__name__)

SWEEP_STATUSES = (EntryStatus.PREFILLED, EntryStatus.CONFIRMED)


@dataclass(frozen=True)
class SweepItem:
    entry_id: int
    version: int
    row: int  # 1-based row on its page
    page_no: int
    value: str
    confidence: float | None
    crop: str | None
    status: str = "prefilled"  # the entry's status
    corrected: bool = False  # someone changed the machine's reading of this field
    ink_blank: bool = False  # empty, but its cell holds handwriting (shown red, first)

    @property
    def state(self) -> str:
        """The status column: ``corrected``, ``confirmed`` or ``prefilled``."""
        return "ink_blank" if self.ink_blank else "corrected" if self.corrected else self.status


@dataclass(frozen=True)
class SweepOutcome:
    saved: int
    unchanged: int
    stale: int
    errors: tuple[str, ...] = ()


def sweep_fields(ws: Any, book_id: int) -> list[tuple[str, str]]:
    """(label, field name) of the book's template, in template order; labels as the register
    prints them (the same label twice, e.g. mother's and father's year, gets its neighbour)."""
    fields = Template.for_book(ws.book(book_id)).fields
    seen = [f.label for f in fields]
    out = []
    for i, f in enumerate(fields):
        label = f.label
        if seen.count(label) > 1 and i > 0:
            label = f"{label} ({fields[i - 1].label})"
        out.append((label, f.name))
    return out


def sweep_items(ws: Any, book_id: int, field: str, only_low: bool = True,
                low_conf: float = LOW_CONFIDENCE) -> list[SweepItem]:
    """Prefilled and confirmed entries with their value of ``field``, lowest confidence first
    (only those below ``low_conf`` when ``only_low``); rows already corrected sink to the
    bottom, so the ones still to look at come first."""
    from review_ui.ink import has_ink

    out = []
    for e in ws.entries(book_id, status=list(SWEEP_STATUSES)):
        ev = ws.entry_view(e.id)
        reading = ev.readings.get(field)
        conf = reading.confidence if reading is not None else None
        crop = ev.field_crops.get(field)
        value = ev.values.get(field, "")
        blank = (not value.strip() and field not in ev.illegible and has_ink(crop))
        if only_low and not blank and (conf is None or conf >= low_conf):
            continue
        corrected = ((reading.value if reading is not None else "") or "") != value
        out.append(SweepItem(e.id, int(ev.version), int(e.index) + 1, int(ev.page.page_no),
                             value, conf, str(crop) if crop and crop.exists() else None,
                             str(e.status), corrected, blank))
    out.sort(key=lambda i: (not i.ink_blank, i.corrected,
                            i.confidence if i.confidence is not None else 1.0, i.entry_id))
    return out


def with_crops(ws: Any, items: tuple[SweepItem, ...], field: str) -> tuple[SweepItem, ...]:
    """The items about to be shown, each with its cell's crop file: cells are boxes on the
    page, cut here (that one cell, not the whole page) when no screen has cut them yet."""
    from dataclasses import replace

    out = []
    for item in items:
        if item.crop is None:
            path = ws.field_crop_file(item.entry_id, field, whole_page=False)
            item = replace(item, crop=str(path) if path is not None else None)
        out.append(item)
    return tuple(out)


def save_sweep(ws: Any, user: str, book_id: int, field: str, items: list[SweepItem],
               typed: list[str]) -> SweepOutcome:
    """Save the rows whose value changed; a row changed by someone since it was shown is
    skipped (counted as stale), never overwritten."""
    from sohoa.store import StaleVersion, WorkspaceError

    book = ws.book(book_id)
    kind = Template.for_book(book).field(field).kind
    saved = unchanged = stale = 0
    errors = []
    for item, raw in zip(items, typed, strict=False):
        raw = (raw or "").strip()
        if raw == item.value.strip():
            unchanged += 1
            continue
        norm = to_store(kind, raw, book.year)
        if norm.error:
            errors.append(f"#{item.entry_id}: {norm.error}")
            continue
        try:
            ws.correct(item.entry_id, user, {field: norm.value}, item.version)
            saved += 1
        except StaleVersion:
            stale += 1
        except WorkspaceError as exc:
            errors.append(f"#{item.entry_id}: {exc}")
    log.info("sweep of %s by %s: %d saved, %d unchanged, %d stale", field, user, saved,
             unchanged, stale)
    return SweepOutcome(saved, unchanged, stale, tuple(errors))
