"""Calibrated confidence: P(reading is correct) from engine confidence, parse evidence, whether
it parsed, its length, whether a date is unusual for its field, its field kind, the engine
family and segmentation doubt (ink crossing the box's walls, the page's column-fit residual, a
value that parses better as another column's kind: ``calibration_seg``), by a small logistic
(Platt) map.
Tesseract's word confidences mean something else than our models' probabilities, so one map
serving both (the pipeline reads with htr and falls back to Tesseract) has a Tesseract offset
and slope of its own.

The map is data (``sohoa/data/calibration.json``). The shipped default is hand-set; refit it on
benchmark readings from real engines with ``fit_calibration`` and save it with
``Calibration.save`` (see docs/fields.md). Only ``save`` writes, and only where it is told.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from sohoa.errors import SohoaError
from sohoa.records import FieldKind

BASE_FEATURES = ("logit_conf", "evidence", "ok", "length", "unusual")
ENGINE_FEATURES = ("engine_tesseract", "engine_tesseract_x_logit_conf")
SEGMENT_FEATURES = ("edge_ink", "layout_residual", "other_kind", "extra_lines", "column_doubt")
# the recogniser's own doubt between two valid values ("Hòa" / "Hoa", "16/4" / "26/4")
RIVAL_FEATURES = ("rival",)
DOUBT_FEATURES = SEGMENT_FEATURES + RIVAL_FEATURES + ("junk", "page_doubt")  # weights <= 0
# how sure the recogniser is, beyond the chosen value's mass: the mean log mass per character,
# the share of the n-best that does not parse at all (a hand the recogniser cannot read
# spreads its mass over junk: "1/1/2002" 0.31, "1/1/20023" 0.06, "1/1/2002h" 0.05), and its
# doubt over the whole page (calibration_page.page_doubt)
SURE_FEATURES = ("char_logp", "junk", "page_doubt")
_KINDS = tuple(FieldKind)  # iterating the enum on every reading cost choice ~5 % (s9speed)
FEATURES = (BASE_FEATURES + tuple(f"kind_{k.value}" for k in FieldKind) + ENGINE_FEATURES
            + SEGMENT_FEATURES + RIVAL_FEATURES + SURE_FEATURES)
CHAR_LOGP_FLOOR = -2.0  # mean log mass per character, clipped (e^-2 a character: no reading)
# A reading whose box is in doubt is never auto-accepted, whatever the map says: ink runs
# across the box's walls (the box cuts through writing), the value parses clearly better as
# another column's kind, or page analysis placed half its column boundaries without lines
DOUBT_CAP = 0.85
EDGE_DOUBT = 0.2  # = calibration_seg.EDGE_DOUBT
OTHER_DOUBT = 0.3  # = calibration_seg.OTHER_DOUBT
RESIDUAL_DOUBT = 0.5
# Auto-accept guard. A calibrated map's fields at >= 0.9 are as exact as their mean
# confidence, and a logistic map is too flat at the top: on generated training pages its
# 0.90-0.95 band was 6-9 % wrong, its >= 0.98 band < 0.5 %. So the fit also finds the map's
# output ``raw`` from which the fitting fields are ACCEPT_PRECISION exact, and ``predict``
# moves it onto 0.9 (monotone, piecewise linear from ACCEPT_FROM up; unchanged below): 0.9
# then means "auto-accept", at the price of a few points of share.
ACCEPT_PRECISION = 0.997
ACCEPT_FROM = 0.8
ACCEPT_MIN_FIELDS = 200  # fitting fields at >= 0.9 before a guard is set


class CalibrationError(SohoaError, ValueError):
    """A calibration file or sample set is malformed."""


@dataclass(frozen=True)
class Features:
    """What calibration looks at for one chosen reading."""

    engine_conf: float  # the engine's confidence (probability mass) for the chosen value
    evidence: float  # parse/lexicon support in [0, 1]
    ok: bool  # the text parsed as a valid value of its kind
    length: int  # characters in the text
    kind: FieldKind
    engine: str = ""  # the engine that read it (only "tesseract" is told apart)
    unusual: bool = False  # a date/year outside the field's usual range (fields.priors)
    edge_ink: float = 0.0  # share of the box's side walls running through ink
    layout_residual: float = 0.0  # page analysis's column-fit doubt (0 clean .. 1)
    other_kind: float = 0.0  # how much better the value parses as another kind
    extra_lines: float = 0.0  # the crop holds more written lines than the field takes
    column_doubt: float = 0.0  # share of doubtful cells of this field on the page
    rival: float = 0.0  # engine mass of the best other valid value / (its + the chosen's)
    junk: float = 0.0  # share of the n-best's mass on readings that do not parse
    page_doubt: float = 0.0  # mean doubt of the recogniser over the page's short fields

    def vector(self) -> np.ndarray:
        c = min(max(float(self.engine_conf), 1e-3), 1 - 1e-3)
        logit = math.log(c / (1 - c))
        out = [logit, float(self.evidence), float(self.ok), math.log1p(max(self.length, 0)) / 4,
               float(self.unusual)]
        kind = FieldKind(self.kind)
        out += [1.0 if kind == k else 0.0 for k in _KINDS]
        tess = 1.0 if self.engine == "tesseract" else 0.0
        out += [tess, tess * logit]
        out += [float(self.edge_ink), float(self.layout_residual), float(self.other_kind),
                float(self.extra_lines), float(self.column_doubt), float(self.rival)]
        per_char = math.log(c) / max(int(self.length), 1)
        out += [max(per_char, CHAR_LOGP_FLOOR), float(self.junk), float(self.page_doubt)]
        return np.array(out, dtype=np.float64)


def box_doubt(features: Features) -> bool:
    """Whether the field's box itself is in doubt (see ``DOUBT_CAP``)."""
    return (features.edge_ink > EDGE_DOUBT or features.other_kind > OTHER_DOUBT
            or features.layout_residual >= RESIDUAL_DOUBT)


@dataclass(frozen=True)
class Sample:
    features: Features
    correct: bool


@dataclass(frozen=True)
class Calibration:
    """Logistic map: confidence = sigmoid(bias + sum(weight_i * feature_i))."""

    weights: dict[str, float]
    bias: float
    note: str = ""
    n_samples: int = 0
    ece: float | None = None  # expected calibration error on the fitting samples
    extra: dict[str, float] = field(default_factory=dict)
    accept: float | None = None  # the logistic's output moved onto 0.9 (see ACCEPT_PRECISION)

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FEATURES)
        if unknown:
            raise CalibrationError(f"calibration: unknown features {sorted(unknown)}")
        if self.accept is not None and not ACCEPT_FROM < self.accept < 1.0:
            raise CalibrationError(f"calibration: accept {self.accept} not in "
                                   f"({ACCEPT_FROM}, 1)")

    @cached_property
    def _weight_vector(self) -> np.ndarray:
        """The weights in ``FEATURES`` order (built once: the map is frozen)."""
        return np.array([self.weights.get(n, 0.0) for n in FEATURES])

    def logistic(self, features: Features) -> float:
        """The logistic map's own output, before the accept guard and the doubt cap."""
        z = float(self.bias + self._weight_vector @ features.vector())
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def predict(self, features: Features) -> float:
        """P(correct), through the accept guard; at most ``DOUBT_CAP`` when the box is in
        doubt (:func:`box_doubt`)."""
        p = guarded(self.logistic(features), self.accept)
        return min(p, DOUBT_CAP) if box_doubt(features) else p

    def to_json(self) -> str:
        data = {"version": 1, "method": "logistic", "bias": self.bias, "weights": self.weights,
                "note": self.note, "n_samples": self.n_samples, "ece": self.ece}
        if self.accept is not None:
            data["accept"] = self.accept
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def from_json(cls, text: str, where: str = "calibration") -> Calibration:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CalibrationError(f"{where}: not JSON: {exc}") from exc
        allowed = {"version", "method", "bias", "weights", "note", "n_samples", "ece", "accept"}
        if not isinstance(data, dict) or set(data) - allowed:
            raise CalibrationError(f"{where}: unknown keys {sorted(set(data) - allowed)}")
        if data.get("version") != 1 or data.get("method") != "logistic":
            raise CalibrationError(f"{where}: expected version 1, method 'logistic'")
        try:
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            accept = data.get("accept")
            return cls(weights, float(data["bias"]), str(data.get("note", "")),
                       int(data.get("n_samples", 0)), data.get("ece"),
                       accept=None if accept is None else float(accept))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CalibrationError(f"{where}: bad weights/bias: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        p = Path(path)
        try:
            return cls.from_json(p.read_text(encoding="utf-8"), str(p))
        except OSError as exc:
            raise CalibrationError(f"{p}: cannot read: {exc}") from exc


def guarded(p: float, accept: float | None) -> float:
    """``p`` with ``accept`` moved onto 0.9: [ACCEPT_FROM, accept] -> [ACCEPT_FROM, 0.9] and
    [accept, 1] -> [0.9, 1], linearly; unchanged below ACCEPT_FROM or without a guard."""
    if accept is None or p <= ACCEPT_FROM:
        return p
    if p < accept:
        return ACCEPT_FROM + (p - ACCEPT_FROM) / (accept - ACCEPT_FROM) * (0.9 - ACCEPT_FROM)
    return 0.9 + (p - accept) / (1.0 - accept) * 0.1


def accept_point(conf: Sequence[float], correct: Sequence[bool],
                 precision: float = ACCEPT_PRECISION) -> float | None:
    """The lowest output >= 0.9 from which the fields are ``precision`` exact (None: the map
    already is at 0.9, or fewer than ACCEPT_MIN_FIELDS fields reach 0.9); never above 0.99."""
    c = np.asarray(conf, dtype=np.float64)
    y = np.asarray(correct, dtype=bool)
    top = c >= 0.9
    if top.sum() < ACCEPT_MIN_FIELDS:
        return None
    order = np.argsort(-c[top])
    cs, ys = c[top][order], y[top][order]
    exact = np.cumsum(ys) / np.arange(1, len(ys) + 1)  # of the fields at >= cs[i]
    if exact[-1] >= precision:
        return None
    last = np.append(cs[1:] < cs[:-1], True)  # a threshold takes all fields tied with it
    ok = np.nonzero((exact >= precision) & last)[0]
    point = float(cs[ok[-1]]) if len(ok) else 0.99
    return round(min(max(point, 0.9 + 1e-4), 0.99), 6)


@cache
def default_calibration() -> Calibration:
    """The map shipped in ``sohoa/data/calibration.json``."""
    res = resources.files("sohoa").joinpath("data/calibration.json")
    return Calibration.from_json(res.read_text(encoding="utf-8"), str(res))


def _as_sample(s: Sample | tuple[Features, bool]) -> Sample:
    if isinstance(s, Sample):
        return s
    feats, correct = s
    if not isinstance(feats, Features):
        raise CalibrationError(f"sample features must be Features, got {type(feats).__name__}")
    return Sample(feats, bool(correct))


def kept_doubt(start: Calibration) -> dict[str, float]:
    """Bounds for a refit (``fit_calibration(at_most=...)``): the valid-rival weight no weaker
    than ``start``'s. A coin flip between two valid values ("Hoa" / "Hòa") must lower the
    confidence, and generated pages hold few real ones: fitted on them alone the weight
    fell from -3.57 to -1.52 (rule 76 of session 38) while the character log mass took
    its place, which it cannot do on a hand the recogniser has not learnt."""
    return {n: start.weights[n] for n in RIVAL_FEATURES if start.weights.get(n, 0.0) < 0}


def fit_calibration(samples: Iterable[Sample | tuple[Features, bool]], *, l2: float = 1.0,
                    note: str = "", accept_precision: float | None = None,
                    at_most: Mapping[str, float] | None = None) -> Calibration:
    """Fit the logistic map to (features, correct) pairs by Newton's method with an L2 penalty
    (``l2``, on weights only) so that kinds with few samples stay near the shared weights;
    with ``accept_precision``, also the accept guard (:func:`accept_point`) on the same
    samples. ``at_most`` bounds doubt weights from above (``kept_doubt``): a weight that
    comes out above its bound is held at it and the rest refitted."""
    rows = [_as_sample(s) for s in samples]
    if len(rows) < 10 or len({r.correct for r in rows}) < 2:
        raise CalibrationError("fit_calibration needs at least 10 samples, both right and wrong")
    x = np.stack([r.features.vector() for r in rows])
    y = np.array([1.0 if r.correct else 0.0 for r in rows])
    x1 = np.hstack([np.ones((len(rows), 1)), x])
    # segmentation doubt (and a valid rival value) may only lower confidence: a doubt
    # feature whose fitted weight comes out positive (it co-occurs with other evidence of a
    # right reading) is held at 0, or at its ``at_most`` bound
    at_most = at_most or {}
    unknown = set(at_most) - set(DOUBT_FEATURES)
    if unknown:
        raise CalibrationError(f"fit_calibration: at_most names no doubt feature: "
                               f"{sorted(unknown)}")
    bound = np.array([np.inf] + [min(0.0, at_most.get(n, 0.0)) if n in DOUBT_FEATURES
                                 else np.inf for n in FEATURES])
    held = np.zeros(x1.shape[1], bool)
    while True:
        offset = x1[:, held] @ bound[held]
        beta = _newton(np.where(held, 0.0, 1.0)[None, :] * x1, y, l2, offset)
        beta[held] = bound[held]
        over = ~held & (beta > bound)
        if not over.any():
            break
        held |= over
    weights = {name: round(float(w), 6) for name, w in zip(FEATURES, beta[1:], strict=True)}
    cal = Calibration(weights, round(float(beta[0]), 6), note, len(rows))
    labels = [r.correct for r in rows]
    accept = None
    if accept_precision is not None:
        accept = accept_point([cal.predict(r.features) for r in rows], labels, accept_precision)
    cal = Calibration(cal.weights, cal.bias, note, len(rows), accept=accept)
    conf = [cal.predict(r.features) for r in rows]
    return Calibration(cal.weights, cal.bias, note, len(rows),
                       round(expected_calibration_error(conf, labels), 6), accept=accept)


def _newton(x1: np.ndarray, y: np.ndarray, l2: float,
            offset: np.ndarray | None = None) -> np.ndarray:
    """L2-penalised logistic regression by Newton's method (column 0: the unpenalised bias);
    an all-zero column keeps weight 0; ``offset`` is added to every sample's logit."""
    beta = np.zeros(x1.shape[1])
    penalty = np.full(x1.shape[1], l2)
    penalty[0] = 1e-6
    off = np.zeros(len(y)) if offset is None else offset
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(x1 @ beta + off, -40, 40)))
        grad = x1.T @ (p - y) + penalty * beta
        hess = (x1 * (p * (1 - p))[:, None]).T @ x1 + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def expected_calibration_error(conf: Sequence[float], correct: Sequence[bool],
                               bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    if len(conf) != len(correct):
        raise ValueError("conf and correct differ in length")
    if not conf:
        return 0.0
    c = np.clip(np.asarray(conf, dtype=np.float64), 0, 1)
    y = np.asarray(correct, dtype=np.float64)
    idx = np.minimum((c * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.sum() * abs(y[mask].mean() - c[mask].mean())
    return float(total / len(c))
