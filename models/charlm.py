"""A small character n-gram language model for the CTC beam (``lm(prefix, char)``), trained
on sampled field values of one kind, e.g. names: it prefers "Thị" over "Thi" and "Lường" over
"Luờng" when the image leaves a doubt, without forbidding names it never saw.

The beam hook scores log P(char | previous n-1 characters) minus log P(char): a character
that is likelier here than on average earns a bonus, an unlikely one a penalty, and the mean
is about zero so the beam is not pushed towards longer or shorter texts.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from models.ctc_decode import CharLM

# a character the LM never saw (no unigram count: a comma in a name) scores at most 0: additive
# smoothing gives it more mass in a sparse context than in the unigram, which was a bonus
# ("Lò Văn Hồng," over "Lò Văn Hồng"; rule 74 of benchmarks/results/rules-s38.md)
UNSEEN_NO_BONUS = True


@dataclass
class NGramCharLM:
    order: int = 4
    alpha: float = 0.1  # add-alpha smoothing
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    vocab: set[str] = field(default_factory=set)

    def fit(self, texts: Iterable[str]) -> NGramCharLM:
        self.__dict__.pop("_totals", None)
        for t in texts:
            t = "^" * (self.order - 1) + t.lower() + "$"
            for i in range(self.order - 1, len(t)):
                for k in range(self.order):  # every context length 0..order-1, for backoff
                    self.counts[t[i - k: i]][t[i]] += 1
                self.vocab.add(t[i])
        return self

    def logp(self, context: str, char: str) -> float:
        """Interpolated log-probability of ``char`` after ``context`` (lower case)."""
        ctx = ("^" * (self.order - 1) + context.lower())[-(self.order - 1):]
        v = max(1, len(self.vocab))
        p = 1.0 / v
        for k in range(0, self.order):
            c = self.counts.get(ctx[len(ctx) - k:] if k else "")
            if not c:
                continue
            total = sum(c.values())
            pk = (c[char.lower()] + self.alpha) / (total + self.alpha * v)
            lam = total / (total + 5.0)
            p = lam * pk + (1 - lam) * p
        return math.log(p)

    def _total(self, ctx: str) -> int:
        totals = self.__dict__.setdefault("_totals", {})
        if ctx not in totals:
            c = self.counts.get(ctx)
            totals[ctx] = sum(c.values()) if c else 0
        return int(totals[ctx])

    def score(self, context: str, char: str) -> float:
        """How much more likely ``char`` is here than on average (log ratio to the unigram):
        about zero on average, so the beam gains no bias for longer or shorter texts.
        Only the last ``order - 1`` characters of ``context`` matter."""
        return self._score(("^" * (self.order - 1) + context.lower())[-(self.order - 1):],
                           char.lower())

    def _score(self, ctx: str, char: str) -> float:
        uni = self.counts.get("")
        v = max(1, len(self.vocab))
        if not uni:
            return 0.0
        p0 = (uni[char] + self.alpha) / (self._total("") + self.alpha * v)
        p = 1.0 / v
        for k in range(0, self.order):
            sub = ctx[len(ctx) - k:] if k else ""
            c = self.counts.get(sub)
            if not c:
                continue
            total = self._total(sub)
            pk = (c[char] + self.alpha) / (total + self.alpha * v)
            lam = total / (total + 5.0)
            p = lam * pk + (1 - lam) * p
        if UNSEEN_NO_BONUS and not uni[char]:  # smoothing gives an unseen character more
            return min(0.0, math.log(p) - math.log(p0))  # mass in a sparse context: no bonus
        return math.log(p) - math.log(p0)

    def save(self, path: Path) -> None:
        data = {"order": self.order, "alpha": self.alpha, "vocab": "".join(sorted(self.vocab)),
                "counts": {k: dict(v) for k, v in self.counts.items()}}
        path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, path: Path) -> NGramCharLM:
        try:
            data = json.loads(path.read_text("utf-8"))
            lm = cls(order=int(data["order"]), alpha=float(data["alpha"]))
            lm.vocab = set(data["vocab"])
            for k, v in data["counts"].items():
                lm.counts[k] = Counter(v)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: not a character LM file ({exc})") from exc
        return lm

    def as_hook(self, memo_size: int = 1 << 15) -> CharLM:
        """``lm(prefix, char)`` for the beam, memoised on the context it looks at. The memo is
        an LRU of ``memo_size`` entries: the beam also tries garbage prefixes, and an unbounded
        memo grew ~40 MB over 45 pages (memory must stay flat in a long ``process`` run)."""
        pad, n = "^" * (self.order - 1), self.order - 1
        score = lru_cache(maxsize=memo_size)(self._score)

        def hook(prefix: str, char: str) -> float:
            return score((pad + prefix[-n:].lower())[-n:], char.lower())

        return hook


def name_lm(n: int = 20000, seed: int = 0, order: int = 4) -> NGramCharLM:
    """A character LM of full names sampled by the synthetic generator's name distribution."""
    return kind_lm("name", n, seed, order)


ADDRESS_SHARE = 0.3  # of the address LM's texts (``address_lm``): addresses anywhere in the
# country beside the register's own place values; chosen on tuning writers' photographed
# address lines (17.04 -> 15.19 % CER, register lines and field crops no worse; docs/htr.md
# "Places on lines of unknown origin", session 19)


def kind_lm(kind: str, n: int = 20000, seed: int = 0, order: int = 4,
            address_share: float = 0.0) -> NGramCharLM:
    """A character LM of one field kind's values as the generator samples them: names from
    the name statistics, places from the administrative units (``sohoa/data``). With
    ``address_share``, that share of the ``n`` texts are addresses anywhere in the country as
    people write them (house numbers, lanes, abbreviated units:
    :func:`sohoa.synth.addresses.nationwide_address`) instead."""
    from sohoa.synth import sample_value
    from sohoa.template import load_template

    rng = np.random.default_rng(seed)
    specs = [f for t in ("ks-2006", "kt-2006", "kh-2006") for f in load_template(t).fields
             if str(f.kind) == kind]
    if not specs:
        raise ValueError(f"no template field of kind {kind!r}")
    if not 0.0 <= address_share <= 1.0:
        raise ValueError(f"address_share must be within 0 and 1, not {address_share}")
    n_addr = int(round(n * address_share))
    texts = []
    while len(texts) < n - n_addr:
        v = sample_value(specs[int(rng.integers(len(specs)))], rng)
        if v is not None and v.text:
            texts.append(v.text)
    if n_addr:
        from sohoa.synth.addresses import nationwide_address

        more = np.random.default_rng(seed + 1)
        texts += [nationwide_address(more) for _ in range(n_addr)]
    return NGramCharLM(order=order).fit(texts)


def address_lm(n: int = 20000, seed: int = 0, order: int = 4) -> NGramCharLM:
    """The place LM for lines of unknown origin (a trainer's labelled lines): the register's
    place values with :data:`ADDRESS_SHARE` of addresses anywhere in the country."""
    return kind_lm("place", n, seed, order, address_share=ADDRESS_SHARE)
