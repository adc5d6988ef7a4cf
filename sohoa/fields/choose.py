"""Lexicon-aware choice among an engine's n-best readings, with a calibrated confidence.

Readings that parse to the same value pool their engine probability ("Nam" 0.5 + "Nan" 0.3
both mean sex 1); each value is then scored by log(engine mass) + weight(kind) x log(evidence),
minus a penalty when it does not parse. The winner's confidence comes from the calibration map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sohoa.fields.calibration import Calibration, Features, default_calibration
from sohoa.fields.calibration_seg import LayoutEvidence, extra_lines, other_kind_score
from sohoa.fields.parse import ParsedValue, parse_field
from sohoa.fields.priors import plausibility
from sohoa.records import Alternative, BBox, FieldKind, Reading

# how much the lexicon/grammar may overrule the engine, per kind (0 = engine only)
LEXICON_WEIGHT: dict[FieldKind, float] = {
    FieldKind.SEX: 1.5, FieldKind.ETHNICITY: 1.5, FieldKind.NATIONALITY: 1.5,
    FieldKind.RELATION: 1.2, FieldKind.NAME: 1.0, FieldKind.PLACE: 0.7, FieldKind.DATE: 1.0,
    FieldKind.YEAR: 1.0, FieldKind.NUMBER: 0.8, FieldKind.TEXT: 0.0,
}
NOT_OK_PENALTY = 1.5  # log-space: a reading that does not parse needs ~4.5x the engine mass


@dataclass(frozen=True)
class Scored:
    """One distinct value among the candidates, with its pooled engine mass and score."""

    parsed: ParsedValue
    engine_mass: float
    score: float
    source: Alternative  # the candidate whose text is shown
    unusual: bool = False  # a date or year outside the field's usual range (priors)


def _conf(a: Alternative) -> float:
    c = float(a.confidence)
    return 0.0 if math.isnan(c) else min(max(c, 0.0), 1.0)


def rank_candidates(kind: FieldKind, candidates: Sequence[Alternative],
                    ref_year: int | None = None, field: str = "") -> list[Scored]:
    """Distinct values of the candidates, best first (``field`` adds its plausibility)."""
    kind = FieldKind(kind)
    groups: dict[str, tuple[ParsedValue, float, Alternative, bool]] = {}
    for alt in candidates:
        if not alt.text.strip():
            continue
        pv = parse_field(kind, alt.text, ref_year=ref_year)  # memoised
        factor = plausibility(field, kind, pv, ref_year)
        if factor < 1.0:
            pv = replace(pv, evidence=pv.evidence * factor)
        group = f"v:{pv.value}" if pv.ok and pv.value else f"t:{pv.text}"
        if group in groups:  # keep the best-supported parse and the most confident source
            best, mass, src, unusual = groups[group]
            groups[group] = (pv if pv.evidence > best.evidence else best, mass + _conf(alt),
                             alt if _conf(alt) > _conf(src) else src, unusual)
        else:
            groups[group] = (pv, _conf(alt), alt, factor < 1.0)
    weight = LEXICON_WEIGHT.get(kind, 1.0)
    out = []
    for pv, mass, src, unusual in groups.values():
        mass = min(mass, 1.0)
        score = math.log(1e-4 + mass) + weight * math.log(0.05 + pv.evidence)
        if not pv.ok:
            score -= NOT_OK_PENALTY
        out.append(Scored(pv, mass, score, src, unusual))
    out.sort(key=lambda s: (-s.score, -s.engine_mass))
    return out


def choose_reading(field: str, kind: FieldKind, candidates: Sequence[Alternative], engine: str,
                   bbox: BBox | None = None, ref_year: int | None = None,
                   calibration: Calibration | None = None,
                   evidence: LayoutEvidence | None = None,
                   ranked: Sequence[Scored] | None = None) -> Reading:
    """The best reading of ``field`` among an engine's alternatives, its 158 value and a
    calibrated confidence (``evidence``: what the crop says about its box, see
    ``calibration_seg``); the other candidates stay in ``Reading.alternatives``.
    ``ranked``: ``rank_candidates`` of these very ``candidates`` (Alternative objects), when
    the caller has it (``choose_page`` chooses each cell twice)."""
    alts = [a if isinstance(a, Alternative) else Alternative(a[0], a[1]) for a in candidates]
    if ranked is None:
        ranked = rank_candidates(kind, alts, ref_year, field)
    if not ranked:
        return Reading(field, "", "", 0.0, engine, bbox, ())
    best = ranked[0]
    cal = calibration or default_calibration()
    confidence = round(cal.predict(_features(best, kind, engine, evidence, ref_year,
                                             rival_of(ranked), junk_of(ranked))), 4)
    others = tuple(a for a in alts if a is not best.source and a.text.strip()
                   and a.text != best.parsed.text)
    return Reading(field, best.parsed.text, best.parsed.value, confidence, engine, bbox, others)


def features_of(kind: FieldKind, candidates: Sequence[Alternative], ref_year: int | None = None,
                field: str = "", engine: str = "", evidence: LayoutEvidence | None = None,
                ) -> tuple[Features, ParsedValue] | None:
    """Calibration features of the reading ``choose_reading`` would pick (for refitting)."""
    ranked = rank_candidates(kind, list(candidates), ref_year, field)
    if not ranked:
        return None
    return (_features(ranked[0], kind, engine, evidence, ref_year, rival_of(ranked),
                      junk_of(ranked)),
            ranked[0].parsed)


def rival_of(ranked: Sequence[Scored]) -> float:
    """How strongly the engine also read another valid value (0 none .. 0.5 as strongly as the
    chosen one): "Đinh Văn Hoa" 0.52 against "Đinh Văn Hòa" 0.35 is a coin flip between two
    names, whatever the lexicon says of each."""
    if not ranked:
        return 0.0
    best = ranked[0]
    for s in ranked[1:]:
        if s.parsed.ok and s.parsed.value != best.parsed.value:
            total = best.engine_mass + s.engine_mass
            return float(s.engine_mass / total) if total > 0 else 0.0
    return 0.0


def junk_of(ranked: Sequence[Scored]) -> float:
    """Share of the candidates' engine mass on readings that do not parse as the field's kind
    (0 when the chosen value does not parse either: then nothing tells junk apart)."""
    if not ranked or not ranked[0].parsed.ok:
        return 0.0
    total = sum(s.engine_mass for s in ranked)
    bad = sum(s.engine_mass for s in ranked if not s.parsed.ok)
    return float(bad / total) if total > 0 else 0.0


def _features(best: Scored, kind: FieldKind, engine: str,
              evidence: LayoutEvidence | None = None, ref_year: int | None = None,
              rival: float = 0.0, junk: float = 0.0) -> Features:
    """What calibration looks at for the chosen value (one place for choice and refitting)."""
    ev = evidence or LayoutEvidence()
    other = other_kind_score(kind, best.parsed.text, best.parsed.evidence, best.parsed.ok,
                             ref_year)
    return Features(best.engine_mass, best.parsed.evidence, best.parsed.ok,
                    len(best.parsed.text), FieldKind(kind), engine, best.unusual,
                    ev.edge_ink, ev.layout_residual, other, extra_lines(kind, ev.lines),
                    ev.column_doubt, rival, junk, ev.page_doubt)
