"""Aggregate field pairs into the figures trainers read: CER/WER per group, tone-mark errors,
confusions, calibration, the auto-accept curve and reviewing effort."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from rapidfuzz.distance import Levenshtein

from sohoa.evaluation.match import FieldPair
from sohoa.evaluation.metrics import (
    auto_accept_curve,
    confusions,
    diacritic_split,
    edit_distance,
    expected_calibration_error,
    reliability_bins,
)


@dataclass(frozen=True)
class GroupStats:
    """Micro-averaged errors of one group of fields (edits / reference characters)."""

    n: int
    cer: float
    wer: float
    exact: float
    base_errors: int
    tone_errors: int
    chars: int


def group_stats(pairs: Sequence[FieldPair]) -> GroupStats:
    chars = edits = words = word_edits = base = tone = exact = 0
    for p in pairs:
        truth, read = p.compared()
        ref = " ".join(truth.split())
        chars += max(1, len(ref))
        edits += edit_distance(truth, read)
        rw, hw = truth.split(), read.split()
        words += max(1, len(rw))
        word_edits += Levenshtein.distance(rw, hw)
        b, t = diacritic_split(truth, read)
        base += b
        tone += t
        exact += p.correct
    n = len(pairs)
    return GroupStats(n=n, cer=edits / chars if chars else 0.0,
                      wer=word_edits / words if words else 0.0,
                      exact=exact / n if n else 0.0, base_errors=base, tone_errors=tone,
                      chars=chars)


@dataclass(frozen=True)
class Effort:
    """Reviewing effort from the audit log."""

    entries: int
    fields_corrected_per_entry: float
    seconds_per_entry_median: float | None


def effort_from_audit(rows, max_gap_s: float = 600.0) -> Effort:
    """Corrections per confirmed entry, and seconds between a clerk's consecutive confirmations
    (gaps over ``max_gap_s`` are breaks, not work)."""
    confirms = [r for r in rows if r.action == "confirm"]
    corrections = [r for r in rows if r.action == "correct"]
    by_user: dict[str, list[datetime]] = defaultdict(list)
    for r in confirms:
        by_user[r.user].append(datetime.fromisoformat(r.at))
    gaps = []
    for times in by_user.values():
        times.sort()
        gaps += [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)
                 if 0 <= (b - a).total_seconds() <= max_gap_s]
    n = len(confirms)
    return Effort(entries=n, fields_corrected_per_entry=len(corrections) / n if n else 0.0,
                  seconds_per_entry_median=median(gaps) if gaps else None)


@dataclass
class Summary:
    overall: GroupStats
    groups: dict[str, dict[str, GroupStats]]
    confusions: list[tuple[str, str, int]]
    ece: float
    reliability: list[tuple[float, float, float, int]]
    auto_accept: list[tuple[float, float, float]]
    effort: Effort | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "overall": asdict(self.overall),
            "groups": {g: {k: asdict(v) for k, v in d.items()} for g, d in self.groups.items()},
            "confusions": [{"expected": a, "read": b, "count": n} for a, b, n in self.confusions],
            "calibration": {
                "ece": self.ece,
                "bins": [{"low": lo, "confidence": c, "accuracy": a, "count": n}
                         for lo, c, a, n in self.reliability],
            },
            "auto_accept": [{"threshold": t, "share": s, "accuracy": a}
                            for t, s, a in self.auto_accept],
            "effort": asdict(self.effort) if self.effort else None,
            "meta": self.meta,
        }


GROUPINGS: dict[str, Callable[[FieldPair], str]] = {
    "field": lambda p: p.field,
    "kind": lambda p: p.kind,
    "engine": lambda p: p.engine or "?",
    "book": lambda p: p.book or "?",
    "clerk": lambda p: p.clerk or "?",
}


def summarize(pairs: Sequence[FieldPair], *, effort: Effort | None = None,
              meta: dict[str, Any] | None = None) -> Summary:
    groups: dict[str, dict[str, GroupStats]] = {}
    for gname, key in GROUPINGS.items():
        buckets: dict[str, list[FieldPair]] = defaultdict(list)
        for p in pairs:
            buckets[key(p)].append(p)
        groups[gname] = {k: group_stats(v) for k, v in sorted(buckets.items())}
    conf = [p.confidence for p in pairs]
    ok = [p.correct for p in pairs]
    return Summary(
        overall=group_stats(pairs),
        groups=groups,
        confusions=confusions([p.compared() for p in pairs]),
        ece=expected_calibration_error(conf, ok),
        reliability=reliability_bins(conf, ok),
        auto_accept=auto_accept_curve(conf, ok),
        effort=effort,
        meta=dict(meta or {}),
    )
