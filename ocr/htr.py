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
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.checkpoint import ADDRESS_LM_FILE
from models.ctc_decode import CharLM, beam_search, greedy
from ocr.base import (
    EngineError,
    EngineUnavailable,
    Hypotheses,
    empty_reading,
    grey_image,
    make_hypotheses,
    recognize_batch,
    to_reading,
)
from ocr.cpu_inference import for_cpu_inference, resolve_precision
from ocr.device import pick_device
from sohoa.fields.text import fix_word_case
from sohoa.records import FieldCrop, FieldKind, Reading

if TYPE_CHECKING:
    from models.field_decoder import FieldDecoder

log = logging.getLogger(__name__)


LM_FILES = {FieldKind.NAME: "name_lm.json", FieldKind.PLACE: "place_lm.json",
            FieldKind.DATE: "date_lm.json"}
# places on whole lines of unknown origin (a trainer's labelled lines, ``whole_lines``) are
# read with this LM where the model folder has it: the register's place values and
# addresses anywhere in the country (models.charlm.address_lm); a register cell's place
# keeps place_lm.json, which read held-out stroke writers' place cells better (4.03 against
# 4.35 % CER; docs/htr.md "Places on lines of unknown origin"): ADDRESS_LM_FILE


def _load_lm(model_dir: Path, kind: FieldKind) -> CharLM:
    """The model folder's character LM for ``kind``, built on the spot if it has none."""
    from models.charlm import NGramCharLM, kind_lm

    path = model_dir / LM_FILES[kind]
    if path.exists():
        return NGramCharLM.load(path).as_hook()
    log.info("htr: %s has no %s; building it", model_dir, path.name)
    return kind_lm(kind.value, n=4000).as_hook()


# Cramped lines read again stretched in width (docs/htr.md "Fifth candidate"): a line whose
# greedy reading spends fewer than STRETCH_BELOW CTC frames per character (first to last
# character frame over the characters) is read again STRETCH_FACTOR times wider, and that
# reading replaces the first (STRETCH_CHOOSE: the one with the higher confidence is kept
# instead). Tuned on validation stroke writers and test fonts only
# (benchmarks/htr_stretch_tune.py): 1.3x below 2.6 frames per character; 1.5-2x and
# choosing by confidence were worse there
STRETCH_BELOW = 2.6
STRETCH_FACTOR = 1.3
STRETCH_CHOOSE = False
STRETCH_DEFAULT = True  # engines stretch cramped lines unless told (``stretch=False``)
# Wide hands read narrower (whole line images only, ``HTREngine.whole_lines``): a line whose
# greedy reading spends more than SQUEEZE_ABOVE frames a character is read again SQUEEZE_TO /
# (its frames a character) times as wide (not under SQUEEZE_MIN); with SQUEEZE_CHOOSE the
# surer of the two readings is kept, else the squeezed one. None: off
SQUEEZE_ABOVE: float | None = 4.5
SQUEEZE_TO = 3.0
SQUEEZE_MIN = 0.5
SQUEEZE_CHOOSE = True  # keep the squeezed reading only if it is surer than the first


def compared(factor: float) -> bool:
    """Whether a line read again at ``factor`` keeps the surer of its two readings."""
    return STRETCH_CHOOSE if factor > 1.0 else SQUEEZE_CHOOSE

# An ensemble model (models.ensemble) is read member by member: the first member reads every
# crop, and the others only a crop whose greedy reading by the first has a confidence
# (models.ctc_decode.greedy) below ENSEMBLE_BELOW; such a crop gets the members' averaged
# log-probabilities, a sure one the first member's alone. Chosen on training-side crops only
# (docs/htr.md "Eighth candidate"): at 0.95 the same CER as every crop read by both on
# training-side stroke writers and test-font lines, with a quarter of test-font page crops
# read twice (1.0: every crop read by every member)
ENSEMBLE_BELOW = 0.95

# A value of these kinds wrapped onto several lines (sohoa.recognize.split_lines) is decoded
# whole: its lines' frames joined in order, one frame of a space between, so the gazetteer
# judges the whole place, not each line as if it were one (rule 28 of
# benchmarks/results/rules-s28.md). () decodes each line alone, as before
WHOLE_WRAPPED_KINDS: tuple[FieldKind, ...] = (FieldKind.PLACE,)

# An unsure crop of these kinds is also read by every member one pixel lower (the prepared
# crop shifted down a row: the same width, so the frames line up), and all the readings are
# averaged: a small test-time ensemble. Chosen on training-side stroke writers only
# (docs/htr.md "Names read twice"): names 9.74 -> 9.23 % on 600 fresh names; shifts of every
# kind helped names but made the closed lists worse (ethnicity), so names alone. () turns it off
SHIFTED_KINDS: tuple[FieldKind, ...] = (FieldKind.NAME,)


def shifted_down(array: np.ndarray, rows: int = 1) -> np.ndarray:
    """A prepared crop (ink ~1 on 0) moved ``rows`` down, the bottom rows dropped."""
    out = np.zeros_like(array)
    out[rows:] = array[:-rows]
    return out


def greedy_frames_per_char(lp: np.ndarray, charset=None) -> float:  # type: ignore[no-untyped-def]
    """CTC frames per character of a crop's best path: from the first to the last frame that
    emits a character, over the characters emitted (runs of one class count once); ``inf``
    under 3 characters (too few to tell a letter pitch)."""
    best = lp.argmax(axis=1)
    nz = np.flatnonzero(best)
    if nz.size == 0:
        return float("inf")
    runs = best[nz]
    # a character is a run of one class not broken by a blank or another class
    n = 1 + int(np.count_nonzero((np.diff(nz) > 1) | (np.diff(runs) != 0)))
    if n < 3:
        return float("inf")
    return float(nz[-1] - nz[0] + 1) / n


def width_factor(lp: np.ndarray, squeeze: bool = True) -> float:
    """How much wider a crop is read again from its first reading ``lp``: STRETCH_FACTOR for
    a cramped line, under 1 for a wide hand (``SQUEEZE_ABOVE``; only if ``squeeze``), 1.0
    (not again) otherwise."""
    fpc = greedy_frames_per_char(lp)
    if fpc < STRETCH_BELOW:
        return STRETCH_FACTOR
    if squeeze and SQUEEZE_ABOVE is not None and SQUEEZE_ABOVE < fpc < float("inf"):
        return max(SQUEEZE_MIN, SQUEEZE_TO / fpc)
    return 1.0


def stretch_width(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` made ``factor`` times wider (linear interpolation); the same for 1.0."""
    if factor == 1.0:
        return image
    import cv2

    h, w = image.shape[:2]
    return cv2.resize(image, (max(1, int(round(w * factor))), h),
                      interpolation=cv2.INTER_LINEAR)


def wrapped_values(crops: Sequence[FieldCrop], kinds: Sequence[FieldKind]
                   ) -> list[list[int]]:
    """The indices of each value of ``WHOLE_WRAPPED_KINDS`` wrapped onto several lines: runs
    of consecutive lines (``FieldCrop.part``) cut from one cell (same field, entry and box)."""
    groups: list[list[int]] = []
    for i, (c, k) in enumerate(zip(crops, kinds, strict=True)):
        if not c.part or k not in WHOLE_WRAPPED_KINDS:
            continue
        prev = crops[i - 1] if i else None
        if groups and groups[-1][-1] == i - 1 and prev is not None and \
                (prev.field, prev.entry, prev.bbox) == (c.field, c.entry, c.bbox):
            groups[-1].append(i)
        else:
            groups.append([i])
    return [g for g in groups if len(g) > 1]


def join_frames(lps: Sequence[np.ndarray], charset) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The (T, C) log-probabilities of several lines read as one: the lines' frames in order,
    one frame of a space (log P 0) between two lines."""
    space = np.full((1, lps[0].shape[1]), -1e4, dtype=np.float32)
    space[0, charset.chars.index(" ") + 1] = 0.0
    out: list[np.ndarray] = []
    for k, lp in enumerate(lps):
        if k:
            out.append(space)
        out.append(np.asarray(lp, dtype=np.float32))
    return np.concatenate(out)


class HTREngine:
    """Batched handwriting recognition with a sohoa CRNN model folder."""

    name = "htr"

    def __init__(self, *, device: str = "auto", model_dir: str | Path | None = None,
                 workspace: str | Path | None = None, beam: int = 8, nbest: int = 5,
                 batch_size: int = 64, lms: Mapping[FieldKind, CharLM] | None = None,
                 lm_weight: float | None = None, char_lms: bool = True, lexicons: bool = True,
                 stretch: bool | None = None, precision: str = "auto") -> None:
        from models.checkpoint import MODEL_JSON, ModelError, load_kind_models, load_model_dir
        from models.registry import model_in_use

        self.device = pick_device(device)
        try:  # bf16 on a CPU that computes it natively (ocr.cpu_inference)
            self.precision = resolve_precision(precision, self.device)
        except ValueError as exc:  # a setting's mistake: no quiet fallback to another engine
            raise EngineError(f"htr: {exc}") from exc
        try:
            path = Path(model_dir) if model_dir else model_in_use(
                Path(workspace) if workspace else None)
            self.model = load_model_dir(path, self.device)
            kind_models = load_kind_models(path, self.model, self.device)
        except ModelError as exc:
            raise EngineUnavailable(f"htr model not available: {exc}") from exc
        self.model_dir = path
        self.beam, self.nbest, self.batch_size = max(1, beam), max(1, nbest), batch_size
        self.stretch = STRETCH_DEFAULT if stretch is None else stretch
        # an ensemble's other members read only where the first is unsure (1.0: always)
        self.ensemble_below = ENSEMBLE_BELOW
        # crops an ensemble's first member read / found unsure (benchmarks/bench_process.py)
        self.crops_read = self.unsure_read = 0
        # whole line images (labelled lines, not the splitter's bands of a cell): a
        # neighbouring line cut by the image's top or bottom edge is cut off before reading
        self.whole_lines = False
        self.custom = {FieldKind(k): v for k, v in (lms or {}).items()}
        self.lms = dict(self.custom)
        for kind in LM_FILES if char_lms else ():
            if kind not in self.lms:
                self.lms[kind] = _load_lm(path, kind)
        from models.decode_weights import DecodeWeights, DecodeWeightsError
        from models.field_decoder import ARPA_KINDS, FieldDecoder, char_arpa

        try:  # the weights tuned on this network's outputs, where its folder names them
            weights = DecodeWeights.from_meta(self.model.meta, str(path / MODEL_JSON))
        except DecodeWeightsError as exc:
            raise EngineUnavailable(f"htr model not usable: {exc}") from exc
        if lm_weight is not None:
            weights = replace(weights, lm=lm_weight)
        self.lm_weight = weights.lm

        arpa = {k: a for k in (ARPA_KINDS if char_lms else ())
                if (a := char_arpa(path, LM_FILES[k])) is not None}
        self.decoder = FieldDecoder(self.model.charset, beam=self.beam, nbest=self.nbest,
                                    arpa=arpa, hooks=self.lms, lexicons=lexicons,
                                    weights=weights)
        self._line_setup = (arpa, lexicons, char_lms)
        self._line_decoder: FieldDecoder | None = None
        self.net = self._runnable(self.model.module)
        # networks of the same shape that read one field kind instead (``kind_models`` in the
        # folder's model.json: {"name": "names"}, a sub-folder; docs/htr.md "Name specialists")
        try:
            self.kind_nets = {FieldKind(k): self._runnable(m.module)
                              for k, m in kind_models.items()}
        except ValueError as exc:
            raise EngineUnavailable(f"htr model not usable: {path / MODEL_JSON}: kind_models: "
                                    f"{exc}") from exc
        log.info("htr: model %s on %s (%s)", path, self.device, self.precision)

    def _runnable(self, module):  # type: ignore[no-untyped-def]
        """What inference runs: on the CPU, batch norms folded into their convolutions and
        channels-last tensors (oneDNN's layout), in bf16 where the CPU computes it natively."""
        return for_cpu_inference(module, self.precision) if self.device == "cpu" else module

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

        todo = [i for i, c in enumerate(crops) if not c.empty]
        images = [grey_image(crops[i]) for i in todo]
        hyps = self._read(images, [FieldKind(kinds[i]) for i in todo],
                          batch_size or self.batch_size,
                          [crops[i].part for i in todo],
                          wrapped_values([crops[i] for i in todo],
                                         [FieldKind(kinds[i]) for i in todo])
                          ) if images else []
        out = [empty_reading(c, self.name) if c.empty else None for c in crops]
        for i, hyp in zip(todo, hyps, strict=True):
            out[i] = to_reading(crops[i], self.name, hyp)
        return [r for r in out if r is not None]

    def line_decoder(self) -> FieldDecoder:
        """The decoder of whole lines of unknown origin: places with the folder's address LM
        (``ADDRESS_LM_FILE``), built on first use; the field decoder itself where the folder
        has none, the engine was given its own place LM or reads without character LMs."""
        if self._line_decoder is None:
            from models.charlm import NGramCharLM
            from models.field_decoder import FieldDecoder, char_arpa

            arpa, lexicons, char_lms = self._line_setup
            file = self.model_dir / ADDRESS_LM_FILE
            if not char_lms or FieldKind.PLACE in self.custom or not file.exists():
                self._line_decoder = self.decoder
            else:
                place = char_arpa(self.model_dir, ADDRESS_LM_FILE)
                hooks = {**self.lms, FieldKind.PLACE: NGramCharLM.load(file).as_hook()}
                self._line_decoder = FieldDecoder(
                    self.model.charset, beam=self.beam, nbest=self.nbest,
                    arpa={**arpa, **({FieldKind.PLACE: place} if place else {})},
                    hooks=hooks, lexicons=lexicons, weights=self.decoder.weights)
        return self._line_decoder

    def _hypotheses(self, images: list[np.ndarray], kind: FieldKind) -> list[Hypotheses]:
        kind = FieldKind(kind)
        return self._read(images, [kind] * len(images), self.batch_size)

    def _read(self, images: list[np.ndarray], kinds: Sequence[FieldKind],
              batch_size: int, parts: Sequence[bool] | None = None,
              wrapped: Sequence[Sequence[int]] = ()) -> list[Hypotheses]:
        """Each image's n-best; cramped lines (few frames per character, as the first network
        reads them) are read again stretched in width (``stretch``), and on whole line images
        wide hands (many frames per character) again narrower, the surer reading kept
        (``width_factor``). Each group of ``wrapped`` (indices of one value's lines, in order) is
        decoded whole: the n-best of the joined frames goes to its first line, and its other
        lines read empty (``WHOLE_WRAPPED_KINDS``)."""
        used: list[np.ndarray] = []  # the log-probabilities each reading was decoded from
        hyps = self._read_lines(images, kinds, batch_size, parts, used,
                                {i for group in wrapped for i in group})
        for group in wrapped:
            joined = join_frames([used[i] for i in group], self.model.charset)
            hyps[group[0]] = self._decode(joined, kinds[group[0]])
            for i in group[1:]:
                hyps[i] = make_hypotheses([])
        return hyps

    def _read_lines(self, images: list[np.ndarray], kinds: Sequence[FieldKind],
                    batch_size: int, parts: Sequence[bool] | None,
                    used: list[np.ndarray], undecoded: AbstractSet[int] = frozenset()
                    ) -> list[Hypotheses]:
        """``_read`` line by line; ``used`` gets each line's log-probabilities as decoded (the
        lines of ``undecoded`` are read by the network only: their reading is left empty)."""

        def factor(lp: np.ndarray) -> float:  # read again at another width (1.0: not)
            return width_factor(lp, squeeze=self.whole_lines) if self.stretch else 1.0

        def first_unused(lp: np.ndarray) -> bool:
            f = factor(lp)
            return f != 1.0 and not compared(f)

        # a rescaled line's first reading is only needed when the two are compared: an
        # ensemble's other members are not asked about it
        shifted = [k in SHIFTED_KINDS for k in kinds]
        lps, first = self._log_probs(images, batch_size, first_unused, shifted, kinds)
        factors = {i: f for i, f in ((i, factor(lp)) for i, lp in enumerate(first)) if f != 1.0}
        rescaled = list(factors)
        part = list(parts) if parts is not None else [False] * len(images)
        hyps = [make_hypotheses([]) if i in undecoded or (i in factors and not compared(factors[i]))
                else self._decode(lp, k, part[i])
                for i, (lp, k) in enumerate(zip(lps, kinds, strict=True))]
        used[:] = lps
        if not rescaled:
            return hyps
        again, _ = self._log_probs([stretch_width(images[i], factors[i]) for i in rescaled],
                                   batch_size, shifted=[shifted[i] for i in rescaled],
                                   kinds=[kinds[i] for i in rescaled])
        for i, lp in zip(rescaled, again, strict=True):
            choose = compared(factors[i])
            if i in undecoded and not choose:  # decoded later, with its value's other lines
                used[i] = lp
                continue
            h = self._decode(lp, kinds[i], part[i])
            if choose:  # the surer of the two readings
                old = self._decode(used[i], kinds[i], part[i]) if i in undecoded else hyps[i]
                if (h.confidences[:1] or (0.0,))[0] <= (old.confidences[:1] or (0.0,))[0]:
                    continue
            used[i] = lp
            if i not in undecoded:
                hyps[i] = h
        return hyps

    def _log_probs(self, images: list[np.ndarray], batch_size: int,
                   unused: Callable[[np.ndarray], bool] | None = None,
                   shifted: Sequence[bool] | None = None,
                   kinds: Sequence[FieldKind] | None = None
                   ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each image's (T, C) log-probabilities, and its first network's (the same for one
        network). An ensemble's other members read only the crops its first member is unsure
        of (``ENSEMBLE_BELOW``) and whose reading is used (``unused(first's log-probs)``
        false); of those, the ones flagged in ``shifted`` are read again by every member one
        row lower (``shifted_down``) and averaged in. A crop of a kind the folder has a
        specialist for (``kind_nets``, ``kinds`` given) is read by that network instead."""
        # the crops of each specialist's kind (None: the folder's own networks)
        groups: dict[FieldKind | None, list[int]] = {}
        for i in range(len(images)):
            k = kinds[i] if kinds and kinds[i] in self.kind_nets else None
            groups.setdefault(k, []).append(i)
        net = self.kind_nets.get  # a group's network: its kind's specialist, else the folder's
        if len(groups) < 2:
            return self._net_log_probs(net(next(iter(groups), None), self.net), images,
                                       batch_size, unused, shifted)
        lps: list[np.ndarray] = [np.empty(0)] * len(images)
        first: list[np.ndarray] = [np.empty(0)] * len(images)
        for k, idx in groups.items():
            a, b = self._net_log_probs(net(k, self.net), [images[i] for i in idx], batch_size,
                                       unused, [shifted[i] for i in idx] if shifted else None)
            for n, i in enumerate(idx):
                lps[i], first[i] = a[n], b[n]
        return lps, first

    def _net_log_probs(self, net, images: list[np.ndarray], batch_size: int,  # type: ignore[no-untyped-def]
                       unused: Callable[[np.ndarray], bool] | None = None,
                       shifted: Sequence[bool] | None = None
                       ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``_log_probs`` with one network (or ensemble) for every image."""
        from models.ctc_decode import greedy_confidence
        from models.ensemble import mean_log_probs
        from models.preprocess import prepare
        from models.recognize import log_probs, prepared_log_probs

        height, whole = self.model.config.height, self.whole_lines or None
        members = list(getattr(net, "members", None) or [])
        if len(members) < 2:
            lps = log_probs(net, height, images, self.device, batch_size,
                            whole_line=whole)
            return lps, lps
        arrays = [prepare(im, height, whole_line=whole) for im in images]
        first = prepared_log_probs(members[0], height, arrays, self.device, batch_size)
        every = self.ensemble_below >= 1.0
        unsure = [i for i, lp in enumerate(first)
                  if (every or greedy_confidence(lp) < self.ensemble_below)
                  and not (unused and unused(lp))]
        self.unsure_read += len(unsure)
        self.crops_read += len(first)
        lps = list(first)
        if unsure:
            others = [prepared_log_probs(m, height, [arrays[i] for i in unsure], self.device,
                                         batch_size) for m in members[1:]]
            low = [j for j, i in enumerate(unsure) if shifted and shifted[i]]
            lower = [prepared_log_probs(m, height, [shifted_down(arrays[unsure[j]]) for j in low],
                                        self.device, batch_size) for m in members] if low else []
            extra = {j: [o[n] for o in lower] for n, j in enumerate(low)}
            for j, i in enumerate(unsure):
                lps[i] = mean_log_probs([first[i], *(o[j] for o in others), *extra.get(j, [])])
        return lps, first

    def _decode(self, lp: np.ndarray, kind: FieldKind, part: bool = False) -> Hypotheses:
        """One crop's n-best from its (T, C) log-probabilities, decoded as ``kind`` (``part``:
        one line of a wrapped value, not a whole one)."""
        m = self.model
        custom = self.custom.get(kind)
        if self.beam == 1:
            d = greedy(lp, m.charset)
            pairs = [(d.text, d.confidence)]
        elif custom is not None:
            pairs = beam_search(lp, m.charset, self.beam, self.nbest, custom, self.lm_weight)
        else:
            pairs = (self.line_decoder() if self.whole_lines else self.decoder).decode(
                lp, kind, whole=not part)
        return make_hypotheses([(fix_word_case(t), c) for t, c in pairs])
