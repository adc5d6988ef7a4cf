"""Pages that are not usable register pages get a clear status, never a crash or silent drop."""

from __future__ import annotations

import numpy as np
import pytest

from preprocessing import analyze_page
from sohoa.synth import render_bad_page
from sohoa.template import load_template

TPL = load_template("ks-2006")


@pytest.mark.parametrize("kind,expected", [
    ("blank", "blank page"),
    ("no_table", "no table found"),
    ("torn", "torn page"),
    ("wall", "not a register page"),
])
def test_bad_page_kinds_get_their_status(kind: str, expected: str) -> None:
    img = render_bad_page(kind, 2)
    layout = analyze_page(img, TPL)
    assert not layout.ok
    assert layout.status.startswith(expected), layout.status
    if kind != "torn":
        assert layout.entries == ()


def test_torn_page_keeps_the_rows_it_still_has() -> None:
    layout = analyze_page(render_bad_page("torn", 1), TPL)
    assert layout.status.startswith("torn page")
    assert 0 < len(layout.entries) < TPL.rows_per_page
    assert "rows left" in layout.status


@pytest.mark.parametrize("img", [
    np.zeros((5, 5), np.uint8),
    np.full((300, 200, 3), 255, np.uint8),
    np.random.default_rng(0).integers(0, 255, (400, 600), dtype=np.uint8),
])
def test_tiny_or_noise_images_do_not_crash(img: np.ndarray) -> None:
    layout = analyze_page(img, TPL)
    assert not layout.ok
    assert layout.entries == ()


def test_not_an_image_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="image"):
        analyze_page(np.zeros((0,), np.uint8), TPL)
