"""Labelled line sets in the three formats (labels.tsv, PAGE XML, ALTO): same lines, same
crops, safe XML, writer-disjoint splits and one-line errors naming the file."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from models.lines import LinesError, read_line_set, read_line_sets, split_lines
from tests.lines_helpers import draw_lines, write_alto, write_page_xml, write_tsv


@pytest.fixture(scope="module")
def drawn() -> list:
    return draw_lines(8, seed=5, writers=4)


def _ink_box(img: np.ndarray) -> tuple[int, int]:
    ys, xs = np.nonzero(img < 160)
    return int(xs.max() - xs.min()), int(ys.max() - ys.min())


def test_three_formats_give_the_same_lines(tmp_path: Path, drawn: list) -> None:
    tsv = read_line_set(write_tsv(tmp_path / "tsv", drawn))
    write_page_xml(tmp_path / "page", drawn[:5], "p1", image_subdir=True)
    write_page_xml(tmp_path / "page", drawn[5:], "p2")
    page = read_line_set(tmp_path / "page")
    write_alto(tmp_path / "alto", drawn, unit_scale=2.54)  # mm10-like units, scaled back
    alto = read_line_set(tmp_path / "alto")
    assert (tsv.format, page.format, alto.format) == ("tsv", "page", "alto")
    truth = [t for t, _, _ in drawn]
    assert [ln.text for ln in tsv.lines] == truth
    assert sorted(ln.text for ln in page.lines) == sorted(truth)
    assert [ln.text for ln in alto.lines] == truth
    assert [ln.writer for ln in tsv.lines] == [w for _, _, w in drawn]
    for s in (page, alto):
        by_text = {ln.text: ln for ln in s.lines}
        for text, img, _ in drawn:
            got = by_text[text].image
            assert got.ndim == 2 and got.dtype == np.uint8
            # the cut line holds the whole written line (ink extent within 3 px)
            assert np.allclose(_ink_box(got), _ink_box(img), atol=3), (s.format, text)


def test_text_is_nfc_and_untranscribed_lines_are_skipped(tmp_path: Path, drawn: list) -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hà")
    lines = [(decomposed, drawn[0][1], "w1"), ("", drawn[1][1], "w1"), *drawn[2:4]]
    path = write_page_xml(tmp_path / "p", lines)
    s = read_line_set(path.parent)
    assert s.lines[0].text == "Nguyễn Thị Hà" and unicodedata.is_normalized("NFC", s.lines[0].text)
    assert len(s.lines) == 3 and s.skipped["no_text"] == 1


def test_writers_file_and_writer_disjoint_split(tmp_path: Path, drawn: list) -> None:
    write_tsv(tmp_path / "t", drawn)
    s = read_line_set(tmp_path / "t")
    train, val, how = split_lines(s.lines, 0.25)
    assert "writer-disjoint" in how and val and train
    assert not {ln.writer for ln in train} & {ln.writer for ln in val}
    assert split_lines(s.lines, 0.25)[1] == val  # deterministic
    folder = tmp_path / "x"
    write_page_xml(folder, drawn[:4], "a")
    write_page_xml(folder, drawn[4:], "b")
    (folder / "writers.tsv").write_text("a.xml\tclerk-1\nb.xml\tclerk-2\n", "utf-8")
    x = read_line_set(folder)
    assert {ln.writer for ln in x.lines} == {"clerk-1", "clerk-2"}


def test_same_folder_names_are_told_apart(tmp_path: Path, drawn: list) -> None:
    sets = read_line_sets([write_tsv(tmp_path / "a" / "lines", drawn[:3]),
                           write_tsv(tmp_path / "b" / "lines", drawn[3:])])
    assert [s.name for s in sets] == ["a/lines", "b/lines"]


def _error(folder: Path) -> str:
    with pytest.raises(LinesError) as info:
        read_line_set(folder)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_errors_name_the_file_and_the_problem(tmp_path: Path, drawn: list) -> None:
    assert "not a folder" in _error(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    assert "no labels.tsv and no PAGE/ALTO" in _error(tmp_path / "empty")

    t = write_tsv(tmp_path / "t", drawn[:2])
    (t / "labels.tsv").write_text("l000.png only-one-column\n", "utf-8")
    msg = _error(t)
    assert "labels.tsv:1" in msg and "column" in msg
    (t / "labels.tsv").write_text("nope.png\tNguyễn\n", "utf-8")
    assert "labels.tsv:1" in _error(t) and "'nope.png' not found" in _error(t)
    (t / "labels.tsv").write_text("../x.png\tNguyễn\n", "utf-8")
    assert "outside the folder" in _error(t)
    (t / "l000.png").write_bytes(b"not a png")
    (t / "labels.tsv").write_text("l000.png\tNguyễn\n", "utf-8")
    assert "l000.png" in _error(t)

    p = tmp_path / "p"
    xml = write_page_xml(p, drawn[:2])
    xml.write_text(xml.read_text("utf-8").replace("</PcGts>", ""), "utf-8")
    assert "page1.xml" in _error(p) and "not well-formed" in _error(p)
    xml = write_page_xml(p, drawn[:2])
    xml.write_text(xml.read_text("utf-8").replace('imageFilename="page1.png"',
                                                  'imageFilename="gone.png"'), "utf-8")
    assert "'gone.png' is not next to it" in _error(p)
    xml = write_page_xml(p, drawn[:2])
    xml.write_text(xml.read_text("utf-8").replace('points="40,', 'points="x,'), "utf-8")
    assert "line l0" in _error(p) and "Coords" in _error(p)

    a = tmp_path / "a"
    xml = write_alto(a, drawn[:2])
    xml.write_text(xml.read_text("utf-8").replace('HPOS="40.0"', 'HPOS="9999"'), "utf-8")
    assert "page1.xml: line l0" in _error(a) and "outside" in _error(a)


def test_entities_and_dtds_are_refused(tmp_path: Path, drawn: list) -> None:
    p = tmp_path / "bomb"
    xml = write_page_xml(p, drawn[:1])
    text = xml.read_text("utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0"?>\n<!DOCTYPE PcGts [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n')
    xml.write_text(text.replace("<Unicode>", "<Unicode>&b;"), "utf-8")
    assert "refused unsafe XML" in _error(p)
    ext = tmp_path / "ext"
    xml = write_page_xml(ext, drawn[:1])
    xml.write_text(xml.read_text("utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0"?>\n<!DOCTYPE PcGts SYSTEM "http://127.0.0.1:9/x.dtd">\n'), "utf-8")
    assert "refused unsafe XML" in _error(ext)
