"""The header band ends where the printed header does: a row of column numbers as tall as a
short entry row is header, and "lines" the header's bold print makes are not its bottom.

Pages are generated from ks-2006 with the geometry changed on purpose (tests/layout_helpers.py)
and analysed with the shipped template; entry 0 must be the first written row.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from layout_helpers import drawn, variant
from preprocessing_helpers import match_entries, quad_iou

from preprocessing import analyze_page
from preprocessing.layout import RuledLine
from preprocessing.rows import drop_header_print
from sohoa.synth.layout import PageGeometry
from sohoa.template import load_template

TPL = load_template("ks-2006")


def _tall_number_row(g: PageGeometry, rng: np.random.Generator) -> PageGeometry:
    """14 short rows under a number row 0.8 of their height (a dense book's print run)."""
    n = len(g.row_edges) - 1
    bottom = g.row_edges[-1]
    row_h = (bottom - g.header_bottom) / (n + 0.8)
    nb = g.header_bottom + int(round(0.8 * row_h))
    edges = tuple(int(round(nb + i * (bottom - nb) / n)) for i in range(n + 1))
    return replace(g, numbers_bottom=nb, row_edges=edges)


def test_a_number_row_as_tall_as_a_short_entry_row_is_header_not_entry_0() -> None:
    p = drawn(variant("ks-2006", rows=14), 7, (_tall_number_row,))
    layout = analyze_page(p.image, TPL)
    assert layout.ok, layout.status
    truth = p.truth["entries"]
    assert len(layout.entries) == len(truth), [e.bbox for e in layout.entries[:3]]
    assert len(match_entries(p.truth, layout)) == len(truth)
    t0, f0 = truth[0], layout.entries[0]
    assert t0["row"] == 0 and quad_iou(t0["quad"], f0.quad) >= 0.8


def _line(y: float, strength: float) -> RuledLine:
    return RuledLine(pos=y, coeffs=(y,), strength=strength)


def test_weak_lines_in_the_header_are_its_print_not_its_bottom() -> None:
    lines = [_line(177, 1.0), _line(221, 0.4), _line(276, 1.0), _line(306, 1.0),
             _line(355, 1.0), _line(417, 1.0)]
    assert [ln.pos for ln in drop_header_print(lines, 45.0)] == [177, 276, 306, 355, 417]
    # a well-drawn line right under the top is the header's bottom: nothing dropped
    assert drop_header_print(lines[:1] + lines[2:], 45.0) == lines[:1] + lines[2:]
    # no well-drawn line within four rows of the top: the weak one may be all there is
    far = [_line(177, 1.0), _line(221, 0.4), _line(400, 1.0), _line(450, 1.0)]
    assert drop_header_print(far, 45.0) == far
