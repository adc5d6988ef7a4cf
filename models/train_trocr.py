"""A TrOCR-style VisionEncoderDecoderModel (:mod:`models.trocr`) as an architecture of the one
training loop (:func:`models.train.run_training`): the path for a GPU box (bf16/fp16 autocast
on CUDA). ``RUN/best/`` is a ``save_pretrained`` folder the ``trocr`` engine loads;
``RUN/last.pt`` holds the full training state like the CRNN's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from models.charset import Charset
from models.data import Sample, torch_stream
from models.evaluate import score
from models.train import TrainOptions, fit

__all__ = ["TrOCRArch", "fit_trocr"]


class TrOCRArch:
    """TrOCR of one preset (tiny, small, base) over the project's character set."""

    name, clip = "trocr", 1.0

    def __init__(self, preset: str) -> None:
        self.preset = preset
        self.processor: Any = None
        self.charset: Charset | None = None

    def build(self, opts: TrainOptions, charset: Charset) -> tuple[Any, dict[str, Any]]:
        from models.trocr import build_trocr, load_trocr

        self.charset = charset
        if opts.init_from:
            model, self.processor = load_trocr(opts.init_from)
        else:
            model, self.processor = build_trocr(self.preset, charset.chars)
        return model.train(), {"arch": "trocr", "preset": self.preset}

    def batches(self, source_factory: Callable[[], Any], charset: Charset, opts: TrainOptions,
                start: int) -> Iterator[Any]:
        return iter(torch_stream(source_factory, charset, 32, opts.batch_size,
                                 opts.seed * 1000, opts.workers, start=start, samples=True))

    def loss(self, model: Any, samples: list[Sample], device: str, amp: Any
             ) -> tuple[Any, int]:
        import torch

        from models.trocr import encode_batch

        assert self.charset is not None
        texts = [self.charset.normalize(s.text) for s in samples]
        b = encode_batch(self.processor, [s.image for s in samples], texts)
        with torch.autocast("cuda", dtype=amp or torch.float16, enabled=amp is not None):
            loss = model(pixel_values=b["pixel_values"].to(device),
                         labels=b["labels"].to(device)).loss
        return loss, len(samples)

    def _predict(self, model: Any, images: list[np.ndarray], device: str) -> list[str]:
        import torch

        from models.trocr import encode_batch

        out: list[str] = []
        for s in range(0, len(images), 64):
            px = encode_batch(self.processor, images[s: s + 64])["pixel_values"].to(device)
            with torch.inference_mode():
                ids = model.generate(px, num_beams=1)
            out += self.processor.tokenizer.batch_decode(ids, skip_special_tokens=True)
        return out

    def evaluate(self, model: Any, val: list[Sample], device: str) -> dict[str, Any]:
        assert self.charset is not None
        was = model.training
        model.eval()
        preds = self._predict(model, [s.image for s in val], device)
        if was:
            model.train()
        return score(preds, [self.charset.normalize(s.text) for s in val],
                     [s.kind for s in val])

    def save(self, model: Any, folder: Path, meta: dict[str, Any]) -> None:
        import json

        from models.trocr import save_trocr

        save_trocr(model, self.processor, folder)
        (folder / "sohoa_train.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, default=str), "utf-8")

    def amp_dtype(self, device: str) -> Any:
        import torch

        if device != "cuda":
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def fit_trocr(opts: TrainOptions, preset: str, source_factory: Callable[[], Any],
              val: list[Sample], data_record: dict[str, Any], resume: bool = False
              ) -> dict[str, Any]:
    """:func:`models.train.fit` with ``arch="trocr"`` and ``preset``."""
    from dataclasses import replace

    return fit(replace(opts, arch="trocr", preset=preset), source_factory, val, data_record,
               resume)
