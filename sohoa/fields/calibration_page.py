"""Choosing a whole page's readings with page-level layout doubt.

When page analysis puts a column boundary in the wrong place, it is wrong for the whole column
of the page: many of that column's cells then show doubt (ink across the walls, a value of
another kind, more written lines than the field has, ink in a cell called empty). So each field
also gets ``column_doubt``: the share of doubtful cells among the page's cells of the same
field. The choice runs twice (choice is cheap; the engine ran once): first with the crops' own
evidence, then with ``column_doubt`` added for the confidence.

The pipeline (``sohoa.recognize.Recognizer.read``) and the benchmark/refit path
(``calibration_fit.choose_cells`` / ``cell_features``) both call :func:`choose_page`, so the
confidences a clerk sees and those a map is fitted on cannot drift apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sohoa.fields.calibration import Calibration, Features
from sohoa.fields.calibration_seg import (
    EDGE_DOUBT,
    OTHER_DOUBT,
    LayoutEvidence,
    empty_confidence,
    extra_lines,
    other_kind_score,
)
from sohoa.fields.choose import Scored, choose_reading, features_of, rank_candidates
from sohoa.fields.parse import parse_field
from sohoa.records import Alternative, BBox, FieldKind, Reading

MIN_COLUMN = 3  # cells of a field on a page before its column doubt counts
# kinds whose values are short enough that the chosen value's engine mass says how sure the
# recogniser is of the hand (a wrapped place's mass is a product over lines and words)
SHORT_KINDS = frozenset({FieldKind.NAME, FieldKind.DATE, FieldKind.YEAR, FieldKind.SEX,
                         FieldKind.ETHNICITY, FieldKind.NATIONALITY, FieldKind.RELATION,
                         FieldKind.NUMBER})
MIN_PAGE = 6  # short fields read on a page before its page doubt counts


@dataclass(frozen=True)
class PageItem:
    """One field crop's n-best, ready for choice."""

    field: str
    kind: FieldKind
    bbox: BBox
    engine: str
    candidates: tuple[Alternative, ...]
    empty: bool = False  # segmentation found no ink: nothing was read
    evidence: LayoutEvidence | None = None


def items_of(cells: Sequence) -> list[PageItem]:  # type: ignore[type-arg]
    """Page items from cells that carry the same attributes (``sohoa.recognize.CellRead``)."""
    return [PageItem(c.field, c.kind, c.bbox, c.engine, tuple(c.candidates), c.empty,
                     c.evidence) for c in cells]


def _empty(item: PageItem) -> Reading:
    return Reading(field=item.field, text="", confidence=empty_confidence(item.evidence),
                   engine="segment", bbox=item.bbox)


def _doubtful(item: PageItem, reading: Reading, ref_year: int | None) -> bool:
    ev = item.evidence or LayoutEvidence()
    if item.empty:
        return empty_confidence(ev) < 1.0
    if not reading.text:
        return ev.ink > 0.004
    pv = parse_field(item.kind, reading.text, ref_year=ref_year)
    return (ev.edge_ink > EDGE_DOUBT or extra_lines(item.kind, ev.lines) > 0
            or other_kind_score(item.kind, reading.text, pv.evidence, pv.ok, ref_year)
            > OTHER_DOUBT)


def column_doubts(items: Sequence[PageItem], first: Sequence[Reading],
                  ref_year: int | None = None) -> list[float]:
    """Per item: the share of doubtful cells among the page's cells of its field."""
    flags = [_doubtful(it, r, ref_year) for it, r in zip(items, first, strict=True)]
    by_field: dict[str, list[bool]] = defaultdict(list)
    for it, f in zip(items, flags, strict=True):
        by_field[it.field].append(f)
    share = {k: (sum(v) / len(v) if len(v) >= MIN_COLUMN else 0.0) for k, v in by_field.items()}
    return [share[it.field] for it in items]


def page_doubt(items: Sequence[PageItem], ref_year: int | None = None,
               ranks: Sequence[Sequence[Scored] | None] | None = None) -> float:
    """The recogniser's doubt over the page: 1 - the mean engine mass of the chosen value over
    the page's short fields that were read (0 below ``MIN_PAGE`` of them). A hand the
    recogniser reads badly lowers it on every field it wrote, and the same mass is then worth
    less: a name at 0.6 on a page read at 0.95 elsewhere is not one on a page read at 0.6."""
    masses = []
    for i, it in enumerate(items):
        if it.empty or FieldKind(it.kind) not in SHORT_KINDS:
            continue
        known = ranks[i] if ranks is not None else None
        ranked = known if known is not None else rank_candidates(
            it.kind, list(it.candidates), ref_year, it.field)
        if ranked:
            masses.append(ranked[0].engine_mass)
    if len(masses) < MIN_PAGE:
        return 0.0
    return float(1.0 - sum(masses) / len(masses))


def _with_doubt(ev: LayoutEvidence | None, doubt: float, page: float = 0.0) -> LayoutEvidence:
    return replace(ev or LayoutEvidence(), column_doubt=doubt, page_doubt=page)


def _choose(it: PageItem, ev: LayoutEvidence | None, ref_year: int | None,
            calibration: Calibration | None,
            ranked: Sequence[Scored] | None = None) -> Reading:
    return choose_reading(it.field, it.kind, list(it.candidates), it.engine, bbox=it.bbox,
                          ref_year=ref_year, calibration=calibration, evidence=ev,
                          ranked=ranked)


def choose_page(items: Sequence[PageItem], ref_year: int | None = None,
                calibration: Calibration | None = None) -> list[Reading]:
    """The page's chosen readings (same order as ``items``) with layout doubt. Each cell's
    candidates are ranked once and the ranking reused by both passes and the page's doubt
    (it depends on neither: s9speed)."""
    ranks = [None if it.empty or not all(isinstance(a, Alternative) for a in it.candidates)
             else rank_candidates(it.kind, list(it.candidates), ref_year, it.field)
             for it in items]
    first = [_empty(it) if it.empty else _choose(it, it.evidence, ref_year, calibration, rk)
             for it, rk in zip(items, ranks, strict=True)]
    doubts = column_doubts(items, first, ref_year)
    page = page_doubt(items, ref_year, ranks)
    return [r if it.empty or (d <= 0 and page <= 0) else _choose(
                it, _with_doubt(it.evidence, d, page), ref_year, calibration, rk)
            for it, r, d, rk in zip(items, first, doubts, ranks, strict=True)]


def page_features(items: Sequence[PageItem], ref_year: int | None = None
                  ) -> list[Features | None]:
    """Calibration features of each item's chosen reading as :func:`choose_page` scores it
    (None for empty items); for refitting the map."""
    first = [_empty(it) if it.empty else _choose(it, it.evidence, ref_year, None)
             for it in items]
    doubts = column_doubts(items, first, ref_year)
    page = page_doubt(items, ref_year)
    out: list[Features | None] = []
    for it, d in zip(items, doubts, strict=True):
        found = None if it.empty else features_of(
            it.kind, list(it.candidates), ref_year, it.field, it.engine,
            _with_doubt(it.evidence, d, page))
        out.append(found[0] if found else None)
    return out
