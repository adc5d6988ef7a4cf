"""The keep/reject gate of per-book adaptation (``sohoa.adapt_gate``): folds are frozen by
entry, the paired test keeps a candidate only on a gain many crops make, never on one or two
crops' noise, and never one that reads worse."""

from __future__ import annotations

import pytest

from sohoa.adapt_gate import fold_of, paired_verdict


def test_folds_are_frozen_and_balanced():
    ids = list(range(1, 401))
    folds = [fold_of(i) for i in ids]
    assert folds == [fold_of(i) for i in ids]  # the same entry, the same fold, every time
    assert set(folds) == {0, 1} and 160 < folds.count(0) < 240
    assert {fold_of(i, 3) for i in ids} == {0, 1, 2}


def test_worse_or_equal_is_never_kept():
    start = [0, 1, 0, 2, 1, 0, 0, 3] * 10
    assert not paired_verdict(start, start, 900).keep  # no gain
    worse = [s + (i % 3 == 0) for i, s in enumerate(start)]
    v = paired_verdict(start, worse, 900)
    assert not v.keep and v.gain < 0 and v.worsened > 0 and v.reason.startswith("rejected")
    # better on most crops but much worse on a few: the total decides, and it is worse
    mixed = [max(0, s - 1) for s in start]
    mixed[:5] = [s + 12 for s in start[:5]]
    assert sum(mixed) > sum(start) and not paired_verdict(start, mixed, 900).keep


def test_one_or_two_crops_of_noise_are_not_enough():
    start = [1, 0, 2, 0, 1] * 6  # 30 crops
    one = list(start)
    one[0] -= 1  # one letter better on one crop
    assert not paired_verdict(start, one, 400).keep
    two = list(start)
    two[0] -= 1
    two[2] -= 2
    two[4] += 1  # and one worse elsewhere
    assert not paired_verdict(start, two, 400).keep


def test_a_gain_spread_over_many_crops_is_kept():
    start = [2, 1, 3, 0, 1, 2, 0, 1, 4, 1] * 3  # 30 crops, 45 edits
    cand = [max(0, s - 1) for s in start]  # one letter better on each misread crop
    cand[3] += 1  # and one crop worse
    v = paired_verdict(start, cand, 400)
    assert v.keep and v.gain == 23 and v.improved == 24 and v.worsened == 1
    assert v.cer_candidate < v.cer_start and v.needed > 1
    with pytest.raises(ValueError):
        paired_verdict(start, cand[:-1], 400)


def test_few_crops_get_more_folds_each_fold_holding_entries():
    from sohoa.adapt_gate import FEW_CROPS, FOLDS, FOLDS_FEW, assign_folds, folds_for

    assert folds_for(10) == folds_for(FEW_CROPS - 1) == FOLDS_FEW == 5
    assert folds_for(FEW_CROPS) == folds_for(300) == FOLDS == 2
    ids = list(range(1, 31))  # 30 entries: 5 folds, each candidate trained on ~80 %
    k, folds = assign_folds(ids, 5)
    assert k == 5 and set(folds) == set(range(5)) and folds == [fold_of(i, 5) for i in ids]
    assert max(folds.count(j) for j in range(5)) < 12
    k, folds = assign_folds([7, 8, 9], 5)  # 3 entries cannot fill 5 folds: fewer, none empty
    assert 2 <= k <= 3 and (k == 2 or len(set(folds)) == k)


def test_on_a_small_slice_a_consistent_gain_is_kept_and_a_loss_is_not():
    """10 confirmed crops read out of sample: a candidate one letter better on most of the
    misread crops is kept; one that misreads two more crops, or trades gains for losses,
    is not."""
    start = [2, 1, 3, 0, 1, 2, 0, 1, 4, 1]  # 15 edits
    helps = [max(0, s - 1) for s in start]  # 8 crops one letter better
    v = paired_verdict(start, helps, 120)
    assert v.keep and v.gain == 8 and v.worsened == 0
    hurts = list(start)
    hurts[3] += 2
    hurts[6] += 1
    assert not paired_verdict(start, hurts, 120).keep
    traded = [max(0, s - 1) for s in start]
    traded[3] += 4
    traded[6] += 3
    assert not paired_verdict(start, traded, 120).keep  # gain 1: within the noise
