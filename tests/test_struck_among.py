"""Rows taken as struck through among a page's entries (preprocessing/analyze.py
``_struck_among_entries``): one entry written by mistake and struck out is usual; rows struck
all over a page are row lines taken for strokes, and the page goes to a person instead of
passing as "ok" with most of its entries gone."""

from __future__ import annotations

from tests.preprocessing_helpers import analysed_family_page, match_entries


def test_one_struck_out_entry_keeps_the_page_ok() -> None:
    """kt-2006 791001 (default, hard): an entry written by mistake, struck out and written
    again on the next row."""
    p, layout = analysed_family_page("kt-2006", 791001, "default")
    assert p.truth["struck_rows"], "the page has its struck-out entry"
    assert layout.status == "ok"
    assert [r.reason for r in layout.skipped_rows].count("struck") >= 1
    assert len(match_entries(p.truth, layout)) == len(p.truth["entries"])


def test_rows_struck_all_over_the_page_send_it_to_a_person() -> None:
    """kh-2006 781077 (hand-photo, hard, turned 90°): hand-ruled row lines its rectification
    left tilted were taken for strike-throughs; the rows above its one found entry were
    "struck" and the page said "ok" with 1 of 7 entries."""
    p, layout = analysed_family_page("kh-2006", 781077, "hand-photo")
    assert layout.status.startswith("check page: ")
    assert "taken as struck through" in layout.status
    assert layout.entries  # what was found is kept
