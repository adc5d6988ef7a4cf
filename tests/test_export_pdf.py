"""Per-entry PDFs: under the size limit, grey JPEG (never 1-bit), legible, reproducible."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from sohoa.export.pdf import PdfError, entry_pdf, load_image

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = ("Nguyễn Thị Hồng Nhung  Lò Văn Ánh  Quàng Thị Đôi",
         "Bản Nà Sản, xã Chiềng Ban, huyện Mai Sơn, tỉnh Sơn La")


def printed_crop(width=2400, height=300, noise=14.0, seed=0) -> np.ndarray:
    """An entry row of printed Vietnamese on grey, noisy paper."""
    img = Image.new("L", (width, height), 228)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, max(16, height // 8))
    for i, line in enumerate(LINES):
        draw.text((30, 30 + i * height // 2.5), line, fill=35, font=font)
    arr = np.asarray(img, dtype=np.float32)
    arr += np.random.default_rng(seed).normal(0, noise, arr.shape)
    return np.clip(arr, 0, 255).astype(np.uint8)


def render(path, zoom=1.0) -> np.ndarray:
    doc = pymupdf.open(path)
    pix = doc[0].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY)
    return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width)


def ocr(img: np.ndarray) -> str:
    import pytesseract

    return " ".join(pytesseract.image_to_string(Image.fromarray(img), lang="vie",
                                                config="--psm 6").split())


@pytest.mark.parametrize("size,noise,limit", [
    ((2400, 300), 14.0, 100), ((4200, 700), 30.0, 100), ((1200, 150), 5.0, 100),
    ((2400, 300), 30.0, 30), ((60, 20), 0.0, 100),
])
def test_pdf_is_under_the_limit_and_grey_jpeg(tmp_path, size, noise, limit):
    out = tmp_path / "e.pdf"
    res = entry_pdf(printed_crop(*size, noise=noise), out, max_kb=limit)
    assert out.stat().st_size == res.bytes <= limit * 1024
    doc = pymupdf.open(out)
    (xref, *_), = doc[0].get_images()
    info = doc.extract_image(xref)
    assert info["ext"] == "jpeg" and info["colorspace"] == 1 and info["bpc"] == 8


def test_pdf_is_legible_for_tesseract(tmp_path):
    crop = printed_crop(noise=20.0)
    truth = " ".join(" ".join(LINES).split())
    res = entry_pdf(crop, tmp_path / "e.pdf", max_kb=100)
    page_w = crop.shape[1] * 72 / 300
    rendered = render(tmp_path / "e.pdf", zoom=crop.shape[1] / page_w)
    cer_orig = Levenshtein.normalized_distance(ocr(crop), truth)
    cer_pdf = Levenshtein.normalized_distance(ocr(rendered), truth)
    assert cer_pdf <= cer_orig + 0.02, (cer_orig, cer_pdf, res)
    assert cer_pdf < 0.05


def test_pdf_bytes_are_reproducible(tmp_path):
    crop = printed_crop()
    a = entry_pdf(crop, tmp_path / "a.pdf", title="12/2008")
    b = entry_pdf(crop, tmp_path / "b.pdf", title="12/2008")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert a.bytes == b.bytes
    meta = pymupdf.open(tmp_path / "a.pdf").metadata
    assert meta["creationDate"] == "" and meta["modDate"] == ""


def test_bad_inputs_name_the_file(tmp_path):
    with pytest.raises(PdfError, match="missing.png"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(PdfError, match="junk.png"):
        load_image(tmp_path / "junk.png")
    with pytest.raises(PdfError, match="e.pdf"):
        entry_pdf(np.zeros((0, 0), np.uint8), tmp_path / "e.pdf")
