"""What the worker processes of ``process`` share: imported once by their fork server.

``process --workers N`` starts its workers from a ``multiprocessing`` fork server
(:func:`sohoa.batch.run_pool`). The fork server imports this module once per run, before any
worker exists: it imports torch, OpenCV and the read path's modules, builds the administrative
unit index, loads the engines of the run's plan (passed in ``SOHOA_PRELOAD_PLAN``) and reads a
few generated field crops of every kind (the character LMs, lexicons and parsers load on first
use). Each worker is then a ``fork`` of that process: it starts with all of it in memory
(copy-on-write) instead of paying ~4 CPU s of its own (docs/batch.md).

Fork safety: everything here runs on one thread (``OMP_NUM_THREADS=1``, torch and OpenCV set to
one thread before any work), so no OpenMP or OpenCV thread pool exists when a worker is forked;
each worker sets its own thread counts (``sohoa.batch._init_worker``). The engines are only
used by a worker whose run has the same plan and whose workspace still reads with the same
model (:func:`preloaded`). Nothing here may raise: a failed preload only costs time.
"""

from __future__ import annotations

import base64
import logging
import os
import pickle
import time

log = logging.getLogger(__name__)

PLAN_ENV = "SOHOA_PRELOAD_PLAN"
PARENT_ENV = "SOHOA_PRELOAD_PARENT"  # the coordinator's pid: only its fork server preloads
MAIN_ENV = "SOHOA_PRELOAD_MAIN"  # the coordinator's main module (``sohoa.cli``): each worker
# runs it again as ``__mp_main__`` (multiprocessing), cheap once its imports are loaded here
# the modules a page's first read imports (measured: ~0.6 CPU s); a missing name costs nothing
MODULES = (
    "cv2", "PIL.Image", "PIL.PngImagePlugin", "sohoa.imageio", "sohoa.template",
    "sohoa.pipeline", "sohoa.recognize", "sohoa.fields.calibration_page",
    "sohoa.fields.calibration_seg", "sohoa.fields.sequence", "sohoa.fields.vocab",
    "sohoa.fields.places", "sohoa.fields.parse", "sohoa.fields.choose", "preprocessing",
    "preprocessing.analyze", "preprocessing.crops", "preprocessing.entries",
    "preprocessing.lines", "preprocessing.clean", "preprocessing.orientation",
    "preprocessing.perspective", "preprocessing.strikes", "preprocessing.consensus",
)
NETWORK_ENGINES = {"htr", "trocr"}  # engines that bring torch: their modules are preloaded too
NETWORK_MODULES = ("torch", "models.recognize", "models.preprocess", "models.field_decoder",
                   "models.fast_decode", "ocr.htr")

_PRELOADED: dict = {}  # plan -> (Recognizer, {engine name: model folder or None})


def encode_plan(plan) -> str:  # type: ignore[no-untyped-def]  # EnginePlan
    return base64.b64encode(pickle.dumps(plan)).decode("ascii")


def _one_thread(network: bool) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    import cv2

    cv2.setNumThreads(1)
    if network:
        import torch

        torch.set_num_threads(1)


def warm_crops():  # type: ignore[no-untyped-def]  # -> list[FieldCrop]
    """A few generated field crops of every kind: pen-like strokes on paper, 44 px high."""
    import numpy as np

    from sohoa.records import FieldCrop, FieldKind

    rng = np.random.default_rng(0)
    crops = []
    for i, kind in enumerate(FieldKind):
        for width in (120, 260):
            img = np.full((44, width), 235, np.uint8)
            x = 6
            while x < width - 14:  # letter-like blobs with gaps
                w = int(rng.integers(5, 12))
                img[14:32, x:x + w:2] = 40
                img[22:24, x:x + w] = 40
                x += w + int(rng.integers(2, 9))
            crops.append(FieldCrop(f"warm{i}", kind, img, (0, 0, width, 44), entry=0))
    return crops


def model_of(engine) -> str | None:  # type: ignore[no-untyped-def]
    """The model folder an engine reads with (None for engines without one)."""
    path = getattr(engine, "model_dir", None)
    return str(path) if path is not None else None


def preload(plan) -> None:  # type: ignore[no-untyped-def]  # EnginePlan
    """Import, index, load and warm up for ``plan`` in this process (the fork server)."""
    start = time.process_time()
    names = {plan.default, *(e for _, e in plan.by_kind)} if plan is not None else set()
    network = bool(names & NETWORK_ENGINES)
    _one_thread(network)
    import importlib

    for name in MODULES + (NETWORK_MODULES if network else ()):
        try:
            importlib.import_module(name)
        except ImportError:
            log.debug("preload: no module %s", name)
    main = os.environ.get(MAIN_ENV, "")
    if main.startswith("sohoa.") and not main.endswith("__main__"):
        try:
            importlib.import_module(main)
        except Exception as exc:  # noqa: BLE001 - each worker imports it then
            log.debug("preload: main module %s: %s", main, exc)
    from sohoa.fields.admin_units import admin_index

    admin_index()
    if plan is not None:
        from sohoa.recognize import Recognizer

        rec = Recognizer(plan)
        models = {n: model_of(rec._engine(n)) for n in sorted(names)}  # noqa: SLF001
        rec.read(warm_crops(), ref_year=2000)
        _PRELOADED[plan] = (rec, models)
    import gc

    gc.collect()
    gc.freeze()  # the workers' collections then leave these objects' pages shared
    log.debug("preload for %s: %.2f CPU s", plan, time.process_time() - start)


def preloaded(plan):  # type: ignore[no-untyped-def]  # -> Recognizer | None
    """The recognizer loaded by the fork server for ``plan``, when this process has one and
    the workspace still reads with the models it loaded (``sohoa models use`` or ``adapt``
    since the fork server started means a fresh load)."""
    got = _PRELOADED.get(plan)
    if got is None:
        return None
    rec, models = got
    try:
        from pathlib import Path

        from models.registry import model_in_use

        ws = Path(plan.workspace) if plan.workspace else None
        for name, model in models.items():
            if model is not None and name == "htr" and str(model_in_use(ws)) != model:
                return None
    except Exception:  # noqa: BLE001 - cannot tell: load afresh
        return None
    return rec


def _from_env() -> None:
    """In the fork server only (its parent is the coordinator named in the environment): die
    with the coordinator, then preload. Its workers die with it (``die_with_parent``)."""
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit() or os.getppid() != int(parent):
        return
    from sohoa.batch import die_with_parent

    die_with_parent(int(parent))
    raw = os.environ.get(PLAN_ENV, "")
    try:
        preload(pickle.loads(base64.b64decode(raw)) if raw else None)  # noqa: S301 - ours
    except Exception as exc:  # noqa: BLE001 - the workers load for themselves
        log.warning("worker preload failed (%s: %s); workers load their own engines",
                    type(exc).__name__, exc)


_from_env()
