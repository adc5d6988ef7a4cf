"""Tables cut at the image's side on generated training-family pages (phone photos, hand-ruled
photos, mixed; hard difficulty, as ``benchmarks/column_errors.py`` draws them): the columns
still on the page keep their own cells, the status names the columns that are gone, and
their fields are empty with a reason. Each page failed before (session 8): the cut table's
lines were fitted to the whole template (photo 701018: every column from the 3rd on read
one to the left; mixed 701017: a sloping row line hid the cut, nine columns squeezed into
six; hand-photo 701022: a wide column cut through put a placed boundary inside column 5;
hand-photo 701004: the slanted edge of a rectified photo left column 13 "on the image")."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from preprocessing import analyze_page
from sohoa.synth import generate_page
from sohoa.template import load_template

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from column_errors import score  # noqa: E402

CASES = [  # family, template, seed, rotation (as bench_segment turns that seed)
    ("photo", "ks-2006", 701018, 180),
    ("mixed", "kh-2006", 701017, 90),
    ("hand-photo", "kt-2006", 701022, 0),
    ("hand-photo", "kt-2006", 701004, 0),
]


def _missing(status: str) -> list[int]:
    m = re.search(r"columns? (\d+)(?:-(\d+))? missing", status)
    if not m:
        return []
    a = int(m.group(1))
    return list(range(a, int(m.group(2) or a) + 1))


@pytest.mark.parametrize(("family", "tid", "seed", "rotation"), CASES)
def test_cut_table_keeps_the_columns_that_are_there(family, tid, seed, rotation):
    tpl = load_template(tid)
    page = generate_page(tpl, seed, difficulty="hard", font_role="bench", rotation=rotation,
                         layout=family, dpi=200)
    cut = page.truth["layout"]["cut"]
    layout = analyze_page(page.image, tpl)
    got = score(page.truth, layout, tpl)
    # every entry found (701022's rows take one extra: the rows stage's), the status names
    # the gone columns (a column the edge runs through may go either way)
    assert got["tp"] == got["truth_n"]
    assert layout.status.startswith(f"partial page: the table is cut off at the {cut['side']}")
    said = set(_missing(layout.status))
    assert set(cut["columns"]) <= said <= set(cut["columns"]) | set(cut["partial_columns"])
    assert set(got["said_cut"]) == said  # their fields are empty, with the reason
    # every column on the page in its own cell (median cell IoU over the entries)
    whole = [c.number for c in tpl.columns
             if c.number not in cut["columns"] + cut["partial_columns"]]
    assert all(got["col_iou"][c] >= 0.8 for c in whole if c in got["col_iou"]), got["col_iou"]
    assert np.mean(np.array(got["ious"]) >= 0.5) >= 0.6
