"""preprocessing.quantile.percentile_u8 gives np.percentile's value bit for bit (the crop
preparation, ruling removal and layout evidence use it instead of np.percentile)."""

from __future__ import annotations

import numpy as np
import pytest

from preprocessing.quantile import percentile_u8, percentiles_u8


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_same_value_as_numpy(dtype: type) -> None:
    rng = np.random.default_rng(7)
    checked = 0
    for size in [(1, 1), (1, 2), (2, 3), (7, 5), (32, 97), (48, 333), (90, 601)]:
        for spread in (2, 40, 256):
            img = rng.integers(0, spread, size).astype(np.uint8)
            if spread == 256:  # a crop: mostly paper, some ink
                img[rng.random(size) < 0.8] = 230
            for q in (0, 1, 1.5, 5, 10, 50, 90, 95, 99, 100):
                want = np.percentile(img.astype(dtype), q)
                got = percentile_u8(img, q, dtype)
                assert got == float(want), (size, spread, q, got, want)
                checked += 1
    assert checked == 7 * 3 * 10


def test_rejects_what_it_cannot_do() -> None:
    with pytest.raises(ValueError):
        percentile_u8(np.zeros((2, 2), np.float32), 50)
    with pytest.raises(ValueError):
        percentile_u8(np.zeros((0,), np.uint8), 50)


def test_several_from_one_histogram() -> None:
    img = np.random.default_rng(3).integers(0, 256, (48, 301)).astype(np.uint8)
    qs = (90, 1, 37.5)
    assert percentiles_u8(img, qs, np.float32) == tuple(
        float(np.percentile(img.astype(np.float32), q)) for q in qs)
