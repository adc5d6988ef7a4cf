"""Issue 17 item 7: ingest keeps the scan's own bytes, frame order survives a repaired TIFF,
symbolic link loops and odd file names are reported, an all-failed ingest keeps no empty book."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sohoa.ingest import ingest
from sohoa.records import Book
from sohoa.settings import Settings
from sohoa.store import Workspace

ROOT = Path(__file__).resolve().parents[1]


def book(volume: str = "01/2008") -> Book:
    return Book(None, "KS", 2008, volume, "Chiềng Cơi", "Sơn La", "Sơn La")


def scan(seed: int, size: tuple[int, int] = (400, 300), colour: bool = True) -> np.ndarray:
    """A page-like image: paper, ruling, dark strokes."""
    rng = np.random.default_rng(seed)
    img = np.full((*size, 3), 228, np.uint8) + rng.integers(0, 12, (*size, 3), dtype=np.uint8)
    img[::40, :, :] = 60
    for _ in range(30):
        y, x = int(rng.integers(0, size[0] - 8)), int(rng.integers(0, size[1] - 40))
        img[y:y + 4, x:x + 36] = (30, 30, 120)
    return img if colour else img[..., 0].copy()


def jpeg_bytes(img: np.ndarray, quality: int = 80) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@pytest.fixture()
def ws(tmp_path):
    with Workspace.open(tmp_path / "ws", create=True) as w:
        yield w


def stored_bytes(w: Workspace) -> int:
    return sum(f.stat().st_size for f in (w.path / "pages").iterdir())


def test_a_jpeg_is_kept_byte_for_byte_and_read_back_as_ingested(ws, tmp_path):
    data = jpeg_bytes(scan(1))
    (tmp_path / "p.jpg").write_bytes(data)
    rep = ingest(ws, [tmp_path / "p.jpg"], book())
    page = ws.page(rep.page_ids[0])
    kept = ws.page_path(page.sha256)
    assert kept.suffix == ".jpg" and kept.read_bytes() == data
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    img = ws.page_image(page.id)
    assert img.shape == (page.height, page.width, 3)
    assert np.array_equal(img, np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def test_a_scanned_pdf_keeps_its_jpegs_not_a_bigger_png(ws, tmp_path):
    import pymupdf

    jpegs = [jpeg_bytes(scan(10 + i, (1100, 850))) for i in range(3)]
    doc = pymupdf.open()
    for data in jpegs:  # 850 x 1100 px on a 8.5 x 11 inch page: a 100 dpi scan
        page = doc.new_page(width=612, height=792)
        page.insert_image(page.rect, stream=data)
    doc.save(tmp_path / "scan.pdf")
    rep = ingest(ws, [tmp_path / "scan.pdf"], book(), Settings(pdf_dpi=150))
    assert rep.added == 3 and not rep.failures
    for pid, data in zip(rep.page_ids, jpegs, strict=True):
        page = ws.page(pid)
        assert ws.page_path(page.sha256).read_bytes() == data
        assert (page.width, page.height) == (1275, 1650)  # the page at pdf_dpi, as before
        assert ws.page_image(pid).shape == (1650, 1275, 3)
    size = (tmp_path / "scan.pdf").stat().st_size
    assert stored_bytes(ws) <= 1.2 * size, (stored_bytes(ws), size)


def _tiff(frames: list[np.ndarray], compression: str) -> bytes:
    ims = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    ims[0].save(buf, "TIFF", save_all=True, append_images=ims[1:], compression=compression)
    return buf.getvalue()


def test_tiff_frames_keep_their_compression_and_their_pixels(ws, tmp_path):
    bilevel = [(scan(20 + i, colour=False) > 128) for i in range(3)]
    data_bilevel = _tiff(bilevel, "group4")  # bool arrays: 1-bit frames
    (tmp_path / "fax.tif").write_bytes(data_bilevel)
    rep = ingest(ws, [tmp_path / "fax.tif"], book())
    assert rep.added == 3
    for pid, b in zip(rep.page_ids, bilevel, strict=True):
        kept = ws.page_path(ws.page(pid).sha256)
        assert kept.suffix == ".tif"
        with Image.open(kept) as im:
            assert im.info.get("compression") == "group4"
        assert np.array_equal(ws.page_image(pid)[..., 0], np.where(b, 255, 0))
    assert stored_bytes(ws) <= 1.2 * len(data_bilevel)


def _segments(data: bytes, frame: int) -> list[bytes]:
    """The compressed strips (or tiles) of one frame of a TIFF, as stored in the file."""
    with Image.open(io.BytesIO(data)) as im:
        im.seek(frame)
        off, cnt = (324, 325) if 324 in im.tag_v2 else (273, 279)
        return [data[o:o + n] for o, n in zip(im.tag_v2[off], im.tag_v2[cnt], strict=True)]


def test_jpeg_tiff_frames_are_kept_as_their_jpeg_bytes_not_a_png(ws, tmp_path):
    frames = [scan(50 + i, (1100, 850)) for i in range(3)]
    ims = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    ims[0].save(buf, "TIFF", save_all=True, append_images=ims[1:], compression="jpeg",
                quality=80)
    data = buf.getvalue()
    (tmp_path / "jpeg.tif").write_bytes(data)
    rep = ingest(ws, [tmp_path / "jpeg.tif"], book())
    assert rep.added == 3 and not rep.failures
    for i, pid in enumerate(rep.page_ids):
        page = ws.page(pid)
        kept = ws.page_path(page.sha256)
        assert kept.suffix == ".tif"
        with Image.open(kept) as im:
            assert im.info.get("compression") == "jpeg"
            want = Image.open(io.BytesIO(data))
            want.seek(i)
            assert np.array_equal(np.asarray(im.convert("RGB")), np.asarray(want.convert("RGB")))
        assert _segments(kept.read_bytes(), 0) == _segments(data, i)  # the JPEG bytes, copied
        assert np.array_equal(ws.page_image(pid), np.asarray(want.convert("RGB")))
    assert stored_bytes(ws) <= 1.05 * len(data), (stored_bytes(ws), len(data))


def test_tiled_tiff_frames_are_copied_tile_for_tile(ws, tmp_path):
    import tifffile

    frames = [scan(60 + i, (512, 384), colour=False) for i in range(2)]
    path = tmp_path / "tiled.tif"
    with tifffile.TiffWriter(path) as tw:
        for f in frames:
            tw.write(f, tile=(128, 128), compression="zlib")
    data = path.read_bytes()
    rep = ingest(ws, [path], book())
    assert rep.added == 2 and not rep.failures
    for i, (pid, f) in enumerate(zip(rep.page_ids, frames, strict=True)):
        kept = ws.page_path(ws.page(pid).sha256).read_bytes()
        assert _segments(kept, 0) == _segments(data, i)
        assert np.array_equal(ws.page_image(pid)[..., 0], f)


def test_a_repaired_tiff_keeps_frame_order(ws, tmp_path):
    frames = [scan(30 + i, colour=False) for i in range(3)]
    good = _tiff(frames, "tiff_deflate")
    with Image.open(io.BytesIO(good)) as im:
        im.seek(1)
        offsets, counts = im.tag_v2[273], im.tag_v2[279]  # frame 2's strips
    broken = bytearray(good)
    for off, n in zip(offsets, counts, strict=True):
        broken[off:off + n] = b"\xff" * n  # frame 2's compressed data destroyed
    path = tmp_path / "book.tif"
    path.write_bytes(bytes(broken))
    first = ingest(ws, [path], book())
    assert first.added == 2 and [f[0].endswith("#page=2") for f in first.failures] == [True]
    path.write_bytes(good)  # the repaired file, same place
    again = ingest(ws, [path], book())
    assert again.added == 1 and again.duplicates == 2
    pages = ws.pages()
    assert [p.source.rpartition("=")[2] for p in pages] == ["1", "2", "3"]
    assert [p.page_no for p in pages] == [1, 2, 3]


def test_symlink_loops_and_broken_links_are_reported(ws, tmp_path):
    root = tmp_path / "scans"
    (root / "sub").mkdir(parents=True)
    Image.fromarray(scan(40)).save(root / "a.png")
    Image.fromarray(scan(41)).save(root / "sub" / "b.png")
    os.symlink(root, root / "sub" / "back")  # a loop
    os.symlink(root / "gone.png", root / "dead.png")
    rep = ingest(ws, [root], book())
    assert rep.added == 2
    reasons = dict(rep.failures)
    assert any("loop" in r for r in reasons.values()), rep.failures
    assert any("broken" in r for p, r in rep.failures if p.endswith("dead.png"))


def test_odd_names_are_printed_escaped_and_an_all_failed_ingest_keeps_no_book(tmp_path):
    bad = tmp_path / "p\x1b[31mred\x07.png"
    bad.write_bytes(b"")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-m", "sohoa.cli", "ingest", str(bad), "-w",
                          str(tmp_path / "ws"), "--type", "KS", "--year", "2008", "--volume",
                          "9/2008", "--commune", "X", "-q"], capture_output=True, text=True,
                         env=env, timeout=300)
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert "\x1b" not in res.stderr + res.stdout and "\x07" not in res.stderr + res.stdout
    assert "\\x1b[31mred\\x07.png" in res.stderr, res.stderr
    assert "was not created" in res.stdout and "book 1" not in res.stdout, res.stdout
    with Workspace.open(tmp_path / "ws") as w:
        assert w.books() == []  # nothing went in: no empty book left behind
