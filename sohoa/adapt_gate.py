"""The keep/reject gate of per-book adaptation (:mod:`sohoa.adapt`), cross-fitted.

One frozen 20 % slice of a book's confirmations is too small to decide on (18 crops at 100
confirmations, 5 at 30: one misread letter decides), and training never sees it. Instead:

1. the confirmed entries are cut into ``K`` folds by a frozen hash of the entry id (2 by
   default; :func:`folds_for` gives 5 below 60 crops, so each candidate learns from 80 % of
   few crops, but with the same total steps each learns for fewer steps, and on the
   held-out writers at 30 crops that was worse: docs/htr.md, 4 Dec);
2. for each fold a candidate is trained with the same recipe from the same start model on
   the other folds only, and reads the fold's crops (which it never saw);
3. so every confirmed crop has two readings by models that never trained on it: the start
   model's and a candidate's. The paired per-crop differences in edits decide
   (:func:`paired_verdict`): keep only if the candidates' total edits are lower by at least
   ``z`` standard errors of the paired sum (``z = 1.28``: a one-sided 90 % test), so a
   difference that one or two crops make is not enough;
4. only then is the book model trained, with the same recipe on all the confirmations, and
   kept if, in addition, it reads them no worse than the start model.

What the gate scores is the recipe (start model + this training on a book's confirmations),
each crop out of sample; the kept model is that recipe on more data (all the folds).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FOLDS = 2
FOLDS_FEW, FEW_CROPS = 5, 60  # below FEW_CROPS confirmed crops: FOLDS_FEW folds
Z = 1.28  # one-sided 90 %: the paired gain must exceed 1.28 standard errors of its sum


def fold_of(entry_id: int, folds: int = FOLDS) -> int:
    """Deterministic: an entry is always in the same fold."""
    h = hashlib.sha256(f"sohoa-fold:{int(entry_id)}".encode()).digest()
    return int.from_bytes(h[:8], "big") % folds


def folds_for(crops: int) -> int:
    """The gate's folds for a book of ``crops`` confirmed crops: with few crops a candidate
    trained on half of them is much weaker than the book model trained on all, and the gate
    would judge a recipe far worse than the one kept (at 10-30 crops it rejected nearly
    everything); 5 folds train each candidate on 80 % of them. The total training of the
    folds stays the same (``sohoa.adapt``: the step budget shared out among them)."""
    return FOLDS_FEW if crops < FEW_CROPS else FOLDS


def assign_folds(entry_ids: list[int], folds: int) -> tuple[int, list[int]]:
    """(K, fold of each entry id): ``folds`` folds if each gets an entry, else fewer (down to
    2; fewer than 2 distinct folds is the caller's error)."""
    k = folds
    while True:
        got = [fold_of(e, k) for e in entry_ids]
        if k <= 2 or len(set(got)) == k:
            return k, got
        k -= 1


def crop_edits(model_dir: Path, samples: list[Any], stretch: bool = False) -> list[int]:
    """Edits of each crop's reading (greedy, lines split as the pipeline reads, cramped lines
    read again wider when ``stretch``, as the ``htr`` engine does) to its label."""
    from rapidfuzz.distance import Levenshtein

    from models.finetune import read_texts

    if not samples:
        return []
    preds = read_texts(model_dir, [s.image for s in samples], stretch=stretch,
                       kinds=[getattr(s, "kind", None) for s in samples])
    return [Levenshtein.distance(p, s.text) for p, s in zip(preds, samples, strict=True)]


@dataclass(frozen=True)
class Verdict:
    keep: bool
    crops: int
    chars: int
    edits_start: int
    edits_candidate: int
    improved: int  # crops read with fewer edits by the candidate
    worsened: int
    gain: int  # edits_start - edits_candidate
    needed: float  # the gain the test asked for (z standard errors of the paired sum)
    reason: str

    @property
    def cer_start(self) -> float:
        return self.edits_start / max(1, self.chars)

    @property
    def cer_candidate(self) -> float:
        return self.edits_candidate / max(1, self.chars)


def paired_verdict(start: list[int], candidate: list[int], chars: int, z: float = Z
                   ) -> Verdict:
    """Keep iff the candidate's total edits are below the start model's by at least ``z``
    times the standard error of the paired sum (``sqrt(sum d_i^2)``, d_i the per-crop
    difference: a sign-free, distribution-free bound that the noise of the crops that differ
    sets), and by at least one edit."""
    if len(start) != len(candidate):
        raise ValueError("paired_verdict: one score per crop from each model")
    d = [s - c for s, c in zip(start, candidate, strict=True)]
    gain = sum(d)
    needed = max(1.0, z * math.sqrt(sum(x * x for x in d)))
    keep = gain >= needed
    improved, worsened = sum(x > 0 for x in d), sum(x < 0 for x in d)
    es, ec = sum(start), sum(candidate)
    cmp = (f"{ec} vs {es} edits in {chars} characters of {len(d)} crops read out of sample "
           f"({improved} better, {worsened} worse; gain {gain}, needed {needed:.1f})")
    return Verdict(keep, len(d), chars, es, ec, improved, worsened, gain, round(needed, 2),
                   ("cross-fitted: " if keep else "rejected, cross-fitted: ") + cmp)
