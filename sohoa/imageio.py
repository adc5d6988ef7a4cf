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


def load_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """RGB uint8 array of the first page of an image file."""
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    try:
        with open_image(path, max_pixels) as im:
            return np.asarray(im.convert("RGB"))
    except ImageError as exc:
        raise ImageError(f"{path}: {exc}") from exc
    except OSError as exc:  # truncated data found while decoding
        raise ImageError(f"{path}: cannot read ({exc})") from exc
