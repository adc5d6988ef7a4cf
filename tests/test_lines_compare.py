"""benchmarks/lines_compare.py: the paired bootstrap interval of a CER change between two
bench_lines.py results."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from lines_compare import compare, interval  # noqa: E402


def _set(edits: list[int], chars: list[int]) -> dict:
    return {"cer": sum(edits) / sum(chars), "line_edits": edits, "line_chars": chars}


def test_the_interval_holds_the_change_and_tells_noise_from_a_real_loss() -> None:
    rng = np.random.default_rng(1)
    chars = [int(c) for c in rng.integers(20, 60, 200)]
    base = [int(e) for e in rng.poisson(3, 200)]
    same = interval(_set(base, chars), _set(base, chars), 500)
    assert same == (0.0, 0.0)
    worse = [e + 2 for e in base]  # two more edits on every line: clearly worse
    lo, hi = interval(_set(base, chars), _set(worse, chars), 500)
    change = (sum(worse) - sum(base)) / sum(chars)
    assert 0 < lo < change < hi
    shuffled = [int(e) for e in rng.permutation(base)]  # as good overall, line by line not
    lo, hi = interval(_set(base, chars), _set(shuffled, chars), 500)
    assert lo < 0 < hi
    assert interval({"cer": 0.1}, _set(base, chars), 100) is None  # no per-line counts
    rows = compare({"sets": {"a@bend0.3x1/auto": _set(base, chars)}},
                   {"sets": {"a@bend0.3x1/auto": _set(worse, chars)}}, 200)
    assert len(rows) == 4 and "mean of 1 bent sets" in rows[-1]
