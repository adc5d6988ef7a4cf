"""The compiled exact CTC pass (models.ctc_forward, rules-s31 rule 47) gives the texts the same
log P(text | image) as torch's CTC, -inf where a text cannot fit, and hands the texts it
underflows on to torch through ``ctc_log_probs``."""

from __future__ import annotations

import math

import numpy as np

from models.charset import Charset
from models.ctc_forward import forward
from models.fast_decode import _class_index, ctc_log_probs, torch_ctc_log_probs


def _ids(cs: Charset, texts: list[str]) -> list[list[int]]:
    index = _class_index(cs.chars)
    return [[index[c] for c in t] for t in texts]


def test_the_compiled_pass_equals_torchs_ctc():
    cs = Charset.default()
    rng = np.random.default_rng(31)
    texts = ["a", "aa", "aaa", "Anna", "Ông Bà", "xã Mường La, tỉnh Sơn La", "1990", "ll",
             "Nguyễn Văn Lộc"]
    for frames in (1, 2, 5, 12, 40, 160):
        for conc in (0.05, 0.5):  # peaked frames (a confident network) and flat ones
            p = rng.dirichlet(np.full(cs.num_classes, conc), size=frames)
            lp = np.log(np.maximum(p, 1e-300))
            lp = lp.astype(np.float32)
            got = forward(lp, _ids(cs, texts))
            want = torch_ctc_log_probs(lp, _ids(cs, texts))
            fits = np.isfinite(want)
            # a text longer than the frames allow (with a blank between doubled letters)
            assert np.array_equal(np.isneginf(got), ~fits), (frames, got, want)
            near = fits & ~np.isnan(got)
            np.testing.assert_allclose(got[near], want[near], rtol=1e-5, atol=1e-3)
            if frames >= 12 and conc == 0.5:  # nothing near underflow: every text compiled
                assert near.sum() == fits.sum() > 5


def test_a_doubled_letter_needs_a_blank_between():
    cs = Charset.default()
    a = cs.encode("a")[0]
    lp = np.full((2, cs.num_classes), math.log(1e-9))
    lp[:, a] = 0.0
    one, two = forward(lp, _ids(cs, ["a", "aa"]))
    assert one > -1e-3
    assert math.isinf(two)  # two frames, both "a": no blank between, so never "aa"
    lp3 = np.full((3, cs.num_classes), math.log(1e-9))
    lp3[[0, 2], a] = 0.0
    lp3[1, 0] = 0.0
    assert forward(lp3, _ids(cs, ["aa"]))[0] > -1e-3


def test_underflow_is_scored_by_torch_not_dropped():
    cs = Charset.default()
    index = _class_index(cs.chars)
    lp = np.full((30, cs.num_classes), -2000.0, dtype=np.float32)
    lp[:, 0] = 0.0  # every frame certain it is blank; "b" costs 2,000 nats at any frame
    lp[:, index["a"]] = -1.0
    compiled = forward(lp, _ids(cs, ["a", "b"]))
    assert np.isfinite(compiled[0]) and np.isnan(compiled[1])
    both = ctc_log_probs(lp, ["a", "b", "@@", ""], cs)
    want = torch_ctc_log_probs(lp, _ids(cs, ["a", "b"]))
    np.testing.assert_allclose(both[:2], want, rtol=1e-5)
    assert both[1] < -1900  # torch's finite score, not -inf
    assert math.isinf(both[2]) and math.isinf(both[3])  # unwritable, empty
