"""Evaluation figures on crafted cases equal hand-computed values."""

from __future__ import annotations

import pytest

from sohoa.evaluation import (
    FieldPair,
    auto_accept_curve,
    cer,
    confusions,
    diacritic_split,
    expected_calibration_error,
    summarize,
    wer,
)
from sohoa.evaluation.match import match_entries, pairs_from_page
from sohoa.template import load_template


def pair(truth, pred, conf=0.5, field="nksHoTen", kind="name", value=None, pvalue=None):
    return FieldPair(field=field, kind=kind, truth=truth, predicted=pred,
                     truth_value=value if value is not None else truth,
                     predicted_value=pvalue if pvalue is not None else pred,
                     confidence=conf, engine="e")


def test_cer_wer_hand_values():
    assert cer("Lò Văn Hùng", "Lò Văn Hùng") == 0
    assert cer("abcd", "abxd") == pytest.approx(1 / 4)
    assert cer("abcd", "") == 1.0
    assert cer("", "ab") == 2.0  # empty reference counts as one character
    assert wer("Lò Văn Hùng", "Lò Van Hùng") == pytest.approx(1 / 3)
    assert cer("Lò  Văn", " Lò Văn ") == 0  # whitespace runs are not errors


def test_tone_marks_apart_from_base_letters():
    # Hùng -> Hung: one tone mark; Văn -> Van: breve is part of the base letter; Lò -> Lo: tone
    assert diacritic_split("Lò Văn Hùng", "Lo Van Hung") == (1, 2)
    assert diacritic_split("Nguyễn", "Nguyên") == (0, 1)
    # one character wrong in base letter and tone counts once, as a base-letter error
    assert diacritic_split("Nguyễn", "Nguyen") == (1, 0)


def test_confusions_count_substitutions_and_deletions():
    got = confusions([("ba", "bo"), ("ca", "co"), ("x", "")])
    assert got[0] == ("a", "o", 2)
    assert ("x", "", 1) in got


def test_ece_and_auto_accept_by_hand():
    conf = [0.95, 0.95, 0.95, 0.95, 0.15]
    ok = [True, True, True, False, False]
    # bin 0.9: mean conf 0.95, acc 0.75 -> |0.2| * 4; bin 0.1: conf 0.15, acc 0 -> 0.15 * 1
    assert expected_calibration_error(conf, ok) == pytest.approx((0.2 * 4 + 0.15) / 5)
    curve = dict((t, (s, a)) for t, s, a in auto_accept_curve(conf, ok, thresholds=(0.9,)))
    assert curve[0.9] == pytest.approx((0.8, 0.75))


def test_summary_micro_averages_and_groups():
    pairs = [pair("abcd", "abxd", conf=0.9), pair("12.05.2008", "12.05.2008", kind="date",
                                                   field="nksNgaySinh", conf=0.99)]
    s = summarize(pairs)
    assert s.overall.n == 2
    assert s.overall.cer == pytest.approx(1 / 14)  # 1 edit over 4 + 10 characters
    assert s.overall.exact == pytest.approx(0.5)
    assert s.groups["kind"]["date"].cer == 0
    assert s.groups["kind"]["name"].exact == 0


def test_value_decides_correctness_when_present():
    # written "5/3/2008", read "05.03.2008": text differs, value equal -> correct
    p = pair("5/3/2008", "05.03.2008", kind="date", value="05.03.2008", pvalue="05.03.2008")
    assert p.correct and cer(p.truth, p.predicted) > 0


def test_a_closed_list_is_compared_in_the_lists_spelling():
    # the clerk wrote "VN"; the reading is given as the list's name "Việt Nam": no misread
    nat = pair("VN", "Việt Nam", field="nksQuocTich", kind="nationality", value="Việt Nam",
               pvalue="Việt Nam")
    assert nat.compared() == ("Việt Nam", "Việt Nam")
    s = summarize([nat])
    assert s.overall.cer == 0 and s.overall.exact == 1
    # a wrong entry of the list is still a misread, counted on the lists' spellings
    eth = pair("Thái", "Lào", field="nksDanToc", kind="ethnicity", value="Thái", pvalue="Lào")
    assert summarize([eth]).overall.cer == pytest.approx(cer("Thái", "Lào"))
    # a reading that names no entry is compared as read; names and places as written
    odd = pair("VN", "Vn3", field="nksQuocTich", kind="nationality", value="Việt Nam",
               pvalue="")
    assert odd.compared() == ("Việt Nam", "Vn3")
    assert pair("Lò Văn A", "Lò Văn À").compared() == ("Lò Văn A", "Lò Văn À")


def test_entries_matched_by_iou_and_missing_fields_counted():
    tpl = load_template("ks-2006")
    truth = {"entries": [
        {"bbox": [0, 0, 100, 20], "fields": {"nksHoTen": {"text": "Lò Văn A", "value": "Lò Văn A"}}},
        {"bbox": [0, 20, 100, 40], "fields": {"nksHoTen": {"text": "Cầm Thị B", "value": "Cầm Thị B"}}},
    ]}
    pred = {"entries": [
        {"bbox": [0, 21, 100, 41], "fields": {"nksHoTen": {"text": "Cầm Thị B", "value": "Cầm Thị B",
                                                            "confidence": 0.9}}},
    ]}
    matched = match_entries(truth["entries"], pred["entries"])
    assert matched[0][1] is None and matched[1][1] is pred["entries"][0]
    pairs = pairs_from_page(truth, pred, tpl)
    assert [(p.truth, p.predicted) for p in pairs] == [("Lò Văn A", ""), ("Cầm Thị B", "Cầm Thị B")]
