"""The recognise + parse stage: field crops -> engine readings -> lexicon-aware choice.

Engines (``ocr``) give raw text with n-best alternatives; ``sohoa.fields.choose_reading`` picks
among them with the field kind's parser and lexicons and gives the calibrated confidence.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sohoa.errors import NotFoundError
from sohoa.records import Alternative, FieldCrop, FieldKind, Reading
from sohoa.settings import Settings

log = logging.getLogger(__name__)


class EngineUnavailable(NotFoundError, RuntimeError):
    """No engine could be loaded for a field kind."""


@dataclass(frozen=True)
class EnginePlan:
    """Which engine reads which field kind; ``fallback`` is used when the first cannot load."""

    default: str = "htr"
    by_kind: tuple[tuple[FieldKind, str], ...] = ()
    fallback: str = "tesseract"
    device: str = "auto"
    batch_size: int = Settings.batch_size  # the one default: sohoa.settings
    workspace: str | None = None  # the htr engine reads the model in use there

    def options(self, engine: str) -> dict[str, str]:
        """Constructor options for ``engine`` (only htr knows workspaces)."""
        return {"workspace": self.workspace} if engine == "htr" and self.workspace else {}

    def engine_for(self, kind: FieldKind) -> str:
        return dict(self.by_kind).get(kind, self.default)


class Recognizer:
    """Loads each engine once, on first use, and reads batches of field crops."""

    def __init__(self, plan: EnginePlan, engines: dict[str, object] | None = None) -> None:
        self.plan = plan
        self._engines: dict[str, object] = dict(engines or {})

    def _engine(self, name: str):  # -> ocr.Engine
        if name not in self._engines:
            from ocr import EngineUnavailable as Missing
            from ocr import get_engine

            try:
                self._engines[name] = get_engine(name, device=self.plan.device,
                                                 **self.plan.options(name))
            except Missing as exc:  # a model or program not installed: fall back, logged
                if name == self.plan.fallback:
                    raise EngineUnavailable(f"engine {name!r} unavailable: {exc}") from exc
                log.warning("engine %s unavailable (%s); using %s", name, exc, self.plan.fallback)
                self._engines[name] = self._engine(self.plan.fallback)
        return self._engines[name]

    def read(self, crops: Sequence[FieldCrop], *, ref_year: int | None = None) -> list[Reading]:
        """One chosen Reading per crop, in the order of ``crops``."""
        from sohoa.fields import choose_reading
        from sohoa.fields.calibration_seg import empty_confidence, evidence_of

        out: list[Reading | None] = [None] * len(crops)
        groups: dict[FieldKind, list[int]] = defaultdict(list)
        for i, crop in enumerate(crops):
            if crop.empty:
                out[i] = Reading(field=crop.field, text="", engine="segment", bbox=crop.bbox,
                                 confidence=empty_confidence(evidence_of(crop)))
            else:
                groups[crop.kind].append(i)
        for kind, idx in groups.items():
            engine = self._engine(self.plan.engine_for(kind))
            lines = [split_lines(crops[i]) for i in idx]  # wrapped values: one image per line
            flat = [line for parts in lines for line in parts]
            raw: list[Reading] = []
            size = max(1, self.plan.batch_size)
            for start in range(0, len(flat), size):
                raw += engine.recognize(flat[start : start + size], kind)
            at = 0
            for i, parts in zip(idx, lines, strict=True):
                got = raw[at : at + len(parts)]
                at += len(parts)
                crop = crops[i]
                engine_name = got[0].engine if got else ""
                out[i] = choose_reading(crop.field, kind, join_lines(got), engine_name,
                                        bbox=crop.bbox, ref_year=ref_year,
                                        evidence=evidence_of(crop))
        return [r for r in out if r is not None]


def split_lines(crop: FieldCrop) -> list[FieldCrop]:
    """A field crop cut into its handwritten lines (one crop when the value is on one line)."""
    from preprocessing.lines import text_line_bands

    bands = text_line_bands(crop.image)
    if len(bands) == 1:
        return [crop]
    return [replace(crop, image=crop.image[y0:y1]) for y0, y1 in bands]


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
