"""Where the table starts (preprocessing/rows.py ``column_span``): the printed commune line
above a tilted or keystoned table, or a two-level header's top, crosses the column lines'
x for a text line's height; that piece is no part of the table, so the header is not taken
for an entry (a box full of printed header text). Also the ``sans-print`` layout family:
forms printed in sans or school type (Liberation Sans, Noto Sans, Andika)."""

from __future__ import annotations

from sohoa.synth import FAMILIES, TRAINING, generate_page
from sohoa.synth.fonts import more_print_families, print_font_path
from sohoa.template import load_template
from tests.preprocessing_helpers import analysed_family_page, match_entries


def _all_found_no_extra(tid: str, seed: int, family: str) -> None:
    p, layout = analysed_family_page(tid, seed, family)
    pairs = match_entries(p.truth, layout)
    assert len(pairs) == len(p.truth["entries"]), (len(pairs), len(p.truth["entries"]))
    assert len(layout.entries) == len(p.truth["entries"]), "no extra entry"
    # no entry box reaches up into the printed header
    hb = p.truth["layout"]["header_bbox"]
    first = min(layout.entries, key=lambda e: min(y for _, y in e.quad))
    assert min(y for _, y in first.quad) > hb[1] + 0.8 * (hb[3] - hb[1])


def test_commune_line_over_a_tilted_sans_printed_table_is_not_the_table_top() -> None:
    """ks-2006 811006 (sans-print, hard, 1.9 degrees and keystone): the commune line's text
    crossed more than half the column lines' x just above the table; the header was taken
    as the first entry (10 found for 9)."""
    _all_found_no_extra("ks-2006", 811006, "sans-print")


def test_two_level_header_top_is_not_taken_for_rows() -> None:
    """kh-2006 840011 (two-level, easy): three extra entries above the real first one."""
    _all_found_no_extra("kh-2006", 840011, "two-level")


def test_sans_print_family_is_training_side_and_printed_in_sans_type() -> None:
    fam = FAMILIES["sans-print"]
    assert "sans-print" in TRAINING and not fam.held_out
    assert len(more_print_families()) == 3  # make setup installs all three
    names = {print_font_path("bold", i).name for i in fam.print_families}
    assert names == {"LiberationSans-Bold.ttf", "NotoSans-Bold.ttf", "Andika-Bold.ttf"}
    # the held-out families' type is never one of them
    held = {print_font_path("bold", i).name for f in FAMILIES.values() if f.held_out
            for i in f.print_families}
    assert not names & held
    p = generate_page(load_template("ks-2006"), 7, layout="sans-print")
    assert p.truth["layout"]["print_family"] in fam.print_families
