"""Register numbers checked down a page (sohoa.fields.sequence)."""

from __future__ import annotations

from sohoa.fields.sequence import (
    DOUBTFUL_CONFIDENCE,
    RUN_CONFIDENCE,
    SETTLED_CONFIDENCE,
    settle_numbers,
)
from sohoa.records import Alternative, Reading


def so(text: str, conf: float = 0.95, year: str = "2008") -> Reading:
    value = f"{int(text):02d}/{year}" if text.isdigit() else ""
    return Reading("so", text, value, conf, "htr", alternatives=(Alternative(text, conf),))


def values(rs):
    return [None if r is None else r.value for r in rs]


def test_a_run_of_numbers_is_kept_as_read():
    rs = [so("12"), so("13"), so("14"), so("15")]
    assert settle_numbers(rs) == rs


def test_a_misread_number_between_two_neighbours_is_settled_and_flagged():
    rs = [so("12"), so("17", 0.97), so("14")]
    out = settle_numbers(rs)
    assert values(out) == ["12/2008", "13/2008", "14/2008"]
    assert out[1].text == "13"
    assert out[1].confidence == SETTLED_CONFIDENCE
    assert out[1].alternatives[0].text == "17"  # what was read stays visible


def test_first_and_last_entries_follow_the_next_two_or_previous_two():
    out = settle_numbers([so("1"), so("5"), so("6"), so("7"), so("9")])
    assert values(out) == ["04/2008", "05/2008", "06/2008", "07/2008", "08/2008"]


def test_a_number_that_fits_no_neighbour_and_cannot_be_settled_is_doubted():
    out = settle_numbers([so("12"), so("40", 0.99), so("15")])
    assert out[1].value == "40/2008"
    assert out[1].confidence == DOUBTFUL_CONFIDENCE
    assert out[0].confidence == DOUBTFUL_CONFIDENCE  # 12 has only a disagreeing neighbour


def test_nothing_is_guessed_across_an_entry_without_a_number():
    rs = [so("12"), None, so("30"), so("31")]
    out = settle_numbers(rs)
    assert values(out) == values(rs)
    assert out[0].confidence == 0.95  # no neighbour with a number: nothing to compare


def test_an_unreadable_number_between_two_neighbours_is_filled_in():
    out = settle_numbers([so("12"), so("ấy", 0.2), so("14")])
    assert out[1].value == "13/2008" and out[1].text == "13"  # the neighbours' year
    assert out[1].confidence == 0.2  # capped, never raised


def test_a_single_entry_page_is_left_alone():
    r = so("7")
    assert settle_numbers([r]) == [r]


def test_several_misread_numbers_between_two_runs_are_settled():
    # what the model read on a hard generated page: 3, 4, 5 as "31 21", "11", "1"
    rs = [so("1"), so("2"), so("31", 0.1), so("11", 0.4), so("1", 0.5), so("6"), so("7")]
    out = settle_numbers(rs)
    assert values(out) == [f"{n:02d}/2008" for n in range(1, 8)]
    assert all(out[i].confidence <= SETTLED_CONFIDENCE for i in (2, 3, 4))
    assert out[0] == rs[0] and out[6] == rs[6]


def test_misreads_between_runs_that_do_not_fit_the_gap_are_only_doubted():
    # 2 -> 9 over three entries: the runs disagree (a skipped number, a new volume ...)
    rs = [so("1"), so("2"), so("31", 0.9), so("11", 0.9), so("9"), so("10")]
    out = settle_numbers(rs)
    assert values(out)[2:4] == ["31/2008", "11/2008"]
    assert out[2].confidence == DOUBTFUL_CONFIDENCE and out[3].confidence == DOUBTFUL_CONFIDENCE


def test_nothing_is_settled_across_an_entry_without_a_number():
    rs = [so("1"), so("2"), so("31", 0.9), None, so("5"), so("6")]
    out = settle_numbers(rs)
    assert out[2].value == "31/2008" and out[2].confidence == DOUBTFUL_CONFIDENCE
    assert out[3] is None


def test_a_number_confirmed_by_both_neighbours_is_trusted_more():
    rs = [so("11", 0.4), so("12", 0.4), so("13", 0.99), so("14", 0.4)]
    out = settle_numbers(rs)
    assert [r.confidence for r in out] == [0.4, RUN_CONFIDENCE, 0.99, 0.4]  # ends: one side
    assert values(out) == values(rs)
