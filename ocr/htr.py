"""Our handwriting line recogniser (CRNN + CTC, :mod:`models`) as an OCR engine.

It reads with the model a workspace has in use (``sohoa models use``), the newest shipped model
(``models.registry.DEFAULT_SHIPPED``) when there is no workspace, or any model folder given as
``model_dir``. Crops are batched by width; each crop gets the n-best of a compiled CTC beam
search (:mod:`models.field_decoder`) with their probabilities as alternatives: steered by the
character LMs of names, places and dates shipped with the model (``name_lm.json``,
``place_lm.json``, ``date_lm.json``; ``char_lms=True``), joined by the readings of a
lexicon-constrained beam for names and the closed lists and by places with their units
respelt (``lexicons=True``); docs/htr.md "Decoding". A Python hook given per field kind
(``lms={FieldKind.NAME: fn}``, ``fn(prefix, char) -> log-score``) decodes that kind with the
Python prefix beam (``models.ctc_decode.beam_search``) instead. Words in mixed case are made
regular in every hypothesis (``fix_word_case``: ``THị`` -> ``Thị``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from models.ctc_decode import CharLM, beam_search, greedy
from ocr.base import (
    EngineUnavailable,
    Hypotheses,
    empty_reading,
    grey_image,
    make_hypotheses,
    recognize_batch,
    to_reading,
)
from ocr.device import pick_device
from sohoa.fields.text import fix_word_case
from sohoa.records import FieldCrop, FieldKind, Reading

log = logging.getLogger(__name__)


LM_FILES = {FieldKind.NAME: "name_lm.json", FieldKind.PLACE: "place_lm.json",
            FieldKind.DATE: "date_lm.json"}


def _load_lm(model_dir: Path, kind: FieldKind) -> CharLM:
    """The model folder's character LM for ``kind``, built on the spot if it has none."""
    from models.charlm import NGramCharLM, kind_lm

    path = model_dir / LM_FILES[kind]
    if path.exists():
        return NGramCharLM.load(path).as_hook()
    log.info("htr: %s has no %s; building it", model_dir, path.name)
    return kind_lm(kind.value, n=4000).as_hook()


class HTREngine:
    """Batched handwriting recognition with a sohoa CRNN model folder."""

    name = "htr"

    def __init__(self, *, device: str = "auto", model_dir: str | Path | None = None,
                 workspace: str | Path | None = None, beam: int = 8, nbest: int = 5,
                 batch_size: int = 64, lms: Mapping[FieldKind, CharLM] | None = None,
                 lm_weight: float = 0.5, char_lms: bool = True, lexicons: bool = True) -> None:
        from models.checkpoint import ModelError, load_model_dir
        from models.registry import model_in_use

        self.device = pick_device(device)
        try:
            path = Path(model_dir) if model_dir else model_in_use(
                Path(workspace) if workspace else None)
            self.model = load_model_dir(path, self.device)
        except ModelError as exc:
            raise EngineUnavailable(f"htr model not available: {exc}") from exc
        self.model_dir = path
        self.beam, self.nbest, self.batch_size = max(1, beam), max(1, nbest), batch_size
        self.custom = {FieldKind(k): v for k, v in (lms or {}).items()}
        self.lms = dict(self.custom)
        for kind in LM_FILES if char_lms else ():
            if kind not in self.lms:
                self.lms[kind] = _load_lm(path, kind)
        self.lm_weight = lm_weight
        from models.field_decoder import ARPA_KINDS, FieldDecoder, char_arpa

        arpa = {k: a for k in (ARPA_KINDS if char_lms else ())
                if (a := char_arpa(path, LM_FILES[k])) is not None}
        self.decoder = FieldDecoder(self.model.charset, beam=self.beam, nbest=self.nbest,
                                    arpa=arpa, hooks=self.lms, lm_weight=lm_weight,
                                    lexicons=lexicons)
        self.net = self.model.module  # what inference runs
        log.info("htr: model %s on %s", path, self.device)

    @property
    def model_name(self) -> str:
        return self.model_dir.name

    def recognize(self, crops: Sequence[FieldCrop], kind: FieldKind) -> list[Reading]:
        """One Reading per crop, in order; alternatives are the beam's n-best."""
        return recognize_batch(crops, kind, self.name, self._hypotheses)

    def recognize_kinds(self, crops: Sequence[FieldCrop], kinds: Sequence[FieldKind],
                        batch_size: int | None = None) -> list[Reading]:
        """``recognize`` for crops of several kinds at once (a page's cells): one pass of the
        network over all of them, batched by width across kinds (less padding, fewer and
        fuller batches), then each crop decoded as its own kind."""
        from models.recognize import log_probs

        todo = [i for i, c in enumerate(crops) if not c.empty]
        images = [grey_image(crops[i]) for i in todo]
        m = self.model
        lps = log_probs(self.net, m.config.height, images, self.device,
                        batch_size or self.batch_size) if images else []
        out = [empty_reading(c, self.name) if c.empty else None for c in crops]
        for i, lp in zip(todo, lps, strict=True):
            out[i] = to_reading(crops[i], self.name, self._decode(lp, FieldKind(kinds[i])))
        return [r for r in out if r is not None]

    def _hypotheses(self, images: list[np.ndarray], kind: FieldKind) -> list[Hypotheses]:
        from models.recognize import log_probs

        m = self.model
        lps = log_probs(self.net, m.config.height, images, self.device, self.batch_size)
        kind = FieldKind(kind)
        return [self._decode(lp, kind) for lp in lps]

    def _decode(self, lp: np.ndarray, kind: FieldKind) -> Hypotheses:
        """One crop's n-best from its (T, C) log-probabilities, decoded as ``kind``."""
        m = self.model
        custom = self.custom.get(kind)
        if self.beam == 1:
            d = greedy(lp, m.charset)
            pairs = [(d.text, d.confidence)]
        elif custom is not None:
            pairs = beam_search(lp, m.charset, self.beam, self.nbest, custom, self.lm_weight)
        else:
            pairs = self.decoder.decode(lp, kind)
        return make_hypotheses([(fix_word_case(t), c) for t, c in pairs])
