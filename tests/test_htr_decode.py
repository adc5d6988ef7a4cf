"""Charset and CTC decoding of the handwriting model, on log-probability matrices built here."""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pytest

from models.charset import Charset, CharsetError, vietnamese_letters
from models.ctc_decode import beam_search, greedy, lexicon_lm


def _every_vietnamese_letter() -> set[str]:
    """Letters whose NFD is a vowel, at most one Vietnamese shape mark allowed on that vowel
    (ă; â ê ô; ơ ư) and at most one tone, found by scanning Unicode, plus đ/Đ."""
    tones = set("\u0300\u0301\u0309\u0303\u0323")
    shapes = {"\u0306": "a", "\u0302": "aeo", "\u031b": "ou"}
    out = {"đ", "Đ"}
    for cp in range(0x00C0, 0x1EFF + 1):
        d = unicodedata.normalize("NFD", chr(cp))
        base, marks = d[0].lower(), d[1:]
        if base not in "aeiouy" or not marks:
            continue
        shape = [m for m in marks if m in shapes]
        tone = [m for m in marks if m in tones]
        if len(shape) + len(tone) != len(marks) or len(shape) > 1 or len(tone) > 1:
            continue
        if shape and base not in shapes[shape[0]]:
            continue
        out.add(chr(cp))
    return out


def test_charset_covers_every_vietnamese_letter_digits_and_register_punctuation():
    cs = Charset.default()
    letters = _every_vietnamese_letter()
    assert len(letters) == 134
    assert letters <= set(cs.chars)
    assert set(vietnamese_letters()) == letters
    assert set("0123456789 .,/-():'\"") <= set(cs.chars)


def test_charset_roundtrip_normalises_eth_and_decomposed_text(tmp_path):
    cs = Charset.default()
    decomposed = unicodedata.normalize("NFD", "Ðặng  Thị Ngọc")
    text = cs.normalize(decomposed)
    assert text == "Đặng Thị Ngọc"
    assert cs.decode(cs.encode(text)) == text
    with pytest.raises(CharsetError):
        cs.encode("Ω")
    cs.save(tmp_path / "c.json")
    assert Charset.load(tmp_path / "c.json") == cs
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(CharsetError, match="bad.json"):
        Charset.load(tmp_path / "bad.json")


def _logp(cs: Charset, frames: list[dict[str, float]]) -> np.ndarray:
    """Frames of {char or '' (blank): prob}; the rest of the mass spread over other classes."""
    m = np.full((len(frames), cs.num_classes), 1e-6)
    for t, f in enumerate(frames):
        for ch, p in f.items():
            m[t, 0 if ch == "" else cs.encode(ch)[0]] = p
    m /= m.sum(axis=1, keepdims=True)
    return np.log(m)


def test_greedy_collapses_repeats_and_blanks_with_per_char_confidence():
    cs = Charset.default()
    lp = _logp(cs, [{"A": 0.9, "": 0.1}, {"A": 0.6, "": 0.4}, {"": 1.0}, {"n": 0.7, "": 0.3},
                    {"": 0.9, "n": 0.1}, {"n": 0.8, "": 0.2}])
    d = greedy(lp, cs)
    assert d.text == "Ann"
    assert len(d.char_confidences) == 3
    assert d.char_confidences[0] == pytest.approx(0.9, abs=1e-3)
    assert 0.0 < d.confidence <= min(d.char_confidences) ** 0.5 + 1e-9


def test_beam_sums_alignments_and_beats_best_path():
    # best path is blank-blank ("" text), but "a" has more total probability over alignments
    cs = Charset.default()
    lp = _logp(cs, [{"": 0.6, "a": 0.4}, {"": 0.6, "a": 0.4}])
    assert greedy(lp, cs).text == ""
    hyps = beam_search(lp, cs, beam=4, nbest=3)
    assert hyps[0][0] == "a"
    p_a = 0.4 * 0.4 + 0.4 * 0.6 + 0.6 * 0.4
    assert hyps[0][1] == pytest.approx(p_a, rel=1e-3)
    probs = [p for _, p in hyps]
    assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)


def test_beam_gives_n_best_alternatives_and_a_lexicon_reorders_them():
    cs = Charset.default()
    # "Lò" vs "Lo": the tone mark is uncertain; the acoustics slightly prefer "Lo"
    lp = _logp(cs, [{"L": 0.98}, {"": 0.98}, {"o": 0.52, "ò": 0.46}, {"": 0.98}])
    hyps = beam_search(lp, cs, beam=8, nbest=4)
    texts = [t for t, _ in hyps]
    assert texts[:2] == ["Lo", "Lò"]
    lm = lexicon_lm(["Lò", "Lường", "Quàng"])
    with_lm = beam_search(lp, cs, beam=8, nbest=4, lm=lm, lm_weight=1.0)
    assert with_lm[0][0] == "Lò"
    # the LM reorders, it does not invent probability
    p = dict(hyps)
    assert dict(with_lm)["Lò"] == pytest.approx(p["Lò"], rel=1e-6)


def test_beam_keeps_double_letters_apart_only_with_a_blank():
    cs = Charset.default()
    lp = _logp(cs, [{"o": 0.95}, {"": 0.95}, {"o": 0.95}])
    assert beam_search(lp, cs)[0][0] == "oo"
    lp2 = _logp(cs, [{"o": 0.95}, {"o": 0.95}, {"o": 0.95}])
    assert beam_search(lp2, cs)[0][0] == "o"
    assert math.isclose(sum(p for _, p in beam_search(lp2, cs, nbest=20)), 1.0, rel_tol=0.05)


def test_char_lm_prefers_seen_spellings_round_trips_and_reorders_the_beam(tmp_path):
    from models.charlm import NGramCharLM

    lm = NGramCharLM(order=3).fit(["Lường Văn Hùng", "Lò Thị Lường", "Quàng Văn Lường"] * 5)
    assert lm.score("Lư", "ờ") > 0 > lm.score("Lu", "ờ")
    lm.save(tmp_path / "lm.json")
    again = NGramCharLM.load(tmp_path / "lm.json")
    assert again.score("Lư", "ờ") == pytest.approx(lm.score("Lư", "ờ"))
    with pytest.raises(ValueError, match="lm.json"):
        (tmp_path / "lm.json").write_text("[]", encoding="utf-8")
        NGramCharLM.load(tmp_path / "lm.json")
    cs = Charset.default()
    lp = _logp(cs, [{"L": 0.98}, {"": 0.98}, {"u": 0.55, "ư": 0.43}, {"": 0.98},
                    {"ờ": 0.98}, {"": 0.98}])
    assert beam_search(lp, cs)[0][0] == "Luờ"
    assert beam_search(lp, cs, lm=again.as_hook(), lm_weight=0.5)[0][0] == "Lườ"
