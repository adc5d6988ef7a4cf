"""Charset and CTC decoding of the handwriting model, on log-probability matrices built here."""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pytest

from models.charset import Charset, CharsetError, vietnamese_letters
from models.ctc_decode import beam_search, greedy, lexicon_lm
from tests.ctc_helpers import frames_logp as _logp
from tests.ctc_helpers import spelt as _spelt


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


def test_a_character_the_lm_never_saw_earns_no_bonus(monkeypatch):
    """Additive smoothing gives an unseen character more mass in a sparse context than in
    the unigram: its log ratio came out positive, and ``fuse`` put "Lò Văn Hồng," (p 0.09)
    before "Lò Văn Hồng" (p 0.58) on a real crop (rule 74 of benchmarks/results/rules-s38.md)."""
    from models import charlm
    from models.charlm import NGramCharLM
    from models.field_decoder import fuse, lm_scores

    lm = NGramCharLM(order=4).fit(["Lò Văn Hồng", "Lò Thị Hương", "Cầm Văn Hùng"] * 20)
    hook = lm.as_hook()
    assert hook("Lò Văn Hồng", ",") <= 0.0 and hook("Lò Văn Hồng", "7") <= 0.0
    assert hook("Lò Văn H", "ồ") > 0  # a seen character keeps its bonus
    scores = lm_scores(["Lò Văn Hồng", "Lò Văn Hồng,"], hook)
    assert scores["Lò Văn Hồng,"] <= scores["Lò Văn Hồng"]
    fused = fuse([("Lò Văn Hồng", 0.58), ("Lò Văn Hồng,", 0.09)], hook, 1.0)
    assert max(fused, key=lambda tp: tp[1])[0] == "Lò Văn Hồng"
    monkeypatch.setattr(charlm, "UNSEEN_NO_BONUS", False)  # the bonus this test guards against
    assert NGramCharLM(order=4).fit(["Lò Văn Hồng"] * 20).as_hook()("Lò Văn Hồng", ",") > 0


# --- the compiled decoder (flashlight-text) and decoding with what a field can be ---------


def test_compiled_beam_reads_as_the_python_beam_where_no_lexicon_applies():
    from models.fast_decode import FreeBeam, ctc_log_probs

    cs = Charset.default()
    rng = np.random.default_rng(7)
    letters = "aáàảãạăâbcdđeêghiklmnoôơpqrstuưvxy "
    same = 0
    for _ in range(60):  # writing as the model sees it: mostly clear, some letters in doubt
        frames: list[dict[str, float]] = []
        for _ in range(int(rng.integers(3, 12))):
            a, b = rng.choice(list(letters), 2, replace=False)
            doubt = float(rng.uniform(0.3, 0.7)) if rng.random() < 0.4 else 0.96
            frames += [{a: doubt, b: 0.97 - doubt}, {"": float(rng.uniform(0.6, 0.99))}]
        lp = _logp(cs, frames)
        old = beam_search(lp, cs, beam=8, nbest=5)
        new = FreeBeam(cs, beam=8).nbest(lp, 5)
        same += old[0][0] == new[0][0]
        exact = math.exp(ctc_log_probs(lp, [new[0][0]], cs)[0])
        assert new[0][1] == pytest.approx(exact, rel=0.05, abs=1e-4)  # alignments summed
        assert new[0][1] >= old[0][1] * 0.98 or old[0][0] != new[0][0]
    assert same >= 58  # the two prune differently; the best reading is the same


def test_exact_ctc_probability_sums_every_alignment():
    from models.fast_decode import ctc_log_probs

    cs = Charset.default()
    lp = _logp(cs, [{"": 0.6, "a": 0.4}, {"": 0.6, "a": 0.4}])
    got = np.exp(ctc_log_probs(lp, ["a", "aa", "b", "Ω"], cs))
    assert got[0] == pytest.approx(0.4 * 0.4 + 0.4 * 0.6 + 0.6 * 0.4, rel=1e-3)
    assert got[1] == 0.0 or got[1] < 1e-9  # "aa" needs a blank between: 3 frames
    assert got[2] < 1e-5 and got[3] == 0.0  # "b" only in the 1e-6 floor; "Ω" not writable


def test_a_rare_name_outside_the_lexicon_is_still_read():
    from models.field_decoder import FieldDecoder
    from sohoa.fields import choose_reading
    from sohoa.fields.vocab import words
    from sohoa.records import Alternative, FieldKind

    cs = Charset.default()
    name = "Vừ Pả Xênh"
    assert "Xênh" not in words(FieldKind.NAME) and "Pả" not in words(FieldKind.NAME)
    dec = FieldDecoder(cs)
    lp = _spelt(cs, name)
    lexicon_only = dec.lexicon(FieldKind.NAME).nbest(lp, 3)
    assert name not in [t for t, _ in lexicon_only]  # the constrained beam cannot spell it
    pairs = dec.decode(lp, FieldKind.NAME)
    assert pairs[0][0] == name and pairs[0][1] > 0.9
    chosen = choose_reading("nksHoTen", FieldKind.NAME, [Alternative(t, p) for t, p in pairs],
                            "htr")
    assert chosen.text == name


def test_the_lexicon_beam_offers_the_listed_spelling_the_open_beam_pruned():
    from models.field_decoder import FieldDecoder
    from sohoa.records import FieldKind

    cs = Charset.default()
    # "Thái" with the last letter unclear: the image favours a "y" no ethnic group ends with
    lp = _spelt(cs, "Thái", {3: {"y": 0.55, "i": 0.30, "": 0.05}})
    dec = FieldDecoder(cs)
    pairs = dict(dec.decode(lp, FieldKind.ETHNICITY))
    assert "Thái" in pairs and "Tháy" in pairs
    lexicon = dict(dec.lexicon(FieldKind.ETHNICITY).nbest(lp, 2))
    assert "Tháy" not in lexicon and lexicon["Thái"] == pytest.approx(pairs["Thái"], rel=0.05)


def test_a_place_misread_by_the_recogniser_snaps_to_its_commune():
    from models.field_decoder import FieldDecoder
    from sohoa.fields import choose_reading
    from sohoa.records import Alternative, FieldKind

    cs = Charset.default()
    truth = "Bản Kéo Bon, xã Châu Quế Hạ, huyện Văn Yên, tỉnh Yên Bái"
    at = truth.index("Hạ")  # the image reads "Mạ" rather than "Hạ": no such commune there
    lp = _spelt(cs, truth, {at: {"M": 0.6, "H": 0.37}})
    pairs = FieldDecoder(cs).decode(lp, FieldKind.PLACE)
    # the commune that exists in that district wins the ranking, with the image's own
    # probability (never raised by the gazetteer match)
    assert pairs[0][0] == truth
    assert dict(pairs)[truth] <= 0.37 / 0.97 * 1.05
    assert truth.replace("Hạ", "Mạ") in dict(pairs)  # the image's reading stays an alternative
    chosen = choose_reading("nksNoiSinh", FieldKind.PLACE,
                            [Alternative(t, p) for t, p in pairs], "htr")
    assert chosen.text == truth
    # the village is no administrative unit: written as read, never snapped to a unit
    village = truth.replace("Kéo Bon", "Kéo Bòn")
    assert FieldDecoder(cs).decode(_spelt(cs, village), FieldKind.PLACE)[0][0] == village


def test_language_model_files_are_built_once_from_the_shipped_lms(tmp_path, monkeypatch):
    from models.arpa import cached, write_char_arpa
    from models.charlm import NGramCharLM
    from models.fast_decode import FreeBeam
    from models.field_decoder import fuse

    monkeypatch.setenv("SOHOA_CACHE", str(tmp_path))
    lm = NGramCharLM(order=3).fit(["Lường Văn Hùng", "Lò Thị Lường", "Quàng Văn Lường"] * 5)
    calls = []

    def build(path):
        calls.append(path)
        write_char_arpa(lm, path)

    a = cached("chars-test", b"v1", build)
    b = cached("chars-test", b"v1", build)
    assert a == b and len(calls) == 1 and a.parent == tmp_path / "lm"
    assert cached("chars-test", b"v2", build) != a and len(calls) == 2
    text = a.read_text(encoding="utf-8")
    assert "\\3-grams:" in text and "L ư ờ" in text and "l ư ờ" in text  # every case
    cs = Charset.default()
    lp = _logp(cs, [{"L": 0.98}, {"": 0.98}, {"u": 0.55, "ư": 0.43}, {"": 0.98},
                    {"ờ": 0.98}, {"": 0.98}])
    assert FreeBeam(cs).nbest(lp)[0][0] == "Luờ"
    steered = FreeBeam(cs, lm_path=a, lm_weight=1.0).nbest(lp)
    # the beam reports P(text | image): the LM chose what stayed in the beam, and the
    # fusion over the n-best moves probability to the likelier spelling
    assert dict(steered)["Lườ"] == pytest.approx(0.43 / 0.98, rel=0.05)
    fused = sorted(fuse(steered, lm.as_hook(), 0.5), key=lambda tp: -tp[1])
    assert fused[0][0] == "Lườ" and fused[0][1] == pytest.approx(dict(steered)["Lườ"])


def test_the_place_lm_never_prunes_a_reading_the_image_prefers():
    """Ordinary text in a place field (a house number, a street: no register value) read with
    the shipped place LM in the beam: the LM alone would prune the digits the image shows
    (0.6 against 0.3 for a look-alike letter) and leave 'B9BlA6'; the best path joins the
    candidates with its exact probability, so the read path is never below greedy decoding."""
    from pathlib import Path

    from models.ctc_decode import greedy
    from models.field_decoder import FieldDecoder, char_arpa
    from sohoa.fields import choose_reading
    from sohoa.records import Alternative, FieldKind

    model = Path(__file__).resolve().parents[1] / "models" / "weights" / "htr-v3"
    cs = Charset.load(model / "charset.json")
    arpa = {FieldKind.PLACE: char_arpa(model, "place_lm.json")}
    truth = "ngõ 398/46 Phan Đình Phùng"
    look = {"3": "B", "9": "g", "8": "B", "/": "l", "4": "A", "6": "b"}
    lp = _spelt(cs, truth, {i: {c: 0.6, look[c]: 0.3} for i, c in enumerate(truth) if c in look})
    assert greedy(lp, cs).text == truth
    pairs = FieldDecoder(cs, arpa=arpa).decode(lp, FieldKind.PLACE)
    assert pairs[0][0] == truth
    chosen = choose_reading("noiCuTru", FieldKind.PLACE, [Alternative(t, p) for t, p in pairs],
                            "htr")
    assert chosen.text == truth
    # without the best path the LM-steered beam loses the digits (what this guards against)
    free = FieldDecoder(cs, arpa=arpa).free(FieldKind.PLACE).nbest(lp, 5)
    assert truth not in [t for t, _ in free]
