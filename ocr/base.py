"""The recognition-engine protocol and the plumbing every engine shares.

An engine turns a batch of field crops of one kind into one :class:`~sohoa.records.Reading`
per crop. Engines only see the crops that hold ink: :func:`recognize_batch` answers empty crops
itself (empty text, confidence 1.0) and validates the images up front, so each engine implements
just ``_hypotheses(images, kind)`` over non-empty grey images.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from sohoa.errors import ExitCode, SohoaError
from sohoa.records import Alternative, FieldCrop, FieldKind, Reading

log = logging.getLogger(__name__)


class EngineError(SohoaError, RuntimeError):
    """An engine could not be built or could not read its input."""


class EngineUnavailable(EngineError):
    """An engine's program, package or model files are missing on this machine."""

    exit_code = ExitCode.NOT_FOUND


@runtime_checkable
class Engine(Protocol):
    """What the pipeline needs from a recogniser: a name and a batched ``recognize``."""

    name: str

    def recognize(self, crops: Sequence[FieldCrop], kind: FieldKind) -> list[Reading]:
        """One Reading per crop, in order; ``value`` is left empty for the parsers."""
        ...


@dataclass(frozen=True)
class Hypotheses:
    """An engine's n-best for one crop, best first: ``(text, confidence)`` pairs."""

    texts: tuple[str, ...] = ()
    confidences: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.confidences):
            raise EngineError("Hypotheses: texts and confidences differ in length")


def make_hypotheses(pairs: Sequence[tuple[str, float]]) -> Hypotheses:
    """Merge duplicate texts (keeping the best confidence), clamp to [0, 1], sort best first."""
    best: dict[str, float] = {}
    for text, conf in pairs:
        c = min(1.0, max(0.0, float(conf)))
        if text not in best or c > best[text]:
            best[text] = c
    ordered = sorted(best.items(), key=lambda kv: -kv[1])
    return Hypotheses(tuple(t for t, _ in ordered), tuple(c for _, c in ordered))


def grey_image(crop: FieldCrop) -> np.ndarray:
    """The crop's image as a 2-D uint8 array; colour is averaged, bad input is a clear error."""
    img = crop.image
    if not isinstance(img, np.ndarray):
        raise EngineError(f"crop {crop.field!r}: image must be a numpy array, got {type(img)}")
    if img.ndim == 3 and img.shape[2] in (3, 4):
        img = img[:, :, :3].mean(axis=2)
    if img.ndim != 2 or img.shape[0] == 0 or img.shape[1] == 0:
        raise EngineError(f"crop {crop.field!r}: image must be a non-empty 2-D grey array, "
                          f"got shape {img.shape}")
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return img


def empty_reading(crop: FieldCrop, engine: str) -> Reading:
    """The Reading of a crop that segmentation found empty: nothing written, and sure of it."""
    return Reading(field=crop.field, text="", value="", confidence=1.0, engine=engine,
                   bbox=crop.bbox, alternatives=(Alternative("", 1.0),))


def to_reading(crop: FieldCrop, engine: str, hyp: Hypotheses) -> Reading:
    """Build the Reading for a crop from its n-best (no hypothesis = empty text, confidence 0)."""
    if not hyp.texts:
        return Reading(field=crop.field, text="", confidence=0.0, engine=engine, bbox=crop.bbox)
    alts = tuple(Alternative(t, c) for t, c in zip(hyp.texts, hyp.confidences, strict=True))
    return Reading(field=crop.field, text=hyp.texts[0], value="", confidence=hyp.confidences[0],
                   engine=engine, bbox=crop.bbox, alternatives=alts)


def recognize_batch(
    crops: Sequence[FieldCrop],
    kind: FieldKind,
    engine: str,
    run: Callable[[list[np.ndarray], FieldKind], list[Hypotheses]],
) -> list[Reading]:
    """Answer empty crops directly, run ``run`` once over the rest, and reassemble in order."""
    kind = FieldKind(kind)
    todo = [i for i, c in enumerate(crops) if not c.empty]
    images = [grey_image(crops[i]) for i in todo]
    results = run(images, kind) if images else []
    if len(results) != len(images):
        raise EngineError(f"{engine}: {len(results)} results for {len(images)} crops")
    out = [empty_reading(c, engine) if c.empty else None for c in crops]
    for i, hyp in zip(todo, results, strict=True):
        out[i] = to_reading(crops[i], engine, hyp)
    log.debug("%s: %d crops of kind %s, %d empty", engine, len(crops), kind,
              len(crops) - len(todo))
    return [r for r in out if r is not None]
