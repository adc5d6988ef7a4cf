"""The facing page and the gutter's shadow stay at the bound edge of a page that is turned
afterwards (the generator turns the image last; a gutter placed with turned coordinates
painted the facing page over the register itself: blank training pages)."""

from __future__ import annotations

import numpy as np
import pytest

from sohoa.synth.degrade import ScanGeometry, gutter


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gutter_never_paints_over_the_middle_of_the_page(rotation, seed):
    pad, pw, ph = 20, 300, 400
    scan = ScanGeometry(page_w=pw, page_h=ph, curl=0.0, curl_left=False, curl_width=1.0,
                        matrix=((1.0, 0.0, pad), (0.0, 1.0, pad)), out_w=pw + 2 * pad,
                        out_h=ph + 2 * pad, angle=0.0, rotation=rotation)
    img = np.full((scan.out_h, scan.out_w, 3), 255, np.uint8)
    gutter(img, scan, np.random.default_rng(seed), mm=1.0)
    middle = img[pad:pad + ph, pad + 100:pad + pw - 100]  # >= 100 px from either side edge
    assert (middle == 255).all()
    changed = (img != 255).any(axis=2)
    cols = np.flatnonzero(changed.any(axis=0))
    assert len(cols)  # the shadow and the facing page are there, at one side edge
    assert cols.max() < pad + 100 or cols.min() >= pad + pw - 100
