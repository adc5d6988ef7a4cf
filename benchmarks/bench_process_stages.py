"""CPU seconds per page of each stage of the read path, in this process on one thread (torch
and OpenCV), warmed as ``process``'s workers are (``sohoa.batch_preload``):
segmentation (page analysis, then cutting the field and entry crops), the network (crop
preparation and forward passes), decoding (``models.field_decoder``) and the choice among
readings with its confidence features (``Recognizer.choose``: ``choose_reading`` per cell, the
page's layout doubt); the rest is line splitting, layout evidence and assembly. Pages are read
as ``process`` reads them (``keep_crops``); with ``--profile`` the cProfile's own overhead is
in the figures (measure without it).
Used by ``bench_process.py``; with a path, the cProfile of the same run is written there.
"""

from __future__ import annotations

import cProfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


def _timed(table: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            table[name] += time.process_time() - t
    return wrapper


def stage_seconds(pages: list[Path], engine: str = "htr", profile: Path | None = None,
                  precision: str = "auto", workspace: Path | None = None) -> dict[str, float]:
    """Read ``pages`` (the first one warms up, uncounted) and return CPU s per page by stage
    (with the model in use in ``workspace``, else the shipped default)."""
    import torch

    import models.recognize as net
    import sohoa.pipeline as pipeline
    from sohoa.recognize import EnginePlan, Recognizer
    from sohoa.template import load_template

    torch.set_num_threads(1)
    import cv2

    cv2.setNumThreads(1)  # as a worker of ``process --workers 2`` on 2 cores (sohoa.batch)
    import preprocessing

    table = {"segmentation": 0.0, "page analysis": 0.0, "cutting crops": 0.0, "network": 0.0,
             "decoding": 0.0, "choice": 0.0}
    import models.preprocess as prep

    # the network: crops prepared for it (models.preprocess.prepare) and its forward passes
    saved = (pipeline.segment_image, net.prepared_log_probs, net.prepare, prep.prepare,
             Recognizer.__dict__["choose"])
    saved_pre = (preprocessing.analyze_page, preprocessing.field_crops,
                 preprocessing.entry_crop)
    pipeline.segment_image = _timed(table, "segmentation", pipeline.segment_image)
    preprocessing.analyze_page = _timed(table, "page analysis", preprocessing.analyze_page)
    preprocessing.field_crops = _timed(table, "cutting crops", preprocessing.field_crops)
    preprocessing.entry_crop = _timed(table, "cutting crops", preprocessing.entry_crop)
    net.prepared_log_probs = _timed(table, "network", net.prepared_log_probs)
    net.prepare = prep.prepare = _timed(table, "network", prep.prepare)
    Recognizer.choose = staticmethod(_timed(table, "choice", Recognizer.choose))
    try:
        tpl = load_template("ks-2006")
        rec = Recognizer(EnginePlan(default=engine, device="cpu", precision=precision,
                                    workspace=str(workspace) if workspace else None))
        images = [np.asarray(Image.open(p).convert("RGB")) for p in pages]
        pipeline.read_image(images[0], tpl, rec, ref_year=2008, keep_crops=True)
        # warmed as the fork server warms ``process``'s workers: every kind read once
        # (lexicons, the compiled CTC pass, the gazetteer index are built before the timing)
        from sohoa.batch_preload import warm_crops

        rec.read(warm_crops(), ref_year=2000)
        htr = rec._engines.get(engine)
        if htr is not None and hasattr(htr, "decoder"):
            htr.decoder.decode = _timed(table, "decoding", htr.decoder.decode)
        for k in table:
            table[k] = 0.0
        if htr is not None and hasattr(htr, "crops_read"):  # an ensemble's gate (ocr.htr)
            htr.crops_read = htr.unsure_read = 0
        prof = cProfile.Profile(time.process_time) if profile else None
        t = time.process_time()
        if prof:
            prof.enable()
        for image in images[1:]:
            pipeline.read_image(image, tpl, rec, ref_year=2008, keep_crops=True)
        if prof:
            prof.disable()
            prof.dump_stats(str(profile))
        n = max(1, len(images) - 1)
        out = {k: v / n for k, v in table.items()}
        out["decoding + choice"] = out["decoding"] + out["choice"]
        whole = (time.process_time() - t) / n
        # the rest: crop preparation, line splitting, layout evidence, parsing, assembly
        out["rest of the read path"] = whole - out["segmentation"] - out["network"] \
            - out["decoding"] - out["choice"]
        out["whole read path"] = whole
        if htr is not None and getattr(htr, "crops_read", 0):
            # share of the crops an ensemble's other networks read too (not CPU seconds)
            out["share of crops read by every network"] = htr.unsure_read / htr.crops_read
        return out
    finally:
        pipeline.segment_image, net.prepared_log_probs, net.prepare, prep.prepare, \
            Recognizer.choose = saved
        preprocessing.analyze_page, preprocessing.field_crops, preprocessing.entry_crop = \
            saved_pre
