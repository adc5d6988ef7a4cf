"""Administrative units spotted on the frames, right to left (models.place_spot, rules-s28
rule 25): the backward pass over the trie of the units' written forms gives each form's exact
probability over every span that ends where the next unit starts, and the chains it finds
give readings the best path's misplaced separators hid. Log-probabilities are written here;
the gazetteer is the shipped one."""

from __future__ import annotations

import numpy as np

from models.charset import Charset
from models.place_spot import SuffixTrieCTC, spotted_readings
from tests.ctc_helpers import spelt


def _ending_in_last_label(lp: np.ndarray, labels: list[int]) -> float:
    """Slow reference: log P(text | frames) over the CTC alignments whose last frame emits
    the text's last character (blanks before it allowed, none after)."""
    ext = [0]
    for c in labels:
        ext += [c, 0]
    S, T = len(ext), lp.shape[0]
    a = np.full((T, S), -np.inf)
    a[0, 0], a[0, 1] = lp[0, 0], lp[0, ext[1]]
    for t in range(1, T):
        for s in range(S):
            terms = [a[t - 1, s]]
            if s > 0:
                terms.append(a[t - 1, s - 1])
            if s > 1 and ext[s] != 0 and ext[s] != ext[s - 2]:
                terms.append(a[t - 1, s - 2])
            a[t, s] = np.logaddexp.reduce(terms) + lp[t, ext[s]]
    return float(a[T - 1, S - 2])


def test_every_span_ending_the_line_gets_its_exact_probability():
    cs = Charset.default()
    rng = np.random.default_rng(11)
    texts = ["Sơn La", "tỉnh Sơn La", "La", "aa", "Lai Châu", "@"]
    trie = SuffixTrieCTC(texts, cs)
    for frames in (9, 23):
        lp = np.log(rng.dirichlet(np.full(cs.num_classes, 0.3), size=frames))
        stop = frames - 2  # only frames before ``stop`` are read
        got = trie.log_probs(lp, stop)
        assert got.shape == (stop, len(texts))
        best = lp.max(axis=1)
        for i, text in enumerate(texts[:-1]):
            labels = [cs.encode(c)[0] for c in text]
            for t in range(stop):
                # the text in frames t..e-1, the frames e..stop-1 read by their best class
                terms = [_ending_in_last_label(lp[t:e], labels) + best[e:stop].sum()
                         for e in range(t + 1, stop + 1)]
                want = np.logaddexp.reduce([x for x in terms if np.isfinite(x)] or [-np.inf])
                if np.isfinite(want) and want > -300:
                    assert abs(got[t, i] - want) < 1e-6, (text, t)
                else:
                    assert got[t, i] < -300 or np.isneginf(got[t, i])
        assert np.all(np.isneginf(got[:, -1]))  # "@" cannot be written


def test_a_forest_of_tries_scores_each_as_alone_with_its_base():
    """One backward pass over several tries, each starting at its own frame with its own
    base (the compiled pass), gives what each trie gives alone plus its base."""
    from models.place_spot import forest_log_probs

    cs = Charset.default()
    rng = np.random.default_rng(5)
    lp = np.log(rng.dirichlet(np.full(cs.num_classes, 0.3), size=40))
    a = SuffixTrieCTC(["Sơn La", "La", "Lai Châu"], cs)
    b = SuffixTrieCTC(["xã Chiềng Sinh", "Mường La", "aa"], cs)
    groups = [(a, 40, 0.0), (b, 23, -7.5), (a, 11, -2.25), (b, 0, 0.0)]
    got = forest_log_probs(lp, groups)
    assert len(got) == 3  # a trie with no frames is dropped
    for (trie, stop, base), g in zip(groups[:3], got, strict=True):
        alone = trie.log_probs(lp, stop) + base
        assert g.shape == alone.shape == (stop, len(trie.texts))
        fin = np.isfinite(alone) & (alone > -300)
        assert fin.any()
        np.testing.assert_allclose(g[fin], alone[fin], rtol=1e-9, atol=1e-9)
        assert np.array_equal(np.isneginf(g[:, -1]), np.isneginf(alone[:, -1]))


def test_units_are_found_where_the_best_path_ran_two_parts_together():
    from models.ctc_decode import best_path_text
    from models.place_decode import unit_readings

    cs = Charset.default()
    truth = "Bản Nà Bon, Chăn Nưa, Sìn Hồ, Lai Châu"
    at, hs = truth.index(", Lai"), truth.index("Hồ")
    # the comma before the province looks like nothing, "Hồ" like "Bá"
    lp = spelt(cs, truth, {at: {"": 0.6, ",": 0.35}, hs: {"B": 0.6, "H": 0.35},
                           hs + 1: {"á": 0.6, "ồ": 0.35}})
    read = best_path_text(lp, cs)
    assert read == "Bản Nà Bon, Chăn Nưa, Sìn Bá Lai Châu"
    assert truth not in unit_readings(lp, cs, read)  # cut at the best path's separators
    found = spotted_readings(lp, cs)
    # where the best path wrote no separator, the reading keeps none and, beside it, a comma
    assert found.index("Bản Nà Bon, Chăn Nưa, Sìn Hồ Lai Châu") \
        == found.index(truth) - 1 < 4
    # the village before the units is kept as read, never respelt into a unit
    assert all(r.startswith("Bản Nà Bon, ") for r in found[:4])


def test_a_clear_line_spots_its_own_units_first():
    cs = Charset.default()
    written = "Bản Nà Sàn, xã Co Mạ, huyện Thuận Châu, tỉnh Sơn La"
    assert spotted_readings(spelt(cs, written), cs)[0] == written
    assert spotted_readings(spelt(cs, "ab"), cs) == []  # too short to hold a unit


def test_a_wrapped_place_is_decoded_whole():
    """rules-s28 rule 28: the lines' frames joined, one space frame between, read as one
    place; the runs of lines of one cell are found among a page's crops."""
    from models.field_decoder import FieldDecoder
    from ocr.htr import join_frames, wrapped_values
    from sohoa.records import FieldCrop, FieldKind

    cs = Charset.default()
    first, second = "Bản Nà Bon, Chăn Nưa,", "Sìn Hồ, Lai Châu"
    lp = join_frames([spelt(cs, first), spelt(cs, second)], cs)
    assert lp.shape[0] == spelt(cs, first).shape[0] + 1 + spelt(cs, second).shape[0]
    assert FieldDecoder(cs).decode(lp, FieldKind.PLACE)[0][0] == f"{first} {second}"

    def crop(field: str, part: bool, entry: int = 0, kind=FieldKind.PLACE) -> FieldCrop:
        return FieldCrop(field, kind, None, (0, 0, 10, 10), entry=entry, part=part)

    crops = [crop("noiSinh", True), crop("noiSinh", True), crop("queQuan", False),
             crop("noiCuTru", True), crop("noiCuTru", True), crop("noiCuTru", True, entry=1),
             crop("noiCuTru", True, entry=1), crop("ghiChu", True, kind=FieldKind.TEXT),
             crop("ghiChu", True, kind=FieldKind.TEXT)]
    kinds = [c.kind for c in crops]
    # two cells of one field in two entries are two values; free text keeps its lines apart
    assert wrapped_values(crops, kinds) == [[0, 1], [3, 4], [5, 6]]


def test_the_decoder_weighs_spotted_readings():
    """``PLACE_SPOT`` (on since rules-s31 rule 49; off before for its cost): a place whose
    chosen reading is not settled gets the spotted readings as candidates."""
    import models.field_decoder as fd
    from models.field_decoder import FieldDecoder
    from sohoa.records import FieldKind

    cs = Charset.default()
    truth = "Bản Pá Ban, Hoang Thèn, Phong Thổ, Lai Châu"
    # doubts of unequal sizes: no two candidates tie (a tie's order is not the test's)
    doubt = {truth.index("Thổ"): {"L": 0.58, "T": 0.31},
             truth.index(", Lai"): {"": 0.66, ",": 0.27},
             truth.index("Thèn"): {"F": 0.61, "T": 0.33}}
    lp = spelt(cs, truth, doubt)
    saved = fd.PLACE_SPOT
    try:
        fd.PLACE_SPOT = False
        off = FieldDecoder(cs).decode(lp, FieldKind.PLACE)[0][0]
        fd.PLACE_SPOT = True
        on = FieldDecoder(cs).decode(lp, FieldKind.PLACE)[0][0]
    finally:
        fd.PLACE_SPOT = saved
    assert off != truth and "Phong Lhổ" in off
    assert on == truth
    assert fd.PLACE_SPOT  # the shipped decoder spots
    assert FieldDecoder(cs).decode(lp, FieldKind.PLACE)[0][0] == truth
