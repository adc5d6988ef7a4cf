"""Opening image files under a pixel limit: one opener for ``ingest`` (every frame) and for the
commands that take one image path (``read``, ``segment``, ``evaluate``)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from sohoa.errors import SohoaError

DEFAULT_MAX_PIXELS = 200_000_000


class ImageError(SohoaError, ValueError):
    """An image file cannot be used; the message says what is wrong (``load_image`` adds the
    file name; ``ingest`` adds it in its own report)."""


def open_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Any:
    """A lazily decoded Pillow image, refused when it is not an image or over ``max_pixels``."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow refuses > 2x this at open; we check the rest
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{found.group(1)} pixels" if found else "too many pixels"
        raise ImageError(
            f"image has {size}, over the limit of {max_pixels} (max_image_pixels)") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("not an image or PDF (content not recognised)") from exc
    except OSError as exc:
        raise ImageError(f"cannot read ({exc})") from exc
    if im.width * im.height > max_pixels:
        im.close()
        raise ImageError(
            f"image is {im.width}x{im.height} = {im.width * im.height} pixels, over the limit of"
            f" {max_pixels} (max_image_pixels)")
    return im


def load_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS, upright: bool = True
               ) -> np.ndarray:
    """RGB uint8 array of the first page of an image file, read as ``ingest`` reads one:
    turned upright as its EXIF orientation says (a phone's photo is stored sideways with a
    tag; ``upright`` false: the pixels as stored, the frame a PAGE file's coordinates may
    refer to), transparency on white (a cut-out line image's clear background is no ink),
    16-bit and float grey scaled to 8 bits (``frame_array``)."""
    from PIL import ImageOps

    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    try:
        with open_image(path, max_pixels) as im:
            return _rgb(frame_array(ImageOps.exif_transpose(im) if upright else im))
    except ImageError as exc:
        raise ImageError(f"{path}: {exc}") from exc
    except OSError as exc:  # truncated data found while decoding
        raise ImageError(f"{path}: cannot read ({exc})") from exc
    except (ValueError, SyntaxError) as exc:  # a corrupt EXIF block or image data
        raise ImageError(f"{path}: image data is corrupt ({exc})") from exc


# EXIF orientation -> the Pillow transpose that shows the stored pixels upright (as
# ``ImageOps.exif_transpose`` applies it)
_TURNS = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
          6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}


def exif_turn(path: Path) -> str | None:
    """The name of the transpose (``PIL.Image.Transpose``) that turns an image file's stored
    pixels upright by its EXIF orientation; None when it has none or is stored upright."""
    try:
        with open_image(Path(path)) as im:
            return _TURNS.get(int(im.getexif().get(0x0112, 1)))
    except (ImageError, OSError, ValueError, SyntaxError, TypeError):
        return None


def turned(image: np.ndarray, turn: str | None) -> np.ndarray:
    """``image`` (grey or RGB uint8) transposed by ``turn`` (an ``exif_turn`` name)."""
    if turn is None:
        return image
    from PIL import Image

    return np.asarray(Image.fromarray(image).transpose(getattr(Image.Transpose, turn)))


def decode_page(data: bytes, width: int = 0, height: int = 0) -> np.ndarray:
    """A stored page file's bytes (JPEG, PNG or TIFF as kept at ingest) as the RGB uint8 image
    the pipeline reads: upright (EXIF orientation), alpha on white, and resized to
    ``width`` x ``height`` when the kept original has another size (a PDF page's JPEG, which the
    page's pixels were derived from at ``pdf_dpi``). Deterministic, so ingest hashes the same
    pixels that every later reader gets."""
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageError("page file is empty (0 bytes)")
    try:
        with Image.open(io.BytesIO(data)) as im:
            im = ImageOps.exif_transpose(im)
            arr = frame_array(im)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"page image cannot be decoded ({exc})") from exc
    return _rgb(fit_size(arr, width, height))


def _rgb(arr: np.ndarray) -> np.ndarray:
    """A grey (H, W) or RGB (H, W, 3) uint8 array as a contiguous RGB one."""
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    return np.ascontiguousarray(arr)


def fit_size(arr: np.ndarray, width: int, height: int) -> np.ndarray:
    """``arr`` resized to (height, width) when both are given and differ (area or cubic)."""
    import cv2

    if not width or not height or (arr.shape[0], arr.shape[1]) == (height, width):
        return arr
    shrink = width * height < arr.shape[0] * arr.shape[1]
    return cv2.resize(arr, (width, height),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def frame_array(frame: Any) -> np.ndarray:
    """A Pillow frame as grey (H, W) or RGB (H, W, 3) uint8; alpha composited on white."""
    from PIL import Image

    mode = frame.mode
    if mode in ("1", "L"):
        return np.asarray(frame.convert("L"))
    if mode.startswith("I") or mode == "F":  # 16/32-bit integer or float grey
        arr = np.asarray(frame).astype(np.float64)
        top = float(arr.max()) if arr.size else 0.0
        if mode == "F" and top <= 1.0:
            scale = 255.0
        elif top <= 255:
            scale = 1.0
        elif top <= 65535:
            scale = 255.0 / 65535.0  # the 16-bit range, not the image's own maximum
        else:
            scale = 255.0 / top
        return np.clip(np.rint(arr * scale), 0, 255).astype(np.uint8)
    if mode in ("LA", "RGBA", "PA") or (mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(white, rgba)
    return np.asarray(frame.convert("RGB"))
