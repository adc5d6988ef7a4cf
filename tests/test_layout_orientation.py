"""Orientation must not hinge on the template's column proportions (issue 14, item a).

A hard, hand-ruled "mixed"-family page whose columns are proportioned unlike ks-2006 fitted the
template poorly upright, while its evenly spaced rows, seen a quarter turn away, fitted the
template's columns well: the page was turned by 270 degrees. The page's shape (landscape like
its template) and its ruling decide the axis now; the header cues decide the half turn.
"""

from __future__ import annotations

import pytest

from preprocessing import analyze_page
from sohoa.synth import generate_page
from sohoa.template import load_template


@pytest.mark.parametrize(("family", "seed"), [("mixed", 700003)])
def test_page_with_other_proportions_stays_upright(family: str, seed: int) -> None:
    tpl = load_template("ks-2006")
    page = generate_page(tpl, seed, difficulty="hard", font_role="test", rotation=0, dpi=150,
                         layout=family)
    layout = analyze_page(page.image, tpl)
    assert layout.rotation == page.truth["rotation"] == 0
    assert len(layout.entries) >= len(page.truth["entries"]) - 1
