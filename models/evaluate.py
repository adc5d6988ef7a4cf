"""Character error rate and exact match of a model (or any list of predictions) per kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein

from models.charset import Charset


def cer(pred: str, truth: str) -> float:
    return Levenshtein.distance(pred, truth) / max(1, len(truth))


def score(preds: Sequence[str], truths: Sequence[str], kinds: Sequence[str]) -> dict[str, Any]:
    """Overall and per-kind CER (edits / truth characters) and exact-match rate."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # edits, chars, exact, n
    for p, t, k in zip(preds, truths, kinds, strict=True):
        for key in (k, "_all"):
            e = per[key]
            e[0] += Levenshtein.distance(p, t)
            e[1] += len(t)
            e[2] += int(p == t)
            e[3] += 1
    out: dict[str, Any] = {}
    for key, (ed, ch, ex, n) in per.items():
        stats = {"cer": ed / max(1, ch), "exact": ex / max(1, n), "n": n}
        if key == "_all":
            out.update(stats)
        else:
            out.setdefault("by_kind", {})[key] = stats
    return out


def evaluate_samples(model: Any, charset: Charset, height: int, samples: Sequence[Any],
                     device: str = "cpu", batch_size: int = 64) -> dict[str, Any]:
    """Greedy-decode ``samples`` (with ``.image``, ``.text``, ``.kind``) and score them."""
    from models.recognize import recognize_arrays

    was_training = model.training
    model.eval()
    decoded = recognize_arrays(model, charset, height, [s.image for s in samples], device,
                               batch_size=batch_size)
    if was_training:
        model.train()
    return score([d.text for d in decoded], [charset.normalize(s.text) for s in samples],
                 [s.kind for s in samples])
