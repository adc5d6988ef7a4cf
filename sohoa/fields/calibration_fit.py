"""Refit the confidence map on real engine output, judged exactly as the evaluation judges it.

An engine's n-best per field crop (:class:`CellRead`, the raw step ``Recognizer.raw``) is turned
into readings two ways: the lexicon-aware choice the pipeline makes (:func:`choose_cells`, the
choose step ``Recognizer.choose``) and the engine's top-1 text parsed alone (:func:`top1_cells`),
so that a benchmark can compare both on the very same crops. :func:`labelled_pairs` matches a page's
readings to its truth with ``sohoa.evaluation.pairs_from_page`` and keeps, per pair, the
calibration :class:`~sohoa.fields.calibration.Features` of the chosen reading, so the label a
map is fitted on is ``FieldPair.correct``, the same judgement the reported figures use.

    cells = cells_from(seg.crops, engine_readings)
    pairs = labelled_pairs(truth, seg, cells, template, engine="htr", ref_year=year)
    cal = fit_labelled(fit_half_pairs, note="htr on 12 bench pages")
    eval_pairs = recalibrated(eval_half_pairs, cal)   # confidences as the new map gives them

:func:`workspace_pairs` builds the same pairs from a reviewed workspace (confirmed values as
truth, stored field crops re-read by an engine) so trainers can refit on real books.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sohoa.evaluation.match import FieldPair, match_entries, pairs_from_page
from sohoa.fields.calibration import Calibration, Features, Sample, fit_calibration
from sohoa.fields.calibration_page import items_of, page_features
from sohoa.fields.calibration_seg import empty_confidence, evidence_of
from sohoa.fields.choose import features_of
from sohoa.fields.parse import parse_field
from sohoa.fields.sequence import RUN_CONFIDENCE, confirmed_by_run, number_columns
from sohoa.recognize import CellRead, Recognizer
from sohoa.records import Alternative, FieldCrop, FieldKind, Reading

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledPair:
    """A truth/reading pair and the calibration features of the reading (None: nothing read)."""

    pair: FieldPair
    features: Features | None
    # the page-level checks (``sohoa.fields.sequence``) lowered this reading's confidence or
    # changed its value: a refitted map's confidence is capped here as the pipeline caps it;
    # or raised it (a register number confirmed by both neighbours): floored likewise
    cap: float | None = None
    floor: float | None = None


def cells_from(crops: Sequence[FieldCrop], readings: Sequence[Reading]) -> list[CellRead]:
    """Pair each crop with the engine's raw reading of it (same order, as engines return)."""
    out = []
    for crop, r in zip(crops, readings, strict=True):
        cands = tuple(r.alternatives) or ((Alternative(r.text, r.confidence),) if r.text else ())
        out.append(CellRead(crop.field, FieldKind(crop.kind), crop.bbox, r.engine, cands,
                            bool(crop.empty), entry=crop.entry, evidence=evidence_of(crop)))
    return out


def read_cells(engine, crops: Sequence[FieldCrop]) -> list[CellRead]:
    """The engine's n-best per crop: the pipeline's raw step (``Recognizer.raw``) with this
    one ``ocr`` engine for every kind."""
    return Recognizer.of_engine(engine).raw(crops)


def _empty(cell: CellRead) -> Reading:
    return Reading(field=cell.field, text="", confidence=empty_confidence(cell.evidence),
                   engine="segment", bbox=cell.bbox)


def choose_cells(cells: Sequence[CellRead], ref_year: int | None = None,
                 calibration: Calibration | None = None) -> list[Reading]:
    """The pipeline's readings: its choose step (``Recognizer.choose``)."""
    return Recognizer.choose(cells, ref_year=ref_year, calibration=calibration)


def top1_cells(cells: Sequence[CellRead], ref_year: int | None = None) -> list[Reading]:
    """Readings without lexicon choice: the engine's first candidate parsed alone, with the
    engine's own confidence."""
    out = []
    for c in cells:
        top = next((a for a in c.candidates if a.text.strip()), None)
        if c.empty:
            out.append(_empty(c))
        elif top is None:
            out.append(Reading(c.field, "", "", 0.0, c.engine, c.bbox))
        else:
            pv = parse_field(c.kind, top.text, ref_year=ref_year)
            out.append(Reading(c.field, pv.text, pv.value, float(top.confidence), c.engine,
                               c.bbox))
    return out


def cell_features(cells: Sequence[CellRead], crop_entry: Sequence[int],
                  ref_year: int | None = None) -> dict[tuple[int, str], Features]:
    """Calibration features of the chosen reading, keyed by (entry index, field name)."""
    out = {}
    feats = page_features(items_of(cells), ref_year)
    for cell, entry, f in zip(cells, crop_entry, feats, strict=True):
        if f is not None:
            out[(entry, cell.field)] = f
    return out


def raw_choices(readings: Sequence[Reading], crop_entry: Sequence[int]
                ) -> dict[tuple[int, str], Reading]:
    """The chosen readings before page-level checks, keyed by (entry index, field name)."""
    return {(e, r.field): r for r, e in zip(readings, crop_entry, strict=True)}


def _cap(pair: FieldPair, raw: Reading | None) -> float | None:
    if raw is None or not pair.predicted:
        return None
    if pair.confidence < raw.confidence - 1e-6 or pair.predicted != raw.text:
        return pair.confidence
    return None


def _run_confirmed(raw: dict[tuple[int, str], Reading], order: list[int],
                   template) -> set[tuple[int, str]]:
    """Number readings that continue both neighbours down their column (the pipeline raises
    their confidence to ``RUN_CONFIDENCE``), with the pipeline's columns (``number_columns``)."""
    numbers = {f.name for f in template.fields if FieldKind(f.kind) == FieldKind.NUMBER}
    columns = number_columns(order, numbers & {f for _, f in raw}, lambda i, n: raw.get((i, n)))
    return {(i, name) for name, column in columns.items()
            for i, ok in zip(order, confirmed_by_run(column), strict=True) if ok}


def labelled_pairs(truth: dict[str, Any], predicted: dict[str, Any], template,
                   features: dict[tuple[int, str], Features], *, engine: str = "",
                   book: str = "", raw: dict[tuple[int, str], Reading] | None = None
                   ) -> list[LabelledPair]:
    """``pairs_from_page`` pairs, each with the features of the reading it judged (and, given
    ``raw`` readings from before the page-level checks, the cap those checks set).

    Entries are matched by ``match_entries`` (as ``pairs_from_page`` does) and each matched
    pair is judged by ``pairs_from_page`` itself, so metrics and labels cannot drift apart.
    """
    out = []
    page = truth.get("page", "")
    order = [int(e["index"]) for e in predicted.get("entries", [])]
    run = _run_confirmed(raw, order, template) if raw else set()
    for t_entry, p_entry in match_entries(truth.get("entries", []), predicted.get("entries", [])):
        one_t = {"page": page, "entries": [t_entry]}
        one_p = {"entries": [p_entry] if p_entry is not None else []}
        for pair in pairs_from_page(one_t, one_p, template, engine=engine, book=book):
            feats, cap, floor = None, None, None
            if p_entry is not None and pair.predicted:
                key = (int(p_entry["index"]), pair.field)
                feats = features.get(key)
                cap = _cap(pair, raw.get(key)) if raw else None
                floor = RUN_CONFIDENCE if key in run else None
            out.append(LabelledPair(pair, feats, cap, floor))
    return out


def samples_of(pairs: Iterable[LabelledPair]) -> list[Sample]:
    """Calibration samples: the features of every read field with its ``FieldPair.correct``."""
    return [Sample(lp.features, lp.pair.correct) for lp in pairs if lp.features is not None]


def fit_labelled(pairs: Iterable[LabelledPair], *, note: str = "", l2: float = 1.0,
                 accept_precision: float | None = None,
                 at_most: Mapping[str, float] | None = None) -> Calibration:
    """Fit the logistic map on labelled pairs (see ``fit_calibration``)."""
    return fit_calibration(samples_of(pairs), l2=l2, note=note,
                           accept_precision=accept_precision, at_most=at_most)


def recalibrated(pairs: Iterable[LabelledPair], calibration: Calibration) -> list[FieldPair]:
    """The pairs with the confidence ``calibration`` gives their reading (as ``choose_reading``
    would with ``calibration=``); unread fields keep theirs."""
    return [replace(lp.pair, confidence=round(_bounded(calibration.predict(lp.features), lp), 4))
            if lp.features is not None else lp.pair for lp in pairs]


def _bounded(conf: float, lp: LabelledPair) -> float:
    if lp.cap is not None:
        conf = min(conf, lp.cap)
    if lp.floor is not None:
        conf = max(conf, lp.floor)
    return conf


def workspace_pairs(ws, engine, book_id: int | None = None) -> list[LabelledPair]:
    """Confirmed entries of a workspace: each stored field crop re-read by ``engine`` (an
    ``ocr`` engine), chosen as the pipeline chooses, and judged against the confirmed value
    as ``pairs_from_workspace`` judges it. Fields without a stored crop are skipped."""
    from sohoa.store import WorkspaceError
    from sohoa.template import Template

    out = []
    done = ["confirmed", "approved", "exported"]
    for entry in ws.entries(book_id=book_id, status=done):
        view = ws.entry_view(entry.id)
        template = Template.for_book(view.book)
        year = view.book.year
        for spec in template.fields:
            truth = view.values.get(spec.name, "")
            try:  # the cell cut from the page as process cut it
                image = ws.crop_image(int(entry.id), spec.name, cached=False)
            except WorkspaceError:
                continue
            crop = FieldCrop(spec.name, spec.kind, _grey(image), (0, 0, 0, 0))
            cell = read_cells(engine, [crop])[0]
            chosen = choose_cells([cell], year)[0]
            found = features_of(cell.kind, list(cell.candidates), year, cell.field, cell.engine,
                                cell.evidence)
            pair = FieldPair(
                field=spec.name, kind=str(spec.kind), truth=truth,
                predicted=chosen.value or chosen.text, truth_value=truth,
                predicted_value=chosen.value, confidence=chosen.confidence,
                engine=cell.engine, book=f"{view.book.id} {view.book.volume}",
                clerk=view.confirmed_by or "", page=str(view.page.page_no))
            if not truth and not pair.predicted:
                continue
            out.append(LabelledPair(pair, found[0] if found and pair.predicted else None))
    log.info("workspace: %d labelled fields", len(out))
    return out


def _grey(img):
    import numpy as np

    arr = np.asarray(img)
    if arr.ndim == 3:
        arr = arr[:, :, :3].mean(axis=2).astype(np.uint8)
    return arr


@dataclass(frozen=True)
class RefitReport:
    """A map fitted on all labelled fields, and how a map fitted on half of them did on the
    other half (every second field), against the map in use before."""

    calibration: Calibration
    fields: int
    eval_fields: int
    ece_before: float  # held-out half, confidences of the map in use before
    ece_after: float  # held-out half, map fitted on the other half


def refit(pairs: Sequence[LabelledPair], *, current: Calibration | None = None,
          note: str = "") -> RefitReport:
    """Fit on every second labelled field, measure ECE on the rest, then fit on all of them
    (with the accept guard, as the shipped map: ``calibration.ACCEPT_PRECISION``)."""
    from sohoa.evaluation import expected_calibration_error
    from sohoa.fields.calibration import ACCEPT_PRECISION, default_calibration, kept_doubt

    read = [lp for lp in pairs if lp.features is not None]
    fit_half, eval_half = read[0::2], read[1::2]
    bounds = kept_doubt(current or default_calibration())
    half = fit_labelled(fit_half, note=note, accept_precision=ACCEPT_PRECISION, at_most=bounds)

    def ece(cal: Calibration) -> float:
        got = recalibrated(eval_half, cal)
        return expected_calibration_error([p.confidence for p in got], [p.correct for p in got])

    before = ece(current or default_calibration())
    after = ece(half)
    full = fit_labelled(read, note=f"{note}; held-out ECE {after:.3f} (was {before:.3f})",
                        accept_precision=ACCEPT_PRECISION, at_most=bounds)
    return RefitReport(full, len(read), len(eval_half), before, after)
