"""Input files for the ingest tests, all made here: good scans and every kind of bad input."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from sohoa.records import Book


def book(volume: str = "01/2008") -> Book:
    return Book(None, "KS", 2008, volume, "Chiềng Cơi", "Thuận Châu", "Sơn La", "ks-2006")


def ruled_page(seed: int, size: tuple[int, int] = (300, 220)) -> np.ndarray:
    """A grey page with ruling and a few strokes, different for each seed."""
    rng = np.random.default_rng(seed)
    img = np.full(size, 240, np.uint8)
    img[::25, :] = 60
    img[:, ::40] = 60
    for _ in range(8):
        y, x = int(rng.integers(5, size[0] - 10)), int(rng.integers(5, size[1] - 40))
        img[y:y + 2, x:x + 30] = int(rng.integers(0, 90))
    return img


def write_pdf(path: Path, pages: list[np.ndarray], password: str | None = None) -> Path:
    """A PDF with one image per page (like a scanner makes), optionally password-protected."""
    import pymupdf

    doc = pymupdf.open()
    for arr in pages:
        png = Image.fromarray(arr)
        h, w = arr.shape[:2]
        page = doc.new_page(width=w * 72 / 100, height=h * 72 / 100)  # as scanned at 100 dpi
        import io

        buf = io.BytesIO()
        png.save(buf, "PNG")
        page.insert_image(page.rect, stream=buf.getvalue())
    if password:
        doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password,
                 owner_pw=password + "-owner")
    else:
        doc.save(path)
    return path


def write_tiff(path: Path, pages: list[np.ndarray]) -> Path:
    frames = [Image.fromarray(p) for p in pages]
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return path


def huge_png_header(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A tiny file whose PNG header claims a gigantic image (decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    return path


def bad_files(folder: Path) -> dict[str, Path]:
    """Every bad-input case except permissions, keyed by a short name."""
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "good.png"
    Image.fromarray(ruled_page(1)).save(good)
    data = good.read_bytes()
    out = {
        "truncated": folder / "truncated.png",
        "empty": folder / "empty.jpg",
        "encrypted": write_pdf(folder / "encrypted.pdf", [ruled_page(2)], password="mk"),
        "text": folder / "notes.jpg",
        "huge": huge_png_header(folder / "huge.png"),
        "corrupt_pdf": folder / "broken.pdf",
        "missing": folder / "does-not-exist.png",
    }
    out["truncated"].write_bytes(data[: len(data) // 2])
    out["empty"].write_bytes(b"")
    out["text"].write_text("Sổ đăng ký khai sinh (not a JPEG)", encoding="utf-8")
    out["corrupt_pdf"].write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    return out
