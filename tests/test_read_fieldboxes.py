"""Field boxes inside an entry (issue 14, read path): column edges where a body line is lost,
compared with the generator's truth cells on generated pages."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from layout_helpers import drawn, erase_vertical, geometry_of, number_row, variant
from preprocessing_helpers import match_entries

from preprocessing import analyze_page
from sohoa.template import load_template

TPL = load_template("ks-2006")


def _x_overlap(quad, cell) -> float:
    xs = [p[0] for p in quad]
    a0, a1, b0, b1 = min(xs), max(xs), float(cell[0]), float(cell[2])
    inter = max(0.0, min(a1, b1) - max(a0, b0))
    return inter / (max(a1, b1) - min(a0, b0))


def test_body_column_lines_lost_are_placed_on_the_header_separator() -> None:
    # a book printed with a wide name column and narrow date and sex columns, whose body
    # lines between them faded: the header above still shows its separators
    tpl = variant("ks-2006", {3: 1.7, 4: 0.6, 5: 0.6})
    g = geometry_of(tpl, 6, (number_row,))
    body = replace(g, header_top=g.numbers_bottom + 3)  # erase below the number row only
    p = erase_vertical(drawn(tpl, 6, (number_row,)), body, [3, 4])
    layout = analyze_page(p.image, TPL)
    assert layout.ok, layout.status
    pairs = match_entries(p.truth, layout)
    assert len(pairs) == len(p.truth["entries"])
    names = [f.name for c in TPL.columns if c.number in (3, 4, 5) for f in c.fields]
    over = [_x_overlap(f.fields[n].cell, t["fields"][n]["cell"])
            for t, f in pairs for n in names if n in t["fields"]]
    assert len(over) >= 10
    assert min(over) >= 0.85, sorted(over)[:5]
    assert float(np.median(over)) >= 0.92
