"""What ingest keeps of each page: the scan's own bytes, never a bigger re-encoding.

- A JPEG, PNG or single-frame TIFF file is kept byte for byte.
- A frame of a multi-frame TIFF is kept as a one-frame TIFF with the file's own lossless
  compression (CCITT G4, LZW, deflate, packbits); a JPEG-compressed frame becomes a PNG.
- A PDF page that is one upright JPEG covering the page (what scanners write) keeps that JPEG;
  the page's pixels are that JPEG resized to the page's size at ``pdf_dpi`` (never above the
  JPEG's own resolution, never below 150 dpi; :func:`sohoa.imageio.decode_page` does the same
  for every later reader). Other PDF pages
  are rendered and kept as PNG, as before.

:func:`sohoa.imageio.decode_page` turns any kept file back into the page's pixels.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

LOSSLESS_TIFF = {"group4", "group3", "tiff_ccitt", "tiff_lzw", "tiff_adobe_deflate",
                 "tiff_deflate", "packbits", "raw"}

Original = tuple[bytes, str]  # (file bytes, suffix)


def image_original(path: Any, im: Any, frame: Any, frames: int) -> Original | None:
    """The bytes to keep for one frame of an image file (None: keep the derived pixels)."""
    fmt = (im.format or "").upper()
    if frames == 1 and fmt in ("JPEG", "PNG", "TIFF"):
        suffix = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif"}[fmt]
        with open(path, "rb") as fh:
            return fh.read(), suffix
    if fmt == "TIFF":
        compression = str(im.info.get("compression", "raw"))
        if compression in LOSSLESS_TIFF:
            buf = io.BytesIO()
            fax = ("group3", "tiff_ccitt", "group4")
            keep = "group4" if frame.mode == "1" else (
                "tiff_lzw" if compression in fax else compression)
            frame.save(buf, "TIFF", compression=keep)
            return buf.getvalue(), ".tif"
    return None


MIN_DPI = 150  # a scan below this is brought up to it (the pipeline reads 150-400 dpi)


def _no_upsampling(info: dict, page: Any, width: int, height: int) -> tuple[int, int]:
    """The page's size in pixels: ``pdf_dpi`` (``width`` x ``height``), but not above the
    JPEG's own resolution, which upsampling would only inflate (a 200 dpi scan stays 200 dpi
    instead of becoming 300), and not below :data:`MIN_DPI`."""
    native_w = int(info.get("width") or 0)
    if not native_w or native_w >= width:
        return width, height
    inches = page.rect.width / 72.0
    dpi = max(native_w / inches, min(MIN_DPI, width / inches))
    scale = dpi / (width / inches)
    return max(1, round(width * scale)), max(1, round(height * scale))


def pdf_page_jpeg(doc: Any, page: Any, width: int, height: int
                  ) -> tuple[Original, np.ndarray] | None:
    """When ``page`` is one upright JPEG covering it: (its bytes, the page's pixels at
    ``width`` x ``height``); else None (the page is rendered)."""
    from sohoa.imageio import decode_page

    try:
        if page.rotation or len(page.get_images(full=True)) != 1:
            return None
        xref = page.get_images(full=True)[0][0]
        rects = page.get_image_rects(xref, transform=True)
        if len(rects) != 1:
            return None
        rect, m = rects[0]
        if abs(m.b) > 1e-6 or abs(m.c) > 1e-6 or m.a <= 0 or m.d <= 0:
            return None
        if any(abs(a - b) > 1.0 for a, b in zip(tuple(rect), tuple(page.rect), strict=True)):
            return None
        info = doc.extract_image(xref)
        if info.get("ext") not in ("jpeg", "jpg") or info.get("colorspace") not in (1, 3):
            return None
        data = bytes(info["image"])
        width, height = _no_upsampling(info, page, width, height)
        arr = decode_page(data, width, height)
    except Exception as exc:  # noqa: BLE001 - any doubt: render the page instead
        log.debug("PDF page %s: not kept as its JPEG (%s)", getattr(page, "number", "?"), exc)
        return None
    if np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 1], arr[..., 2]):
        arr = np.ascontiguousarray(arr[..., 0])
    return (data, ".jpg"), arr
