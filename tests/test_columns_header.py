"""Columns decided by the printed header when the body's lines leave doubt (issue 14, "wrong
column"): pages of the training family ``mixed`` (other proportions, two-level headers, a lost
body line) whose field boxes were a column off. Each field box is checked against the
generator's truth cell."""

from __future__ import annotations

import numpy as np
import pytest
from preprocessing_helpers import match_entries, x_overlap

from preprocessing import analyze_page
from preprocessing.colfit import fit_columns
from preprocessing.layout import RuledLine
from sohoa.synth import generate_page
from sohoa.template import load_template


def _off_column(tid: str, seed: int, difficulty: str = "easy") -> list[str]:
    tpl = load_template(tid)
    page = generate_page(tpl, seed, difficulty, font_role="test", layout="mixed")
    layout = analyze_page(page.image, tpl)
    assert layout.ok, layout.status
    pairs = match_entries(page.truth, layout)
    assert len(pairs) == len(page.truth["entries"])
    bad = []
    for t, f in pairs:
        for name, tf in t["fields"].items():
            box = f.fields[name]
            if x_overlap(box.cell or box.quad, tf["cell"]) < 0.85:
                bad.append(f"{t['index']}:{name}")
    return bad


@pytest.mark.parametrize(("tid", "seed", "difficulty", "case"), [
    # a body line lost where the template's widths would rather split a wide column: the
    # header's separator (printed with the form) is there, so it is the boundary
    ("ks-2006", 781072, "easy", "separator beats the template's widths"),
    # a row of bold header words taken for a line halved the header band: its separators
    # were looked for in the header's upper half only
    ("ks-2006", 781027, "easy", "the header band ends at a full-width line"),
    # a two-level header's group label ("Thông tin về cha mẹ") read by Tesseract named the
    # mother's and father's columns where the label, not the columns, is
    ("ks-2006", 781012, "easy", "a merged group cell's words anchor no column"),
])
def test_field_boxes_in_their_columns(tid: str, seed: int, difficulty: str, case: str
                                      ) -> None:
    assert _off_column(tid, seed, difficulty) == [], case


TPL = load_template("ks-2006")


def _bounds(factors: dict[int, float], x0: float = 100.0, width: float = 1400.0) -> np.ndarray:
    """Boundaries of a table whose column numbers ``factors`` are that much wider."""
    w = np.array([c.width * factors.get(c.number, 1.0) for c in TPL.columns])
    return x0 + width * np.r_[0.0, np.cumsum(w)] / w.sum()


def _lines(xs, strength: float = 1.0) -> list[RuledLine]:
    return [RuledLine(float(x), (float(x),), strength) for x in xs]


def _cover(xs, width: int = 1600) -> np.ndarray:
    """A header band whose separators stand at ``xs`` (share of its rows with ink)."""
    cover = np.zeros(width)
    for x in xs:
        cover[int(round(x)) - 2:int(round(x)) + 3] = 1.0
    return cover


def test_a_separator_beyond_the_last_found_line_ends_the_table() -> None:
    # the last column printed 1.8x its template width, the table's right frame line faded:
    # the row lines and the header's separator still show where the table ends
    xs = _bounds({13: 1.8})
    lines = _lines(xs[:-1])
    blind = fit_columns(lines, TPL, 1600)
    assert blind is not None and abs(blind.boundaries[-1].pos - xs[-1]) > 30  # the template
    cmap = fit_columns(lines, TPL, 1600, cover=_cover(xs), table=(xs[0], xs[-1]))
    assert cmap is not None and cmap.placed == (13,)
    assert np.allclose([b.pos for b in cmap.boundaries], xs, atol=1.0)


def test_a_line_the_header_continues_is_not_left_out_for_a_stroke() -> None:
    # column 7 printed at 0.45 of its template width, the line after column 8 lost in the
    # body, a pen stroke in the body where the template would put column 7's right line (at
    # 0.5 the widths alone no longer take the stroke since the prior's spread is 0.45)
    xs = _bounds({7: 0.45, 9: 1.3})
    tpl_x = _bounds({})
    stroke = xs[6] + (tpl_x[7] - tpl_x[6]) * (xs[-1] - xs[0]) / (tpl_x[-1] - tpl_x[0])
    lines = sorted(_lines([x for i, x in enumerate(xs) if i != 8])
                   + _lines([stroke], 0.3), key=lambda ln: ln.pos)
    blind = fit_columns(lines, TPL, 1600)  # the widths alone would take the stroke
    assert blind is not None and abs(blind.boundaries[7].pos - stroke) < 1.0
    cmap = fit_columns(lines, TPL, 1600, cover=_cover(xs), table=(xs[0], xs[-1]))
    assert cmap is not None and cmap.placed == (8,)
    assert np.allclose([b.pos for b in cmap.boundaries], xs, atol=1.0)


def test_a_cut_table_keeps_the_frame_line_its_rows_end_at() -> None:
    # a photo cut at the left edge (columns 1-2 off the image) whose right frame line the
    # header's separators do not reach: the row lines end at it, so it is the table's last
    # boundary, not a line inside the table with boundaries beyond it
    tpl = load_template("kh-2006")
    page = generate_page(tpl, 782047, "hard", font_role="test", layout="mixed")
    layout = analyze_page(page.image, tpl)
    assert "columns 1-2 missing" in layout.status, layout.status
    pairs = match_entries(page.truth, layout)
    assert len(pairs) == len(page.truth["entries"])
    husband = [(f.fields[n], tf["cell"]) for t, f in pairs for n, tf in t["fields"].items()
               if n.startswith("chong")]
    assert husband and all(x_overlap(b.cell or b.quad, c) >= 0.85 for b, c in husband)
