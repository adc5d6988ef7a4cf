"""Recognition engines behind one small protocol, chosen by name from a plain dict.

    from ocr import get_engine
    engine = get_engine("tesseract")                 # or "trocr", "htr", "fake"
    readings = engine.recognize(crops, FieldKind.DATE)

The registry maps a name to an ``"module:Class"`` path that is imported only when the engine is
asked for, so importing :mod:`ocr` never loads torch, transformers or pytesseract. Every engine
class is built as ``Class(device=..., **options)`` and obeys :class:`~ocr.base.Engine`.
"""

from __future__ import annotations

import os

# oneDNN caches a compiled plan per input shape; field crops come in many widths and batch
# sizes, so an uncapped cache grew a long `process` run by ~3 MB a page (measured). Must be set
# before torch is imported.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "64")
# OpenMP threads that wait for work sleep instead of spinning: with torch on 2 threads on a
# busy 2-core machine, spinning burnt 9.1 CPU s a page in the network alone against 1.4 s
# passive and 1.1 s on one thread (measured, load ~15). Also read by libgomp at torch import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import importlib
import inspect
import logging
from typing import Any

from ocr.base import Engine, EngineError, EngineUnavailable, Hypotheses, recognize_batch
from ocr.device import DEVICE_CHOICES, DeviceError, pick_device

__all__ = [
    "DEVICE_CHOICES",
    "ENGINES",
    "DeviceError",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "Hypotheses",
    "engine_names",
    "get_engine",
    "pick_device",
    "recognize_batch",
]

log = logging.getLogger(__name__)

ENGINES: dict[str, str] = {
    "tesseract": "ocr.tesseract:TesseractEngine",
    "trocr": "ocr.trocr:TrOCREngine",
    "htr": "ocr.htr:HTREngine",
    "fake": "ocr.fake:FakeEngine",
}


def engine_names() -> tuple[str, ...]:
    """The names ``get_engine`` accepts (for ``--engine`` choices), registry order."""
    return tuple(ENGINES)


def _what(name: str) -> str:
    return "model" if name in ("htr", "trocr") else "engine"


def _engine_class(name: str) -> type:
    module_name, _, class_name = ENGINES[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        why = (f"{module_name.replace('.', '/')}.py is not installed" if missing == module_name
               else f"cannot import {missing or module_name}: {exc}")
        raise EngineUnavailable(f"{name} {_what(name)} not available: {why}") from exc
    try:
        return getattr(module, class_name)
    except AttributeError as exc:
        raise EngineUnavailable(
            f"{name} {_what(name)} not available: {module_name} has no {class_name}") from exc


def get_engine(name: str, *, device: str = "auto", **options: Any) -> Engine:
    """Build the engine registered as ``name``; options go to its constructor.

    Unknown names and unknown options are errors; a missing program, package or model folder
    raises :class:`EngineUnavailable` with a message saying what is missing.
    """
    key = (name or "").strip().lower()
    if key not in ENGINES:
        raise EngineError(f"unknown OCR engine {name!r}: choose one of {', '.join(ENGINES)}")
    cls = _engine_class(key)
    try:
        inspect.signature(cls).bind(device=device, **options)
    except TypeError as exc:
        raise EngineError(f"{key} engine: bad options {sorted(options)}: {exc}") from exc
    try:
        engine = cls(device=device, **options)
    except (OSError, ImportError) as exc:
        raise EngineUnavailable(f"{key} {_what(key)} not available: {exc}") from exc
    log.info("OCR engine %s ready (%s)", key, getattr(engine, "device", "cpu"))
    return engine
