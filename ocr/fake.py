"""A scripted engine: a full engine that reads what a test tells it to.

Downstream stages (parsers, store, review, export, evaluation) are tested with it instead of a
slow or random real recogniser, the way OCRmyPDF's ``null_ocr`` plugin stands in for Tesseract.
The script maps a field name or a crop's position in the batch to what is "read":

    get_engine("fake", script={"nksHoTen": ("Lò Văn Hùng", 0.93),
                               "ngayDangKy": ("12/3/2006", 0.8, ["12/8/2006"]),
                               3: "Nam"})
    get_engine("fake", script=lambda crop, i: (crop.field.upper(), 0.5))

A script value is a text, ``(text, confidence)`` or ``(text, confidence, alternatives)`` where
alternatives are texts or ``(text, confidence)`` pairs. Unscripted crops read as empty text with
confidence 0 (or raise with ``strict=True``). Every call is recorded in ``calls``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ocr.base import (
    EngineError,
    Hypotheses,
    empty_reading,
    grey_image,
    make_hypotheses,
    to_reading,
)
from ocr.device import check_device_name
from sohoa.records import FieldCrop, FieldKind, Reading

log = logging.getLogger(__name__)

Script = Mapping[str | int, Any] | Callable[[FieldCrop, int], Any]


@dataclass(frozen=True)
class FakeCall:
    """One ``recognize`` call as the fake engine saw it."""

    kind: FieldKind
    fields: tuple[str, ...]  # every crop handed in, in order
    read: tuple[str, ...]  # the non-empty crops it "ran" on


def _parse(value: Any, where: str) -> Hypotheses:
    """Turn one script value into an n-best (top first, alternatives after, sorted)."""
    if isinstance(value, str):
        return make_hypotheses([(value, 1.0)])
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        raise EngineError(f"fake engine: script for {where} must be text, (text, conf) or "
                          f"(text, conf, alternatives), got {value!r}")
    text = str(value[0])
    conf = float(value[1]) if len(value) > 1 else 1.0
    if not 0.0 <= conf <= 1.0:
        raise EngineError(f"fake engine: confidence {conf} for {where} not in [0, 1]")
    pairs: list[tuple[str, float]] = []
    for alt in value[2] if len(value) > 2 else ():
        if isinstance(alt, str):
            pairs.append((alt, conf * 0.5))
        else:
            pairs.append((str(alt[0]), min(float(alt[1]), conf)))
    hyp = make_hypotheses([(text, conf), *[p for p in pairs if p[0] != text]])
    if hyp.texts[0] != text:  # keep the scripted top even if an alternative ties it
        rest = [(t, c) for t, c in zip(hyp.texts, hyp.confidences, strict=True) if t != text]
        hyp = Hypotheses((text, *(t for t, _ in rest)), (conf, *(c for _, c in rest)))
    return hyp


class FakeEngine:
    """Reads scripted text; never looks at the pixels beyond checking they are an image."""

    name = "fake"

    def __init__(self, *, device: str = "auto", script: Script | None = None,
                 strict: bool = False) -> None:
        check_device_name(device)  # a typo is an error even for a CPU-only engine
        self.device = "cpu"
        self.script: Script = script if script is not None else {}
        self.strict = strict
        self.calls: list[FakeCall] = []

    def _lookup(self, crop: FieldCrop, index: int) -> Hypotheses:
        if callable(self.script):
            value = self.script(crop, index)
        elif crop.field in self.script:
            value = self.script[crop.field]
        elif index in self.script:
            value = self.script[index]
        elif self.strict:
            raise EngineError(f"fake engine: no scripted reading for field {crop.field!r} "
                              f"(crop {index})")
        else:
            return Hypotheses()
        if value is None:
            return Hypotheses()
        return _parse(value, f"field {crop.field!r} (crop {index})")

    def recognize(self, crops: Sequence[FieldCrop], kind: FieldKind) -> list[Reading]:
        """One scripted Reading per crop; empty crops read empty with confidence 1.0."""
        kind = FieldKind(kind)
        out: list[Reading] = []
        read: list[str] = []
        for i, crop in enumerate(crops):
            if crop.empty:
                out.append(empty_reading(crop, self.name))
                continue
            grey_image(crop)  # the same input checks as the real engines
            read.append(crop.field)
            out.append(to_reading(crop, self.name, self._lookup(crop, i)))
        self.calls.append(FakeCall(kind, tuple(c.field for c in crops), tuple(read)))
        return out
