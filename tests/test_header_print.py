"""The header band decided by what is printed and what is handwritten (issue 14, item 2):
training-family pages (benchmarks/segment_errors.py's seeds, drawn as it draws them) whose
header was taken to hold the first entry, or whose printed header was taken for an entry.
Each failed on the code before its fix (named in the test)."""

from __future__ import annotations

from preprocessing.header import header_vocabulary
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
