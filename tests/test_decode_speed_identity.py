"""The decoding and choice speed-ups of s9speed give what the plain versions gave, bit for bit
(the whole read path is checked by ``benchmarks/decode_identity.py``)."""

from __future__ import annotations

import numpy as np

from models.charset import Charset
from models.ctc_decode import best_path_text, greedy
from models.fast_decode import _text
from sohoa.fields.calibration_page import (
    PageItem,
    _empty,
    _with_doubt,
    choose_page,
    column_doubts,
    page_doubt,
)
from sohoa.fields.choose import choose_reading, rank_candidates
from sohoa.records import Alternative, FieldKind


def test_a_token_path_collapses_as_before() -> None:
    cs = Charset("ab ")
    # repeats merged, blanks dropped, out-of-range classes dropped but still break a repeat
    assert _text([0, 1, 1, 0, 1, 2, 2, 9, 2, 3, 0], cs) == "aabb "
    assert _text([], cs) == ""


def _items() -> list[PageItem]:
    names = [("Lò Văn Hùng", 0.6), ("Lò Văn Hưng", 0.3), ("Lo Van Hung", 0.05)]
    dates = [("12/03/2006", 0.7), ("12/08/2006", 0.2)]
    items = []
    for i in range(8):
        items.append(PageItem("nksHoTen", FieldKind.NAME, (0, 10 * i, 50, 10 * i + 9), "htr",
                              tuple(Alternative(t, c * (1 - 0.05 * i)) for t, c in names)))
        items.append(PageItem("nksNgaySinh", FieldKind.DATE, (60, 10 * i, 90, 10 * i + 9),
                              "htr", tuple(Alternative(t, c) for t, c in dates)))
    items.append(PageItem("ghiChu", FieldKind.TEXT, (0, 90, 50, 99), "htr", (), empty=True))
    return items


def test_a_ranking_handed_in_chooses_as_one_made_inside() -> None:
    for it in _items()[:4]:
        alts = list(it.candidates)
        ranked = rank_candidates(it.kind, alts, 2008, it.field)
        own = choose_reading(it.field, it.kind, alts, it.engine, bbox=it.bbox, ref_year=2008)
        given = choose_reading(it.field, it.kind, alts, it.engine, bbox=it.bbox,
                               ref_year=2008, ranked=ranked)
        assert own == given and own.alternatives == given.alternatives


def _choose_page_as_before(items: list[PageItem], ref_year: int) -> list:
    """``choose_page`` as it was: every cell ranked again by each pass and the page doubt."""
    def one(it: PageItem, ev):  # type: ignore[no-untyped-def]
        return choose_reading(it.field, it.kind, list(it.candidates), it.engine, bbox=it.bbox,
                              ref_year=ref_year, evidence=ev)

    first = [_empty(it) if it.empty else one(it, it.evidence) for it in items]
    doubts = column_doubts(items, first, ref_year)
    page = page_doubt(items, ref_year)
    return [r if it.empty or (d <= 0 and page <= 0) else one(it, _with_doubt(it.evidence, d, page))
            for it, r, d in zip(items, first, doubts, strict=True)]


def test_a_page_is_chosen_as_before() -> None:
    items = _items()
    ranks = [None if it.empty else rank_candidates(it.kind, list(it.candidates), 2008,
                                                   it.field) for it in items]
    assert page_doubt(items, 2008, ranks) == page_doubt(items, 2008)
    chosen = choose_page(items, 2008)
    assert [r.text for r in chosen[:2]] == ["Lò Văn Hùng", "12/03/2006"]
    before = _choose_page_as_before(items, 2008)
    assert chosen == before
    assert [r.alternatives for r in chosen] == [r.alternatives for r in before]


def test_the_best_path_text_is_greedy_s() -> None:
    cs = Charset("ab ")
    rng = np.random.default_rng(8)
    for frames in [0, 1, 2, *rng.integers(3, 40, size=300).tolist()]:
        x = np.log(rng.dirichlet(np.full(4, 0.3), size=frames) + 1e-30).astype(np.float32)
        assert best_path_text(x, cs) == greedy(x, cs).text


def _other_kind_score_loop(kind: FieldKind, text: str, own_evidence: float, own_ok: bool,
                           ref_year: int | None) -> float:
    """``other_kind_score`` as it was: every other kind parsed."""
    from sohoa.fields.calibration_seg import _OTHER_KINDS
    from sohoa.fields.parse import parse_field

    if not text.strip() or kind == FieldKind.TEXT:
        return 0.0
    own = own_evidence if own_ok else 0.0
    best = 0.0
    for other in _OTHER_KINDS:
        if other != kind:
            pv = parse_field(other, text, ref_year=ref_year)
            if pv.ok:
                best = max(best, float(pv.evidence))
    return float(max(0.0, best - own))


def test_the_other_kind_score_stops_only_where_nothing_can_change() -> None:
    from sohoa.fields.calibration_seg import other_kind_score

    texts = ["Lò Văn Hùng", "12/03/2006", "1975", "Nam", "Kinh", "Việt Nam", "Bà nội",
             "xã Châu Quế Hạ, huyện Văn Yên, tỉnh Yên Bái", "Nữ", "Tày", "Mẹ", "12/3", ""]
    for kind in FieldKind:
        for text in texts:
            for own, ok in ((1.0, True), (0.9, True), (1.0, False), (0.0, False), (0.5, True)):
                assert other_kind_score(kind, text, own, ok, 2008) == \
                    _other_kind_score_loop(kind, text, own, ok, 2008), (kind, text, own, ok)


def test_a_word_is_capitalised_as_by_its_parts() -> None:
    import re

    from sohoa.fields.text import capitalise

    for w in ["hùng", "H'MÔNG", "h'mông", "ê-đê", "", "ĐINH", "a", "-", "'", "x-y'z", "ǆa",
              "ß", "İi", "ŉ", "ﬀ", "Lò"]:
        parts = re.split(r"([-'])", w.lower())
        assert capitalise(w) == "".join(p[:1].upper() + p[1:] for p in parts), w
