"""The book lexicon (``sohoa.book_lexicon``): values clerks confirmed in a book weigh in on the
readings of its other entries, through the real choice (``Recognizer.choose``), and it is
saved in the book's model version and used when the book is re-read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sohoa.adapt import reread_book
from sohoa.book_lexicon import FILE, BookLexicon, respell_parts
from sohoa.recognize import CellRead, Recognizer
from sohoa.records import Alternative, FieldKind
from sohoa.store import Workspace
from tests.review_helpers import make_workspace

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "weights" / "htr-v3"
BOOK = [("place", "Bản Nà Sản, xã Chiềng Cơi, huyện Mai Sơn, tỉnh Sơn La")] * 3 + [
    ("place", "Bản Pá Công, xã Hua La, huyện Mai Sơn, tỉnh Sơn La"),
    ("place", "Trạm y tế xã Chiềng Cơi"), ("name", "Lò Văn Thanh"), ("name", "Cầm Thị Ánh"),
    ("date", "12/03/2008")]


def _cell(kind: str, *alts: tuple[str, float]) -> CellRead:
    return CellRead("nksNoiSinh" if kind == "place" else "nksHoTen", FieldKind(kind),
                    (0, 0, 10, 10), "htr", tuple(Alternative(t, p) for t, p in alts))


def _chosen(cells: list[CellRead], lexicon: BookLexicon | None) -> list[str]:
    cells = lexicon.apply(cells) if lexicon is not None else cells
    return [r.text for r in Recognizer.choose(cells, ref_year=2008)]


def test_a_misread_place_of_the_book_is_read_as_the_book_wrote_it():
    lex = BookLexicon.of_values(BOOK, entries=8)
    assert lex.values["place"]["Bản Nà Sản, xã Chiềng Cơi, huyện Mai Sơn, tỉnh Sơn La"] == 3
    assert "date" not in lex.values  # dates, numbers ... are not book-lexicon kinds
    misread = _cell("place", ("Bản Nà Sán, xã Chiềng Cới, huyện Mai Sơn, tỉnh Sơn La", 0.5),
                    ("Bản Nà Sán, xã Chiềng Cời, huyện Mai Sơn, tỉnh Sơn La", 0.05))
    new_place = _cell("place", ("Bản Mòng, xã Mường Bon, huyện Mai Sơn, tỉnh Sơn La", 0.6),
                      ("Bản Mòng, xã Mường Bon, huyện Mai Sơn, tỉnh Sơn Lạ", 0.1))
    health = _cell("place", ("Trạm ỵ tế xã Chiềng Cơi", 0.4), ("Trạm y tế xã Chiềng Côi", 0.3))
    before = _chosen([misread, new_place, health], None)
    assert before[0] != "Bản Nà Sản, xã Chiềng Cơi, huyện Mai Sơn, tỉnh Sơn La"
    after = _chosen([misread, new_place, health], lex)
    assert after == ["Bản Nà Sản, xã Chiềng Cơi, huyện Mai Sơn, tỉnh Sơn La",
                     "Bản Mòng, xã Mường Bon, huyện Mai Sơn, tỉnh Sơn La",  # a new place stays
                     "Trạm y tế xã Chiềng Cơi"]


def test_a_new_combination_of_the_books_places_is_respelt_part_by_part():
    lex = BookLexicon.of_values(BOOK)
    parts = lex._parts("place")
    text, edits = respell_parts("Bản Pá Cống - xã Chiềng Cói - huyện Mai Sơn", parts)
    assert (text, edits) == ("Bản Pá Công - xã Chiềng Cơi - huyện Mai Sơn", 2)
    cell = _cell("place", ("Bản Pá Cống, xã Chiềng Cói, huyện Mai Sơn, tỉnh Sơn La", 0.5))
    assert _chosen([cell], lex) == ["Bản Pá Công, xã Chiềng Cơi, huyện Mai Sơn, tỉnh Sơn La"]


def test_names_and_empty_lexicons_leave_the_readings_alone():
    lex = BookLexicon.of_values(BOOK)
    cell = _cell("name", ("Lò Văn Thành", 0.6), ("Lò Văn Thanh", 0.3))
    assert lex.apply([cell]) == [cell]  # a name is not respelt to the book's names
    assert BookLexicon().apply([cell]) == [cell]


def test_saved_with_the_model_and_used_when_the_book_is_read_again(tmp_path):
    lex = BookLexicon.of_values(BOOK, entries=8)
    model = tmp_path / "v001"
    shutil.copytree(SHIPPED, model)
    assert BookLexicon.load(model) is None
    lex.save(model)
    loaded = BookLexicon.load(model)
    assert loaded is not None and loaded.values == lex.values and loaded.entries == 8
    tw = make_workspace(tmp_path / "ws", pages=1)
    with Workspace.open(tw.root) as ws:
        truth = {int(e.id or 0): tw.truth[int(e.id or 0)] for e in ws.entries(tw.book_id)}
    places = sorted({v for t in truth.values() for k, v in t.items() if k in (
        "nksNoiSinh", "nksQueQuan")})
    assert places
    BookLexicon.of_values([("place", p) for p in places], 1).save(model)
    n, _ = reread_book(tw.root, tw.book_id, model, version="v001")
    right = 0
    with Workspace.open(tw.root) as ws:
        for eid, t in truth.items():
            r = ws.entry_view(eid).readings
            right += sum(r[k].text == t[k] for k in ("nksNoiSinh", "nksQueQuan")
                         if k in r and k in t)
        audit = [a for a in ws.audit(book_id=tw.book_id) if a.action == "reread"]
    assert n == len(truth) and json.loads(audit[-1].new)["book_lexicon"] == len(places)
    n_place = sum(k in t for t in truth.values() for k in ("nksNoiSinh", "nksQueQuan"))
    assert right == n_place  # every place the book had is read as it was confirmed
    assert (model / FILE).exists()


def test_bench_adapt_draws_values_as_one_book_holds_them():
    """bench_adapt's writer writes one book: entry numbers in order, the commune's places
    repeating, values whole (a long place wrapped, not cut to a random run of words)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_adapt import _two_lines, book_values

    values = book_values(300, seed=5)
    numbers = [int(t) for _, f, t in values if f == "so"]
    assert len(numbers) > 5 and numbers == sorted(set(numbers))
    places = [t for k, _, t in values if k == "place"]
    assert len(places) > 10 and len(set(places)) < 0.8 * len(places)
    provinces = {p.replace(" - ", ", ").split(", ")[-1] for p in places if "," in p or " - " in p}
    assert len({p.removeprefix("tỉnh ") for p in provinces}) == 1  # one commune's province
    long = max(places, key=len)
    assert len(long) > 30 and " ".join(_two_lines(long, 30)) == long
