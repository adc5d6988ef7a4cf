"""Pairs of (truth, reading) per field, from generated pages or from a reviewed workspace."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sohoa.results import EntryReading, PageReading
from sohoa.template import Template


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


TEXT_JUDGED = {"name", "place", "text"}
# closed lists: a reading is given in the list's own spelling ("VN" is read "Việt Nam",
# "Trai" "Nam": sohoa.fields.parse), so CER compares both sides in that spelling
LISTED_KINDS = {"sex", "ethnicity", "nationality", "relation"}


def _listed_form(kind: str, text: str) -> str:
    """``text`` in its list's spelling when it names a listed entry, else as it is."""
    from sohoa.fields.parse import parse_field
    from sohoa.records import FieldKind

    if not text.strip():
        return text
    pv = parse_field(FieldKind(kind), text)
    return pv.text if pv.ok else text


@dataclass(frozen=True)
class FieldPair:
    """One field's truth against what was read; ``predicted`` is '' when nothing was read."""

    field: str
    kind: str
    truth: str
    predicted: str
    truth_value: str
    predicted_value: str
    confidence: float
    engine: str
    book: str = ""
    clerk: str = ""
    page: str = ""

    @property
    def correct(self) -> bool:
        """Coded and dated kinds are right when their 158 value is (``05.03.2008`` whatever the
        writer's format); names, places and free text when the text is (their value only
        spells the text out)."""
        if self.kind in TEXT_JUDGED or not self.truth_value:
            return _clean(self.predicted) == _clean(self.truth)
        return _clean(self.predicted_value) == _clean(self.truth_value)

    def compared(self) -> tuple[str, str]:
        """(truth, reading) as character errors count them: as written, except that a
        closed list's two sides are each in the list's spelling when they name a listed
        entry, the spelling the reading is given in (a clerk's ``VN`` read as ``Việt Nam``
        is no misread; ``Lào`` read for ``Thái`` still is)."""
        if self.kind not in LISTED_KINDS:
            return self.truth, self.predicted
        return _listed_form(self.kind, self.truth), _listed_form(self.kind, self.predicted)


def iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _box(entry: dict | EntryReading):
    return entry.bbox if isinstance(entry, EntryReading) else entry["bbox"]


def match_entries(truth: list[dict], predicted: list, min_iou: float = 0.5):
    """Greedy one-to-one matching of entries by bbox IoU: [(truth entry, predicted or None)];
    predicted entries are ``EntryReading`` records or their JSON dicts."""
    cands = sorted(
        ((iou(t["bbox"], _box(p)), i, j) for i, t in enumerate(truth)
         for j, p in enumerate(predicted)),
        reverse=True,
    )
    used_t: set[int] = set()
    used_p: set[int] = set()
    pairs: dict[int, int] = {}
    for score, i, j in cands:
        if score < min_iou:
            break
        if i not in used_t and j not in used_p:
            used_t.add(i)
            used_p.add(j)
            pairs[i] = j
    return [(t, predicted[pairs[i]] if i in pairs else None) for i, t in enumerate(truth)]


def pairs_from_page(
    truth: dict[str, Any], predicted: PageReading | dict[str, Any], template: Template, *,
    engine: str = "", book: str = "",
) -> list[FieldPair]:
    """Every template field of every true entry (filled in truth or read), matched by IoU.

    ``predicted`` is the page's reading, or its ``read`` contract JSON
    (``PageReading.from_json``). Fields empty in both are left out; an entry that was not found
    counts all its fields as unread.
    """
    reading = predicted if isinstance(predicted, PageReading) else PageReading.from_json(predicted)
    out = []
    for t_entry, p_entry in match_entries(truth.get("entries", []), list(reading.entries)):
        p_fields = p_entry.fields if p_entry is not None else {}
        for spec in template.fields:
            t = t_entry.get("fields", {}).get(spec.name)
            p = p_fields.get(spec.name)
            if p is not None and not p.text:
                p = None  # nothing read (the contract leaves such a field out)
            if not t and not p:
                continue
            out.append(FieldPair(
                field=spec.name, kind=str(spec.kind),
                truth=(t or {}).get("text", ""), predicted=p.text if p else "",
                truth_value=(t or {}).get("value", ""), predicted_value=p.value if p else "",
                confidence=p.confidence if p else 0.0,
                engine=engine, book=book, page=str(truth.get("page", "")),
            ))
    return out


def pairs_from_workspace(ws, book_id: int | None = None) -> list[FieldPair]:
    """Confirmed values as truth against the first prefill, for every reviewed entry."""
    out = []
    done = ["confirmed", "approved", "exported"]
    for entry in ws.entries(book_id=book_id, status=done):
        view = ws.entry_view(entry.id)
        template = Template.for_book(view.book)
        for spec in template.fields:
            truth = view.values.get(spec.name, "")
            reading = view.readings.get(spec.name)
            if not truth and reading is None:
                continue
            out.append(FieldPair(
                field=spec.name, kind=str(spec.kind), truth=truth,
                predicted=reading.value or reading.text if reading else "",
                truth_value=truth, predicted_value=reading.value if reading else "",
                confidence=reading.confidence if reading else 0.0,
                engine=reading.engine if reading else "",
                book=f"{view.book.id} {view.book.volume}", clerk=view.confirmed_by or "",
                page=str(view.page.page_no),
            ))
    return out


def pairs_against_truth(ws, book_id: int | None = None) -> list[FieldPair]:
    """Prefilled readings of pages ingested from generated scans, against the generator's truth
    (``page-0001.json`` beside ``page-0001.png``). Pages without truth are skipped."""
    import json
    from pathlib import Path

    by_page: dict[int, list] = {}
    for entry in ws.entries(book_id=book_id):
        by_page.setdefault(entry.page_id, []).append(entry)
    out = []
    for page in ws.pages(book_id):
        truth_path = Path(page.source).with_suffix(".json")
        if not truth_path.exists():
            continue
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        template = Template.for_book(ws.book(page.book_id))
        predicted = PageReading(page.source, template.id, 0.0, 0, "ok", tuple(
            EntryReading(e.index, e.bbox, None, dict(ws.entry_view(e.id).readings))
            for e in by_page.get(page.id, [])))
        out += pairs_from_page(truth, predicted, template,
                               engine=",".join(sorted(predicted.engines())),
                               book=str(page.book_id))
    return out
