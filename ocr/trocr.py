"""Any transformers ``VisionEncoderDecoderModel`` checkpoint in a local folder as an engine.

Works with the TrOCR-style models :mod:`models.trocr` builds and trains, and with a TrOCR
checkpoint copied onto the machine by hand (nothing is downloaded: ``local_files_only``).
Beam search gives the n-best; each hypothesis' confidence is its sequence probability (the
product of its token probabilities), so the alternatives are comparable and sorted.

The folder comes from ``model_dir=``, else ``$SOHOA_TROCR_MODEL``, else the package's
``models/weights/trocr``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ocr.base import Hypotheses, make_hypotheses, recognize_batch
from ocr.device import pick_device
from sohoa.records import FieldCrop, FieldKind, Reading

log = logging.getLogger(__name__)

ENV_MODEL_DIR = "SOHOA_TROCR_MODEL"


def default_model_dir() -> Path:
    """Where the engine looks when no ``model_dir`` is given."""
    env = os.environ.get(ENV_MODEL_DIR)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "models" / "weights" / "trocr"


class TrOCREngine:
    """Batched beam-search recognition with a local VisionEncoderDecoder checkpoint."""

    name = "trocr"

    def __init__(self, *, device: str = "auto", model_dir: str | Path | None = None,
                 num_beams: int = 4, num_return_sequences: int | None = None,
                 max_new_tokens: int = 64, batch_size: int | None = None,
                 keep_aspect: bool | None = None, threads: int | None = None) -> None:
        from models.trocr import input_size, load_trocr

        if threads is not None:  # process-wide; 1 avoids OpenMP thrashing on a busy CPU
            import torch

            torch.set_num_threads(max(1, threads))

        self.device = pick_device(device)
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        if num_beams < 1:
            raise ValueError(f"trocr: num_beams must be >= 1, got {num_beams}")
        self.num_beams = num_beams
        self.num_return = min(num_beams, num_return_sequences or num_beams)
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size or (64 if self.device.startswith("cuda") else 16)
        self.model, self.processor = load_trocr(self.model_dir, self.device)
        self.size = input_size(self.processor)
        limit = getattr(self.model.config.decoder, "max_position_embeddings", None)
        if limit and max_new_tokens > limit - 2:  # past the position table generate() crashes
            self.max_new_tokens = limit - 2
        # line-shaped inputs (ours) keep the aspect ratio; square ones (original TrOCR) stretch
        line_shaped = self.size[1] >= 2 * self.size[0]
        self.keep_aspect = line_shaped if keep_aspect is None else keep_aspect
        log.info("trocr: %s on %s, input %sx%s, %d beams", self.model_dir, self.device,
                 *self.size, num_beams)

    def recognize(self, crops: Sequence[FieldCrop], kind: FieldKind) -> list[Reading]:
        """One Reading per crop; alternatives are the beams, best first."""
        return recognize_batch(crops, kind, self.name, self._hypotheses)

    def _hypotheses(self, images: list[np.ndarray], kind: FieldKind) -> list[Hypotheses]:
        out: list[Hypotheses] = []
        for start in range(0, len(images), self.batch_size):
            out.extend(self._decode(images[start:start + self.batch_size]))
        return out

    def _decode(self, images: list[np.ndarray]) -> list[Hypotheses]:
        import torch

        from models.trocr import encode_batch

        pixels = encode_batch(self.processor, images, keep_aspect=self.keep_aspect)
        pixels = pixels["pixel_values"].to(self.device)
        with torch.inference_mode():
            gen = self.model.generate(
                pixels, num_beams=self.num_beams, num_return_sequences=self.num_return,
                max_new_tokens=self.max_new_tokens, output_scores=True,
                return_dict_in_generate=True, do_sample=False)
            beams = getattr(gen, "beam_indices", None) if self.num_beams > 1 else None
            steps = self.model.compute_transition_scores(
                gen.sequences, gen.scores, beams, normalize_logits=self.num_beams == 1)
        logp = steps.float().clamp(max=0.0).sum(dim=1).cpu().tolist()
        texts = self.processor.tokenizer.batch_decode(gen.sequences, skip_special_tokens=True)
        out = []
        for i in range(len(images)):
            rows = range(i * self.num_return, (i + 1) * self.num_return)
            out.append(make_hypotheses([(texts[r].strip(), _prob(logp[r])) for r in rows]))
        return out


def _prob(logp: float) -> float:
    """A log-probability as a probability in [0, 1] (NaN from a broken model reads as 0)."""
    return 0.0 if math.isnan(logp) else math.exp(min(0.0, logp))


__all__ = ["TrOCREngine", "default_model_dir"]
