"""Closed lists scored in full (models.trie_ctc, rules-s27 rule 19): the trie's forward pass
gives every listed form the same log P(text | image) as torch's CTC, and the decoder offers a
listed form the lexicon beam never reached."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.charset import Charset
from models.fast_decode import ctc_log_probs
from models.trie_ctc import TrieCTC
from sohoa.records import FieldKind
from tests.ctc_helpers import spelt


def test_every_text_gets_the_exact_ctc_probability():
    from sohoa.fields.vocab import written_forms

    cs = Charset.default()
    rng = np.random.default_rng(7)
    texts = [*written_forms(FieldKind.RELATION), "aa", "Anna", "Ông", "a", "@@", ""]
    trie = TrieCTC(texts, cs)
    for frames in (3, 12, 40):
        lp = np.log(rng.dirichlet(np.full(cs.num_classes, 0.2), size=frames))
        got, want = trie.log_probs(lp), ctc_log_probs(lp, texts, cs)
        near = np.isfinite(want) & (want > want.max() - 200)
        assert near.sum() > 3
        np.testing.assert_allclose(got[near], want[near], atol=1e-3)
        # what cannot be written (a character outside the charset, nothing, too long for
        # the frames) has no probability at all
        assert np.all(np.isneginf(got[~np.isfinite(want)]))
    assert math.isinf(trie.log_probs(np.log(np.full((40, cs.num_classes),
                                                    1 / cs.num_classes)))[-2])


def test_a_doubled_letter_needs_a_blank_between():
    cs = Charset.default()
    # "a" then "a" with no blank between reads as one "a"
    lp = np.log(np.array([[1e-9] + [1e-9] * (cs.num_classes - 1)] * 2) + 0.0)
    a = cs.encode("a")[0]
    lp[:, a] = 0.0
    got = TrieCTC(["a", "aa"], cs).log_probs(lp)
    assert got[0] > -1e-3 and got[1] < -15


@pytest.mark.parametrize("in_full", [True, False])
def test_a_listed_relation_the_beam_cannot_reach_is_read(monkeypatch, in_full):
    import models.field_decoder as fd

    monkeypatch.setattr(fd, "CLOSED_IN_FULL", in_full)
    cs = Charset.default()
    truth = "Em ruột"
    # the first letter: six others before "E" in the frame (as a hand's joined stroke reads)
    first = {"t": 0.5, "Í": 0.1, "S": 0.1, "C": 0.1, "-": 0.06, "1": 0.06, "T": 0.06, "E": 0.02}
    lp = spelt(cs, truth, {0: first})
    pairs = fd.FieldDecoder(cs).decode(lp, FieldKind.RELATION)
    if in_full:
        assert pairs[0][0] == truth
        # the image's own probability, never raised by the list
        assert pairs[0][1] <= math.exp(float(ctc_log_probs(lp, [truth], cs)[0])) * 1.001
    else:  # the lexicon beam (6 tokens a frame) never offers it: what rule 19 mended
        assert truth not in dict(pairs)
    # one line of a wrapped value is a part of a form: decoded as before rule 19
    part = fd.FieldDecoder(cs).decode(lp, FieldKind.RELATION, whole=False)
    assert truth not in dict(part)


def test_ethnic_groups_own_names_are_read_in_full_and_local_names_are_not():
    from models.field_decoder import FieldDecoder
    from sohoa.fields.vocab import own_names, phrases

    forms = own_names(FieldKind.ETHNICITY)
    assert {"Khơ-mú", "Khơ Mú", "khơ mú", "Mông", "Thái"} <= set(forms)
    listed = {t for t, _ in phrases(FieldKind.ETHNICITY)}
    # the other names a group is known by stay with the lexicon beam (rule 19's amendment)
    assert {"Cao", "Mèo", "H'Mông"} <= listed and not {"Cao", "Mèo", "H'Mông"} & set(forms)
    cs = Charset.default()
    truth = "Khơ-mú"
    first = {"t": 0.5, "Í": 0.1, "S": 0.1, "C": 0.1, "-": 0.06, "1": 0.06, "T": 0.06, "K": 0.02}
    pairs = FieldDecoder(cs).decode(spelt(cs, truth, {0: first}), FieldKind.ETHNICITY)
    assert pairs[0][0] == truth
