"""The header band decided by what is printed and what is handwritten (issue 14, item 2):
training-family pages (benchmarks/segment_errors.py's seeds, drawn as it draws them) whose
header was taken to hold the first entry, or whose printed header was taken for an entry.
Each failed on the code before its fix (named in the test)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from preprocessing import analyze_page
from preprocessing.header import header_vocabulary
from sohoa.synth import SynthError, generate_page
from sohoa.template import load_template
from tests.preprocessing_helpers import analysed_family_page, match_entries


def _exact(tid: str, seed: int, family: str) -> None:
    p, layout = analysed_family_page(tid, seed, family)
    truth = p.truth["entries"]
    assert len(layout.entries) == len(truth), [e.bbox for e in layout.entries]
    assert len(match_entries(p.truth, layout)) == len(truth)


def test_a_worn_header_line_over_a_tall_first_entry_is_no_group_line() -> None:
    """photo hard kh-2006 721116: a one-level header, short, over a tall first entry; the
    header's bottom line is worn away over the number column, so it looked like a two-level
    header's inner line (clean across most columns, absent across one) and the first entry
    was taken for the header's lower level (11 of 12 entries). Tesseract reads the band
    under the line as names and places, not header words: it is an entry."""
    p, _ = analysed_family_page("kh-2006", 721116, "photo")
    assert p.truth["layout"]["header_levels"] == 1
    _exact("kh-2006", 721116, "photo")


def test_a_two_level_headers_lower_level_stays_header() -> None:
    """mixed hard kh-2006 601023: a photographed two-level header; its lower level (the
    grouped columns' own labels) is read as header words and stays out of the entries."""
    p, layout = analysed_family_page("kh-2006", 601023, "mixed")
    assert p.truth["layout"]["header_levels"] == 2
    _exact("kh-2006", 601023, "mixed")
    top = min(y for e in p.truth["entries"] for _, y in [e["quad"][0], e["quad"][1]])
    assert min(y for _, y in layout.entries[0].quad[:2]) >= top - 20


def test_header_vocabulary_is_the_templates_header_words() -> None:
    vocab = header_vocabulary(load_template("ks-2006"))
    assert {"giới", "tính", "dân", "tộc", "quốc", "tịch", "mẹ"} <= vocab
    assert "lò" not in vocab and "hùng" not in vocab


def test_first_entries_under_a_worn_away_header_line_are_entries() -> None:
    """photo hard pages whose header line (and number row line) wore away: the first row
    ran from the table's top to the first or second entry's bottom line and its entries
    were taken into the header (kh-2006 721128: 8 of 9; 721062, number row too: 7 of 9).
    Under the printed header the band's glyphs are clearly taller (handwriting); Tesseract
    reads header words above and other words below, and the header ends between them."""
    for seed in (721128, 721062):
        p, layout = analysed_family_page("kh-2006", seed, "photo")
        assert p.truth["layout"]["header_levels"] == 1
        _exact("kh-2006", seed, "photo")


@cache
def _open_header_page(tid: str, seed: int, family: str):  # type: ignore[no-untyped-def]
    """A training-family page drawn with no line under its header (nor its number row),
    as segment_errors.py --no-header-line draws it, and its analysis."""
    difficulty = "hard" if seed % 10_000 >= 1000 else "easy"
    rotation = {7: 90, 8: 180, 9: 270}.get(seed % 10, 0)
    p = generate_page(load_template(tid), seed, difficulty=difficulty, font_role="bench",
                      rotation=rotation, layout=family, header_line=False)
    return p, analyze_page(p.image, load_template(tid))


@pytest.mark.parametrize("tid,seed,family,number_row", [
    # writing no taller than the print: its wandering baselines call for the reading
    ("ks-2006", 740000, "hand-ruled", False),
    # a number row under the header, both lines missing: the header ends under the numbers
    ("ks-2006", 740009, "proportions", True),
    ("kt-2006", 741004, "two-level", True),
    # writing as short as the print: the column numbers, level, small and centred in most
    # cells with nothing beside them, end the header without reading it
    ("kt-2006", 740001, "photo", True),
])
def test_no_line_under_the_header(tid: str, seed: int, family: str, number_row: bool) -> None:
    """The header's bottom line (and the number row's) never drawn: the first entry was
    taken into the header (8 of 9; 5 of 6; 9 of 10), or the number row, cut off the header at the
    header words' end, became an entry (10 for 9). Every entry is found, none holds the
    printed header or the column numbers."""
    p, layout = _open_header_page(tid, seed, family)
    lay = p.truth["layout"]
    assert 0 in lay["missing_lines"]["rows"] and lay["number_row"] == number_row
    truth = p.truth["entries"]
    assert len(layout.entries) == len(truth), [e.bbox for e in layout.entries]
    assert len(match_entries(p.truth, layout)) == len(truth)


def _ruled_along(image: np.ndarray, a: list[float], b: list[float]) -> float:
    """Share of the points along the segment a-b (middle 80 %) with dark ink within 3 px."""
    grey = image.min(axis=2) if image.ndim == 3 else image
    hits = []
    for t in np.linspace(0.1, 0.9, 200):
        x, y = (1 - t) * np.array(a) + t * np.array(b)
        win = grey[int(y) - 3:int(y) + 4, int(x)]
        hits.append(win.size > 0 and win.min() < 120)
    return float(np.mean(hits))


def test_the_generator_leaves_the_header_line_out_on_request() -> None:
    args = (load_template("ks-2006"), 740003)
    p = generate_page(*args, font_role="bench", layout="proportions", header_line=False)
    q = generate_page(*args, font_role="bench", layout="proportions")
    assert 0 in p.truth["layout"]["missing_lines"]["rows"]
    assert 0 not in q.truth["layout"]["missing_lines"]["rows"]
    assert p.truth["entries"] == q.truth["entries"]  # the same page otherwise
    for key in ("header_quad", "number_row_quad"):  # the lines under the header and numbers
        _, _, br, bl = q.truth["layout"][key]
        assert _ruled_along(q.image, bl, br) > 0.9 > 0.2 > _ruled_along(p.image, bl, br)
    with pytest.raises(SynthError):
        generate_page(load_template("ks-2006"), 1, header_line=False)
