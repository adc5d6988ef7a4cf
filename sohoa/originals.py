"""What ingest keeps of each page: the scan's own bytes, never a bigger re-encoding.

- A JPEG, PNG or single-frame TIFF file is kept byte for byte.
- A frame of a multi-frame TIFF is kept as a one-frame TIFF holding the frame's own
  compressed strips or tiles byte for byte (JPEG, CCITT G4, LZW, deflate, packbits alike: no
  re-encoding), its tags copied; the copy is decoded once and must give the frame's pixels, else
  the frame is re-saved with its lossless compression (or, last resort, the pixels as PNG).
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
        kept = tiff_frame(path, im)
        if kept is not None and _same_pixels(kept, frame):
            return kept, ".tif"
        compression = str(im.info.get("compression", "raw"))
        if compression in LOSSLESS_TIFF:
            buf = io.BytesIO()
            fax = ("group3", "tiff_ccitt", "group4")
            keep = "group4" if frame.mode == "1" else (
                "tiff_lzw" if compression in fax else compression)
            frame.save(buf, "TIFF", compression=keep)
            return buf.getvalue(), ".tif"
    return None


# Tags copied into a kept frame: what a reader needs to decode it. Tags that point elsewhere in
# the original file (EXIF/GPS directories, sub-images) are left out, and so is orientation,
# which ingest does not apply to the frames of a multi-frame file.
FRAME_TAGS = frozenset({254, 255, 256, 257, 258, 259, 262, 266, 277, 278, 282, 283, 284, 296,
                        317, 318, 319, 320, 322, 323, 338, 339, 340, 341, 347, 529, 530, 531,
                        532, 34675})


def tiff_frame(path: Any, im: Any) -> bytes | None:
    """The current frame of TIFF ``im`` (read from ``path``) as a one-frame TIFF whose strips
    or tiles are the original's compressed bytes, copied; None when it cannot be built."""
    import struct

    from PIL import TiffImagePlugin

    src = getattr(im, "tag_v2", None)
    if src is None:
        return None
    off_tag, cnt_tag = (324, 325) if 324 in src else (273, 279)
    try:
        offsets, counts = tuple(src[off_tag]), tuple(src[cnt_tag])
        if len(offsets) != len(counts) or not offsets:
            return None
        segments = []
        with open(path, "rb") as fh:
            for off, n in zip(offsets, counts, strict=True):
                fh.seek(int(off))
                data = fh.read(int(n))
                if len(data) != int(n):
                    return None
                segments.append(data)
        ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
        for tag, value in src.items():
            if tag in FRAME_TAGS:
                ifd[tag] = value
                if tag in src.tagtype:
                    ifd.tagtype[tag] = src.tagtype[tag]
        rel = [sum(len(s) for s in segments[:i]) for i in range(len(segments))]
        ifd[cnt_tag] = tuple(len(s) for s in segments)
        ifd.tagtype[cnt_tag] = 4
        ifd[off_tag] = tuple(rel)  # Pillow moves strip offsets past the directory itself
        ifd.tagtype[off_tag] = 4
        head = ifd.tobytes(8)
        if off_tag == 324:  # tile offsets are not moved: make them absolute
            ifd[off_tag] = tuple(8 + len(head) + r for r in rel)
            head = ifd.tobytes(8)
        return b"II*\x00" + struct.pack("<I", 8) + head + b"".join(segments)
    except Exception as exc:  # noqa: BLE001 - any doubt: the frame is re-saved instead
        log.debug("TIFF frame of %s not copied (%s)", path, exc)
        return None


def _same_pixels(data: bytes, frame: Any) -> bool:
    """Whether the kept ``data`` decodes to exactly the pixels ingest read from ``frame``."""
    from sohoa.imageio import ImageError, decode_page, frame_array

    try:
        got = decode_page(data)
    except ImageError:
        return False
    want = frame_array(frame)
    if want.ndim == 2:
        want = np.repeat(want[:, :, None], 3, axis=2)
    return got.shape == want.shape and bool(np.array_equal(got, want))


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
