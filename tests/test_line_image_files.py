"""Line and page image files as phones and tools save them: a photo stored sideways with an
EXIF orientation tag, a cut-out line on a transparent background, a 16-bit grey scan. A
trainer's real lines come in all of these; each must reach the reader upright, ink on white
paper, 8 bits (``sohoa.imageio.load_image``, as ``ingest`` reads an image)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from models.lines import read_line_set
from sohoa.imageio import load_image
from tests.lines_helpers import compose_page, draw_lines, write_page_xml

ORIENTATION = 0x0112  # EXIF tag
TURNED = 6  # "rotate 90 degrees clockwise to display": stored turned a quarter counter-clockwise


@pytest.fixture(scope="module")
def drawn() -> list:
    return draw_lines(4, seed=11, writers=2)


def _save_sideways(path: Path, upright: np.ndarray) -> None:
    """``upright`` stored as a phone stores a photo taken in portrait: pixels turned, a tag."""
    exif = Image.Exif()
    exif[ORIENTATION] = TURNED
    Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1))).save(path, exif=exif)


def _save_cut_out(path: Path, grey: np.ndarray) -> None:
    """Ink opaque, paper transparent, every pixel's colour black (as cut-out tools save)."""
    rgba = np.zeros((*grey.shape, 4), np.uint8)
    rgba[..., 3] = 255 - grey
    Image.fromarray(rgba, "RGBA").save(path)


def test_load_image_reads_an_image_as_ingest_does(tmp_path: Path, drawn: list) -> None:
    img = drawn[0][1]
    _save_sideways(tmp_path / "side.png", img)
    got = load_image(tmp_path / "side.png")
    assert got.shape == (*img.shape, 3)  # upright: as wide as the line, not as tall
    assert np.array_equal(got[..., 0], img)
    stored = load_image(tmp_path / "side.png", upright=False)
    assert stored.shape[:2] == img.shape[::-1]
    _save_cut_out(tmp_path / "clear.png", img)
    got = load_image(tmp_path / "clear.png")
    assert np.abs(got[..., 0].astype(int) - img).max() <= 1  # paper white, ink dark
    cv2.imwrite(str(tmp_path / "deep.png"), img.astype(np.uint16) * 257)
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    assert np.array_equal(load_image(tmp_path / "deep.png")[..., 1], img)


def test_line_set_files_saved_sideways_clear_and_16_bit(tmp_path: Path, drawn: list) -> None:
    folder = tmp_path / "lines"
    folder.mkdir()
    saves = (_save_sideways, _save_cut_out,
             lambda p, g: cv2.imwrite(str(p), g.astype(np.uint16) * 257),
             lambda p, g: cv2.imwrite(str(p), g))
    rows = ["file\ttext"]
    for i, ((text, img, _), save) in enumerate(zip(drawn, saves, strict=True)):
        save(folder / f"l{i}.png", img)
        rows.append(f"l{i}.png\t{text}")
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n", "utf-8")
    got = read_line_set(folder)
    assert [ln.text for ln in got.lines] == [t for t, _, _ in drawn]
    for ln, (_, img, _) in zip(got.lines, drawn, strict=True):
        assert ln.image.shape == img.shape
        assert np.abs(ln.image.astype(int) - img).max() <= 1


@pytest.mark.parametrize("frame", ["stored", "upright"])
def test_page_xml_coordinates_of_a_page_stored_sideways(tmp_path: Path, drawn: list,
                                                         frame: str) -> None:
    """A page image stored turned with an EXIF tag: the PAGE file's coordinates may be on the
    upright page (a tool that honours the tag) or on the pixels as stored (one that does not);
    its imageWidth/imageHeight tell which, and every line is cut whole either way."""
    xml = write_page_xml(tmp_path, drawn)
    page, boxes = compose_page(drawn)
    _save_sideways(tmp_path / "page1.png", page)
    if frame == "stored":  # the coordinates turned with the pixels, the frame's size swapped
        h, w = page.shape
        text = xml.read_text("utf-8")
        text = text.replace(f'imageWidth="{w}" imageHeight="{h}"',
                            f'imageWidth="{h}" imageHeight="{w}"')
        for x0, y0, x1, y1 in boxes:  # (x, y) upright -> (y, w - 1 - x) as stored
            old = [f"{x0},{y0 + 2}", f"{x1},{y0}", f"{x1},{y1}", f"{x0 + 3},{y1}"]
            new = [f"{y},{w - 1 - x}" for x, y in ((x0, y0 + 2), (x1, y0), (x1, y1),
                                                 (x0 + 3, y1))]
            text = text.replace('points="' + " ".join(old) + '"', 'points="' + " ".join(new)
                                + '"')
        xml.write_text(text, "utf-8")
    got = read_line_set(tmp_path)
    assert sorted(ln.text for ln in got.lines) == sorted(t for t, _, _ in drawn)
    by_text = {ln.text: ln.image for ln in got.lines}
    for text, img, _ in drawn:
        cut = by_text[text]  # upright either way (cut from the stored pixels, then turned)
        assert abs(cut.shape[1] - img.shape[1]) <= 4 and abs(cut.shape[0] - img.shape[0]) <= 4
        ys, xs = np.nonzero(cut < 160)
        ys0, xs0 = np.nonzero(img < 160)
        assert abs((xs.max() - xs.min()) - (xs0.max() - xs0.min())) <= 3, text


def test_labels_saved_by_excel_as_unicode_text(tmp_path: Path, drawn: list) -> None:
    """Excel's "Unicode text" is UTF-16 with a BOM and CRLF line ends; UTF-8 with a BOM too."""
    rows = ["file\ttext"]
    for i, (text, img, _) in enumerate(drawn):
        cv2.imwrite(str(tmp_path / f"l{i}.png"), img)
        rows.append(f"l{i}.png\t{text}")
    for encoding in ("utf-16", "utf-8-sig"):
        (tmp_path / "labels.tsv").write_bytes("\r\n".join(rows).encode(encoding))
        got = read_line_set(tmp_path)
        assert [ln.text for ln in got.lines] == [t for t, _, _ in drawn], encoding
    (tmp_path / "labels.tsv").write_bytes("\n".join(rows).encode("cp1258", "replace"))
    from models.lines import LinesError

    with pytest.raises(LinesError, match=r"labels\.tsv: not UTF-8 or UTF-16 text"):
        read_line_set(tmp_path)
