"""Reading one image file for commands that take a path (``read``, ``segment``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class ImageError(ValueError):
    """An image file cannot be used; the message names the file and what is wrong."""


def load_image(path: Path, max_pixels: int = 200_000_000) -> np.ndarray:
    """RGB uint8 array of the first page of an image file."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(path) as im:
            if im.width * im.height > max_pixels:
                raise ImageError(
                    f"{path}: {im.width}x{im.height} is over the {max_pixels} pixel limit")
            return np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ImageError(f"{path}: not a readable image ({exc.__class__.__name__})") from exc
    except OSError as exc:
        raise ImageError(f"{path}: cannot read ({exc})") from exc
