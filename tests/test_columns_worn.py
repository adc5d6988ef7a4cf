"""A column line lost in the body whose header separator is worn (a hard page's broken
ruling: the separator runs through only 60-80 % of the header band's lower rows) still
places the boundary, rather than the whitespace valley of the handwriting (issue 14, "column
edge"): a generated page of the training family ``mixed``, field boxes checked against the
generator's truth cells; and the rule on its own against header text."""

from __future__ import annotations

import numpy as np
import pytest
from test_columns_header import _off_column

import preprocessing.colplace as colplace
import preprocessing.colsplit as colsplit
from preprocessing.colplace import weak_separator


@pytest.mark.parametrize(("seed", "fields"), [
    # ks-2006, hard, mixed: a lost body line whose header separator is broken; the valley of
    # the handwriting lies a column's good part off it (the declarant's name and relation;
    # the child's home town and the mother's name and birth date)
    (794000, {"nycHoTen", "nycQuanHe"}),
    (794004, {"nksQueQuan", "meHoTen", "meNgaySinh"}),
])
def test_worn_header_separator_places_the_lost_line(
        monkeypatch: pytest.MonkeyPatch, seed: int, fields: set[str]) -> None:
    assert _off_column("ks-2006", seed, "hard") == []
    monkeypatch.setattr(colsplit, "weak_separator", lambda cover, xa, xb: None)
    # the separator's intact upper part (colplace.ABOVE) would place it too
    monkeypatch.setattr(colplace, "ABOVE", 0.0)
    # ... and so would its rows the ruling mask took, judged apart (s9cols): the cover as it
    # was, over all rows, so the worn separator is left to the rule tested here
    cover = colplace._cover
    monkeypatch.setattr(colplace, "_cover", lambda ink, ya, yb, full=None: cover(ink, ya, yb))
    off = _off_column("ks-2006", seed, "hard")
    assert off and {f.split(":")[1] for f in off} == fields, off


def test_weak_separator_stands_alone_or_not_at_all() -> None:
    cover = np.zeros(200)
    cover[100:108] = 0.7  # a worn line
    assert weak_separator(cover, 50, 150) == pytest.approx(103.5)
    text = cover.copy()
    text[60:66] = 0.6  # header letters beside it, almost as tall: not told apart
    assert weak_separator(text, 50, 150) is None
    low = cover.copy()
    low[130:134] = 0.5  # letters well below it: the line stands out
    assert weak_separator(low, 50, 150) == pytest.approx(103.5)
    wide = np.zeros(200)
    wide[80:120] = 0.7  # a blot, not a line
    assert weak_separator(wide, 50, 150) is None
    assert weak_separator(cover, 0, 90) is None  # nothing in range
