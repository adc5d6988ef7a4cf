"""Image files of the workspace: written atomically (temp file, fsync, rename), read as RGB.

A file either has its complete new content or its old one, even if the process is killed while
writing; the database rows that point at a file are committed only after the rename.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

PNG_COMPRESSION = 1  # zlib level: 1 is ~5x faster than 6 and ~15 % larger on scans


def _for_opencv(image: np.ndarray) -> np.ndarray:
    """A uint8 grey or RGB image in OpenCV's order (BGR, a single channel squeezed)."""
    arr = np.ascontiguousarray(np.asarray(image))
    if arr.dtype != np.uint8:
        raise ValueError(f"image must be uint8, got {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 3:
        return cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    if arr.ndim == 3 and arr.shape[2] == 1:
        return arr[:, :, 0]
    return arr


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a grey (H, W) or RGB (H, W, 3) uint8 image."""
    arr = _for_opencv(image)
    if arr.ndim != 2 and not (arr.ndim == 3 and arr.shape[2] == 3):
        raise ValueError(f"image must be (H, W) or (H, W, 3), got shape {arr.shape}")
    ok, buf = cv2.imencode(".png", arr, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see all of it or none of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def fsync_file(path: Path) -> None:
    """Flush one file's bytes to disk (before it is renamed or marked done)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def write_png(path: Path, image: np.ndarray) -> None:
    write_atomic(path, encode_png(image))


ENTRY_CROP_QUALITY = 80  # JPEG quality of an entry row cut for the review screen
ENTRY_CROP_MAX_SIDE = 1600  # a screen's width; the export cuts its own from the page
# Cells read as empty are kept from processing (the review screen looks for ink in them):
# up to 128 px high (the height ``review_ui.ink`` was calibrated on), WebP q80.
FIELD_CROP_QUALITY = 80
FIELD_CROP_MAX_HEIGHT = 128
# Cells cut for a screen (cache): natural size (a four-line place cell at 300 dpi is ~250 px),
# grey JPEG, fast to write when a page is first viewed.
FIELD_VIEW_QUALITY = 80
FIELD_VIEW_MAX_HEIGHT = 400


def encode_crop(image: np.ndarray, suffix: str, view: bool = False) -> bytes:
    """A crop as a compact file of bounded size: ``.jpg`` (entry rows, colour, for the eye,
    at most :data:`ENTRY_CROP_MAX_SIDE` px; with ``view`` a grey cell for a screen, at most
    :data:`FIELD_VIEW_MAX_HEIGHT` px high) or ``.webp`` (cells kept from processing, at most
    :data:`FIELD_CROP_MAX_HEIGHT` px high)."""
    arr = _for_opencv(image)
    h, w = arr.shape[:2]
    cell = view and arr.ndim == 2
    if suffix == ".jpg":
        scale = min(1.0, (FIELD_VIEW_MAX_HEIGHT / max(h, 1)) if cell else
                    ENTRY_CROP_MAX_SIDE / max(h, w))
    else:
        scale = min(1.0, FIELD_CROP_MAX_HEIGHT / max(h, 1))
    if scale < 1.0:
        arr = cv2.resize(arr, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
    if suffix == ".jpg":
        quality = FIELD_VIEW_QUALITY if cell else ENTRY_CROP_QUALITY
        ok, buf = cv2.imencode(".jpg", arr, [cv2.IMWRITE_JPEG_QUALITY, quality,
                                              cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    elif suffix == ".webp":
        ok, buf = cv2.imencode(".webp", arr, [cv2.IMWRITE_WEBP_QUALITY, FIELD_CROP_QUALITY])
    else:
        return encode_png(image)
    if not ok:
        raise ValueError(f"{suffix} encoding failed")
    return buf.tobytes()


def read_rgb(path: Path) -> np.ndarray:
    """An image file as RGB uint8 (H, W, 3); grey files are expanded to three channels."""
    data = np.fromfile(str(path), dtype=np.uint8)
    arr = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if arr is None:
        raise ValueError(f"{path}: cannot read image")
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    if arr.shape[2] == 4:
        return cv2.cvtColor(arr, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


PAGE_SUFFIXES = (".png", ".jpg", ".tif", ".pdf")


def page_file(workspace: Path, sha256: str) -> Path | None:
    """The stored file of page ``sha256`` in ``workspace/pages`` (whatever its format), or None."""
    for suffix in PAGE_SUFFIXES:
        path = Path(workspace) / "pages" / f"{sha256}{suffix}"
        if path.is_file():
            return path
    return None
