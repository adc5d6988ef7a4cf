"""Shared helpers for the OCR tests: field crops drawn in code with a real font.

Text is rendered with Pillow in DejaVu Sans (Debian fonts-dejavu, found with ``fc-match``), which
has every Vietnamese letter; nothing is downloaded or stored as a test file.
"""

from __future__ import annotations

import subprocess
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sohoa.records import FieldCrop, FieldKind


@cache
def dejavu_path() -> str:
    """The DejaVu Sans TTF on this machine."""
    out = subprocess.run(["fc-match", "-f", "%{file}", "DejaVuSans"], capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def render_line(text: str, size: int = 28, pad: int = 10, width: int | None = None,
                ink: int = 0) -> np.ndarray:
    """A grey uint8 image of ``text`` on one line, dark ink on white."""
    font = ImageFont.truetype(dejavu_path(), size)
    left, top, right, bottom = font.getbbox(text or " ")
    w = width or (right - left + 2 * pad)
    img = Image.new("L", (w, bottom - min(top, 0) + 2 * pad), 255)
    ImageDraw.Draw(img).text((pad - left, pad - min(top, 0)), text, font=font, fill=ink)
    return np.asarray(img, dtype=np.uint8)


def make_crop(field: str, kind: FieldKind, text: str, *, empty: bool = False,
              **render: int) -> FieldCrop:
    """A FieldCrop of rendered ``text`` (a blank white crop when ``empty``)."""
    img = render_line(text, **render) if not empty else np.full((40, 200), 255, np.uint8)
    h, w = img.shape
    return FieldCrop(field=field, kind=kind, image=img, bbox=(0, 0, w, h), empty=empty)
