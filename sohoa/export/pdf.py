"""One small, legible PDF per entry: the entry's image as a grey JPEG, under a size limit.

Why grey JPEG chosen per crop: a lossless PNG of an entry row is ~3x over the 100 KB limit,
1-bit images are tiny but lose diacritics on noisy scans (ễ reads as ê), and a fixed JPEG
quality either wastes the budget on clean crops or overflows it on busy ones. So each crop is
levelled (paper to white, which JPEG then stores almost for free) and encoded at the highest
quality that fits, shrinking the image only when quality alone cannot reach the limit.

The PDF is reproducible: fixed metadata, no new /ID, garbage-collected and deflated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sohoa.errors import SohoaError

log = logging.getLogger(__name__)

QUALITIES = (85, 75, 65, 55, 45, 38, 32)
SCALES = (1.0, 0.85, 0.72, 0.6, 0.5, 0.42, 0.35)
PDF_OVERHEAD = 3600  # bytes the PDF wrapper adds around the JPEG stream (measured ~3.4 KB)
MIN_PDF_KB = 4  # below this the wrapper leaves no room for any image
MAX_SIDE = 2400  # an entry row wider than this is downscaled first: beyond ~300 dpi adds nothing
SCAN_DPI = 300  # page size is drawn as if the scan were 300 dpi


class PdfError(SohoaError, ValueError):
    """The entry image cannot be turned into a PDF within the limits."""


@dataclass(frozen=True)
class PdfResult:
    path: Path
    bytes: int
    quality: int
    scale: float
    width: int  # pixels of the embedded image
    height: int


def level_grey(image: np.ndarray) -> np.ndarray:
    """Grey uint8 with paper pushed to white and ink to black (percentile stretch)."""
    import cv2

    if image.ndim == 3:
        code = cv2.COLOR_RGBA2GRAY if image.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        grey = cv2.cvtColor(image, code)
    else:
        grey = image
    grey = np.ascontiguousarray(grey, dtype=np.uint8)
    sample = grey[:: max(1, grey.shape[0] // 200), :: max(1, grey.shape[1] // 400)]
    lo, hi = np.percentile(sample, (1.0, 70.0))  # most of an entry row is paper
    if hi - lo < 40:  # nearly blank or very faint: leave alone rather than amplify noise
        return grey
    lut = np.clip((np.arange(256, dtype=np.float32) - lo) * (255.0 / (hi - lo)), 0, 255)
    levelled = cv2.LUT(grey, lut.astype(np.uint8))
    # a 3x3 median removes scanner speckle (which JPEG pays dearly for) but not pen strokes,
    # which are 4-6 px wide at 300 dpi
    return cv2.medianBlur(levelled, 3)


def encode_jpeg(grey: np.ndarray, quality: int) -> bytes:
    """Baseline grey JPEG (no EXIF, no timestamps) at the given quality."""
    import cv2

    ok, buf = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, quality,
                                          cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise PdfError("JPEG encoding failed")
    return buf.tobytes()


def _resize(grey: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    if scale >= 0.999:
        return grey
    h, w = grey.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def choose_jpeg(grey: np.ndarray, budget: int) -> tuple[bytes, int, float, tuple[int, int]]:
    """The best (quality first, then scale) JPEG of ``grey`` not above ``budget`` bytes."""
    for scale in SCALES:
        img = _resize(grey, scale)
        for quality in QUALITIES:
            data = encode_jpeg(img, quality)
            if len(data) <= budget:
                return data, quality, scale, (img.shape[1], img.shape[0])
    raise PdfError(f"the entry image does not fit in {budget} bytes (the PDF limit less its"
                   f" wrapper) even at scale {SCALES[-1]} and quality {QUALITIES[-1]}; raise"
                   " --pdf-max-kb")


def pdf_bytes(jpeg: bytes, width_px: int, height_px: int, page_w_pt: float, page_h_pt: float,
              title: str = "") -> bytes:
    """A one-page PDF showing the JPEG over the whole page, with fixed metadata."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=page_w_pt, height=page_h_pt)
    page.insert_image(page.rect, stream=jpeg, keep_proportion=False)
    doc.set_metadata({
        "title": title, "author": "", "subject": "", "keywords": "",
        "creator": "sohoa", "producer": "sohoa", "creationDate": "", "modDate": "",
    })
    data: bytes = doc.tobytes(garbage=4, deflate=True, no_new_id=True)
    doc.close()
    return data


def entry_pdf(image: np.ndarray, path: Path, max_kb: int = 100, title: str = "") -> PdfResult:
    """Write the entry image as a PDF of at most ``max_kb`` KB (1 KB = 1024 bytes)."""
    if image is None or image.size == 0:
        raise PdfError(f"{path.name}: the entry image is empty")
    grey = level_grey(image)
    h, w = grey.shape[:2]
    if max(h, w) > MAX_SIDE:
        grey = _resize(grey, MAX_SIDE / max(h, w))
    page_w, page_h = w * 72.0 / SCAN_DPI, h * 72.0 / SCAN_DPI
    limit = max_kb * 1024
    budget = limit - PDF_OVERHEAD
    while True:
        if budget < 256:
            raise PdfError(f"{path.name}: a PDF of at most {max_kb} KB leaves no room for the"
                           " entry image")
        try:
            jpeg, quality, scale, (jw, jh) = choose_jpeg(grey, budget)
        except PdfError as exc:
            raise PdfError(f"{path.name}: {exc}") from exc
        data = pdf_bytes(jpeg, jw, jh, page_w, page_h, title)
        if len(data) <= limit:
            break
        budget -= len(data) - limit + 512  # wrapper larger than assumed: tighten and retry
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    if scale < 0.6 or quality < 45:
        log.info("%s: squeezed to scale %.2f quality %d to fit %d KB", path.name, scale,
                 quality, max_kb)
    return PdfResult(path, len(data), quality, scale, jw, jh)


def load_image(path: Path) -> np.ndarray:
    """Read an entry crop from disk as grey uint8; clear error when missing or unreadable."""
    import cv2

    if not Path(path).is_file():
        raise PdfError(f"{path}: entry image not found")
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise PdfError(f"{path}: not a readable image")
    return img
