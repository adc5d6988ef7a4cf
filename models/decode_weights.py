"""How much what a field can be counts against what the image says, per network.

The priors' weights (names, places, closed lists) and the character LMs' weights were tuned
on one network's outputs (``benchmarks/decode_tune.py``, training-side stroke writers only).
A new network is sure of itself in other places, so its weights are tuned again on its own
outputs and travel with it: a model folder's ``model.json`` may hold

    "decoding": {"name": 1.0, "place": 4.0, "closed": 8.0, "lm": 0.5, "arpa": 1.0}

(any subset; what is missing keeps the default, which is what htr-v4 was tuned to).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any


class DecodeWeightsError(ValueError):
    """A model folder's ``decoding`` weights are not usable."""


# The defaults, htr-v4's (training-side stroke writers, benchmarks/decode_tune.py): name 1.0;
# place 3 -> 4 with the unit readings (places 14.70 -> 14.67 %, 14.28 -> 13.96 %); closed
# 3 -> 8 with 5 lexicon readings at any probability (150 each: ethnicity 8.54 -> 7.44 %,
# relation 10.34 -> 8.97 %, sex 2.16 -> 1.89 %, dates and years unchanged); arpa measured on
# generated lines 0.3/0.6/1.0/1.5/2.0 -> places exact 56/62/67/71/73 %, but the LM learnt the
# generator's own place strings, so the strongest weights are not trusted on real books: 1.0.
# text (session 26, rule 14 of rules-s26.md; 300 text crops of training-side stroke writers):
# 22.73 % without the prior, 0.5 / 1 / 2 / 4 -> 21.32 / 20.83 / 20.58 / 20.55 %: 2, the
# smaller of two within 0.1 point (a frequency prior overrules rare words more the stronger).
@dataclass(frozen=True)
class DecodeWeights:
    name: float = 1.0  # names' syllable prior (sohoa.fields.names.name_prior)
    place: float = 4.0  # places' gazetteer prior (sohoa.fields.place_match.place_prior)
    closed: float = 8.0  # closed lists, dates and years (sohoa.fields.vocab.field_prior)
    lm: float = 0.5  # character LM fused after the prior (names, places)
    arpa: float = 1.0  # character KenLM in the open beam (names, places)
    text: float = 2.0  # free text's syllable prior (sohoa.fields.syllables.text_prior)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], where: str = "model.json") -> DecodeWeights:
        """The weights a model folder's meta names; a bad entry is an error naming it."""
        given = meta.get("decoding") or {}
        if not isinstance(given, Mapping):
            raise DecodeWeightsError(f"{where}: 'decoding' must be an object of weights, "
                                     f"not {type(given).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise DecodeWeightsError(f"{where}: unknown decoding weight(s) {unknown}; "
                                     f"known: {sorted(known)}")
        values: dict[str, float] = {}
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                raise DecodeWeightsError(f"{where}: decoding weight {key!r} must be a "
                                         f"number ≥ 0, got {value!r}")
            values[key] = float(value)
        return replace(cls(), **values)

    def to_meta(self) -> dict[str, float]:
        return asdict(self)
