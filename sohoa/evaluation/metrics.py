"""Error measures on strings and confidences; every function is pure and hand-checkable."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

# Combining marks of the five Vietnamese tones; the other marks (circumflex, breve, horn) and
# đ belong to the base letter.
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def edit_distance(ref: str, hyp: str) -> int:
    return Levenshtein.distance(_norm(ref), _norm(hyp))


def cer(ref: str, hyp: str) -> float:
    """Character error rate: edits / reference length (an empty reference counts as 1 char)."""
    ref, hyp = _norm(ref), _norm(hyp)
    return Levenshtein.distance(ref, hyp) / max(1, len(ref))


def wer(ref: str, hyp: str) -> float:
    """Word error rate over whitespace-separated words."""
    r, h = _norm(ref).split(), _norm(hyp).split()
    return Levenshtein.distance(r, h) / max(1, len(r))


def strip_tones(text: str) -> str:
    """The text without its tone marks (base letters with their other diacritics kept)."""
    nfd = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in nfd if c not in TONE_MARKS))


def diacritic_split(ref: str, hyp: str) -> tuple[int, int]:
    """(base-letter edits, tone-mark-only edits) between ``ref`` and ``hyp``.

    Base edits are the edits that remain after removing tone marks from both; the rest of the
    total edit distance is attributed to tone marks alone.
    """
    total = edit_distance(ref, hyp)
    base = edit_distance(strip_tones(ref), strip_tones(hyp))
    return base, max(0, total - base)


def confusions(pairs: Sequence[tuple[str, str]], top: int = 20) -> list[tuple[str, str, int]]:
    """Most common (expected, read) character substitutions; '' stands for insert/delete."""
    counts: Counter[tuple[str, str]] = Counter()
    for ref, hyp in pairs:
        ref, hyp = _norm(ref), _norm(hyp)
        for op in Levenshtein.editops(ref, hyp):
            if op.tag == "replace":
                counts[(ref[op.src_pos], hyp[op.dest_pos])] += 1
            elif op.tag == "delete":
                counts[(ref[op.src_pos], "")] += 1
            else:
                counts[("", hyp[op.dest_pos])] += 1
    return [(a, b, n) for (a, b), n in counts.most_common(top)]


def reliability_bins(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> list[tuple[float, float, float, int]]:
    """Per equal-width bin: (low edge, mean confidence, accuracy, count); empty bins left out."""
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(n_bins)]
    for c, ok in zip(confidence, correct, strict=True):
        bins[min(n_bins - 1, int(c * n_bins))].append((c, ok))
    out = []
    for i, b in enumerate(bins):
        if b:
            out.append((i / n_bins, sum(c for c, _ in b) / len(b), sum(ok for _, ok in b) / len(b),
                        len(b)))
    return out


def expected_calibration_error(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> float:
    """ECE: the count-weighted mean |accuracy - confidence| over equal-width bins."""
    n = len(confidence)
    if n == 0:
        return 0.0
    return sum(cnt * abs(acc - conf) for _, conf, acc, cnt in
               reliability_bins(confidence, correct, n_bins)) / n


def auto_accept_curve(
    confidence: Sequence[float], correct: Sequence[bool],
    thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99),
) -> list[tuple[float, float, float]]:
    """Per threshold: (threshold, share of fields at or above it, their accuracy)."""
    n = len(confidence)
    out = []
    for t in thresholds:
        sel = [ok for c, ok in zip(confidence, correct, strict=True) if c >= t]
        out.append((t, len(sel) / n if n else 0.0, sum(sel) / len(sel) if sel else 1.0))
    return out
