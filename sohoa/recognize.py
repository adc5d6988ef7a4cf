"""The recognise + parse stage: field crops -> engine n-best -> lexicon-aware choice.

One path, two steps, used by ``read``, ``process`` (also when one model reads the crops of
several pages at once) and calibration fitting alike:

- :meth:`Recognizer.raw`: each crop's n-best from the engine its field kind is planned for
  (:class:`CellRead`); a wrapped value is read line by line and the lines joined;
- :meth:`Recognizer.choose`: ``sohoa.fields.choose_reading`` picks among them with the field
  kind's parser and lexicons and gives the calibrated confidence.

:class:`EnginePlan` says which engine reads which kind (:meth:`EnginePlan.from_flags` turns the
command-line flags into one).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ocr.base import EngineUnavailable
from sohoa.records import Alternative, BBox, FieldCrop, FieldKind, Reading
from sohoa.settings import Settings

if TYPE_CHECKING:
    from sohoa.fields.calibration_seg import LayoutEvidence

log = logging.getLogger(__name__)

__all__ = ["CellRead", "EnginePlan", "EngineUnavailable", "Recognizer", "join_lines",
           "split_lines"]


@dataclass(frozen=True)
class EnginePlan:
    """Which engine reads which field kind; ``fallback`` is used when the first cannot load."""

    default: str = "htr"
    by_kind: tuple[tuple[FieldKind, str], ...] = ()
    fallback: str = "tesseract"
    device: str = "auto"
    batch_size: int = Settings.batch_size  # the one default: sohoa.settings
    workspace: str | None = None  # the htr engine reads the model in use there
    precision: str = "auto"  # the htr engine's on the CPU (ocr.cpu_inference)

    @classmethod
    def from_flags(cls, engine: str | None, *, device: str, batch_size: int | None = None,
                   hand_default: str = "htr", fallback: str = "tesseract",
                   workspace: str | None = None, precision: str = "auto") -> EnginePlan:
        """The plan for ``--engine`` (one engine for every field) or, without it, the default
        handwriting engine; ``fallback`` reads when that one cannot load. No batch size: the
        settings' default."""
        return cls(default=engine or hand_default, device=device,
                   batch_size=batch_size or Settings.batch_size,
                   fallback=fallback, workspace=workspace, precision=precision)

    def options(self, engine: str) -> dict[str, str]:
        """Constructor options for ``engine`` (only htr knows workspaces and precisions)."""
        if engine != "htr":
            return {}
        out = {"workspace": self.workspace} if self.workspace else {}
        if self.precision != "auto":
            out["precision"] = self.precision
        return out

    def engine_for(self, kind: FieldKind) -> str:
        return dict(self.by_kind).get(kind, self.default)


@dataclass(frozen=True)
class CellRead:
    """What an engine said about one field crop, before any choice (its n-best, best first)."""

    field: str
    kind: FieldKind
    bbox: BBox
    engine: str
    candidates: tuple[Alternative, ...] = ()
    empty: bool = False  # segmentation found no ink: nothing was run
    evidence: LayoutEvidence | None = None  # what the crop says about its box
    entry: int | None = None  # the crop's entry (``FieldCrop.entry``)


class Recognizer:
    """Loads each engine once, on first use, and reads batches of field crops."""

    def __init__(self, plan: EnginePlan, engines: dict[str, object] | None = None) -> None:
        self.plan = plan
        self._engines: dict[str, object] = dict(engines or {})

    @classmethod
    def of_engine(cls, engine) -> Recognizer:  # type: ignore[no-untyped-def]
        """A recognizer that reads every kind with this (already built) ``ocr`` engine."""
        name = str(getattr(engine, "name", "engine"))
        return cls(EnginePlan(default=name, fallback=name), {name: engine})

    def _engine(self, name: str):  # -> ocr.Engine
        if name not in self._engines:
            from ocr import get_engine

            try:
                self._engines[name] = get_engine(name, device=self.plan.device,
                                                 **self.plan.options(name))
            except EngineUnavailable as exc:  # not installed: fall back, logged
                if name == self.plan.fallback:
                    raise EngineUnavailable(f"engine {name!r} unavailable: {exc}") from exc
                log.warning("engine %s unavailable (%s); using %s", name, exc, self.plan.fallback)
                self._engines[name] = self._engine(self.plan.fallback)
        return self._engines[name]

    def raw(self, crops: Sequence[FieldCrop]) -> list[CellRead]:
        """The raw step: one :class:`CellRead` per crop, in order. Crops go to their kind's
        engine in batches of ``plan.batch_size``; a wrapped value is cut into its lines
        (:func:`split_lines`) and the lines' n-best joined (:func:`join_lines`); an empty crop
        is not run; each cell keeps the crop's layout evidence (``evidence_of``)."""
        from sohoa.fields.calibration_seg import evidence_of

        out: list[CellRead | None] = [
            CellRead(c.field, FieldKind(c.kind), c.bbox, "segment", (), True, evidence_of(c),
                     c.entry)
            if c.empty else None for c in crops]
        groups: dict[str, list[int]] = defaultdict(list)  # engine name -> crops it reads
        for i, crop in enumerate(crops):
            if not crop.empty:
                groups[self.plan.engine_for(FieldKind(crop.kind))].append(i)
        for name, idx in groups.items():
            engine = self._engine(name)
            bands = {i: _line_bands(crops[i]) for i in idx}  # found once: lines and evidence
            lines = [split_lines(crops[i], bands[i]) for i in idx]  # one image per line
            flat = [line for parts in lines for line in parts]
            raw = self._recognize(engine, flat)
            at = 0
            for i, parts in zip(idx, lines, strict=True):
                got = raw[at : at + len(parts)]
                at += len(parts)
                c = crops[i]
                cands = tuple(a for a in join_lines(got) if a.text.strip())
                out[i] = CellRead(c.field, FieldKind(c.kind), c.bbox,
                                  got[0].engine if got else "", cands, entry=c.entry,
                                  evidence=evidence_of(c, bands[i]))
        return [c for c in out if c is not None]

    def _recognize(self, engine, flat: Sequence[FieldCrop]) -> list[Reading]:  # type: ignore[no-untyped-def]
        """One Reading per crop of ``flat`` (lines of cells of any kinds), in order. An engine
        that can (``recognize_kinds``) gets them all at once, batched by width across kinds;
        any other gets each kind's crops in batches of ``plan.batch_size``."""
        size = max(1, self.plan.batch_size)
        if hasattr(engine, "recognize_kinds"):
            return engine.recognize_kinds(flat, [FieldKind(c.kind) for c in flat], size)
        by_kind: dict[FieldKind, list[int]] = defaultdict(list)
        for j, c in enumerate(flat):
            by_kind[FieldKind(c.kind)].append(j)
        out: list[Reading | None] = [None] * len(flat)
        for kind, js in by_kind.items():
            for start in range(0, len(js), size):
                part = js[start : start + size]
                for j, r in zip(part, engine.recognize([flat[j] for j in part], kind),
                                strict=True):
                    out[j] = r
        return [r for r in out if r is not None]

    @staticmethod
    def choose(cells: Sequence[CellRead], *, ref_year: int | None = None,
               calibration=None) -> list[Reading]:  # type: ignore[no-untyped-def]
        """The choose step: each cell's reading, its 158 value and calibrated confidence
        (``calibration_page.choose_page``: ``choose_reading`` over each cell's n-best with the
        page's layout doubt; ``calibration`` None: the shipped map). An empty cell reads '',
        with the confidence its ink allows. ``cells`` are one page's."""
        from sohoa.fields.calibration_page import choose_page, items_of

        return choose_page(items_of(cells), ref_year, calibration)

    def read(self, crops: Sequence[FieldCrop], *, ref_year: int | None = None) -> list[Reading]:
        """One chosen Reading per crop, in the order of ``crops``: ``choose(raw(crops))``."""
        return self.choose(self.raw(crops), ref_year=ref_year)


def _line_bands(crop: FieldCrop) -> list[tuple[int, int]] | None:
    """The text line bands of a grey uint8 crop (None for any other image: each user then
    finds its own from the image as it takes it)."""
    from preprocessing.lines import field_line_bands

    img = crop.image
    if img is None or img.ndim != 2 or img.dtype != np.uint8:
        return None
    return field_line_bands(img, crop.kind)


def split_lines(crop: FieldCrop,
                bands: Sequence[tuple[int, int]] | None = None) -> list[FieldCrop]:
    """A field crop cut into its handwritten lines (one crop when the value is on one line);
    ``bands``: its ``text_line_bands`` when the caller has them."""
    from preprocessing.lines import field_line_bands

    if bands is None:
        bands = field_line_bands(crop.image, crop.kind)
    if len(bands) == 1:
        return [crop]
    return [replace(crop, image=crop.image[y0:y1], part=True) for y0, y1 in bands]


def join_lines(readings: Sequence[Reading], per_line: int = 3, keep: int = 5) -> list[Alternative]:
    """The n-best of a wrapped value: the lines' n-best joined with spaces, scored by the
    product of the lines' confidences (lines read as empty are left out)."""
    combos: list[tuple[str, float]] = [("", 1.0)]
    for r in readings:
        alts = list(r.alternatives) or [Alternative(r.text, r.confidence)]
        alts = [a for a in alts if a.text.strip()][:per_line]
        if not alts:
            continue
        combos = sorted(((f"{t} {a.text}".strip(), c * a.confidence) for t, c in combos
                         for a in alts), key=lambda tc: -tc[1])[: keep * per_line]
    if combos == [("", 1.0)]:
        return [Alternative("", readings[0].confidence if readings else 0.0)]
    return [Alternative(t, c) for t, c in combos[:keep]]
