"""Ingest scans into a workspace book: PDFs (rasterised), multi-page TIFFs, JPEG, PNG, folders.

Each page is stored once, keyed by the sha256 of its decoded pixels (or of the rendered PDF
page), so ingesting the same file twice adds nothing. Pages continue the book's numbering.
A bad file (corrupt, empty, password PDF, not an image, over the pixel limit, unreadable,
missing) becomes one ``(path, reason)`` failure; the other files still go in.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sohoa.errors import SohoaError
from sohoa.originals import Original, image_original, pdf_page_jpeg
from sohoa.records import Book
from sohoa.settings import Settings
from sohoa.store import ReceivedFile, Workspace

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".png")


class IngestError(SohoaError, ValueError):
    """One input cannot be ingested; the message says why (without the path)."""


@dataclass(frozen=True)
class IngestReport:
    book: Book
    added: int
    duplicates: int
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    page_ids: list[int] = field(default_factory=list)  # pages added, in order
    book_removed: bool = False  # the book was new and nothing went in: not kept empty
    spreads: int = 0  # scans of two facing pages, each stored as two pages

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class _Source:
    path: Path
    kind: str  # "pdf" or "image"
    pages: int
    received: ReceivedFile | None = None  # the file's sha256 and size as received


def natural_key(path: Path) -> list[object]:
    """Sort key so that ``page2`` comes before ``page10``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def pixel_sha256(image: np.ndarray) -> str:
    """sha256 of an image's shape and pixels: the page identity used for de-duplication."""
    arr = np.ascontiguousarray(image)
    h = hashlib.sha256(f"{arr.shape}|{arr.dtype}|".encode())
    h.update(memoryview(arr).cast("B"))  # type: ignore[arg-type]
    return h.hexdigest()


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control characters (escape sequences, new lines,
    bidi overrides) shown as ``\\x1b``-style escapes; letters of any script kept."""
    out = []
    for ch in str(text):
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp", "Cs") or (cat == "Co"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
                       if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def _walk(root: Path, failures: list[tuple[str, str]]) -> list[Path]:
    """Image files under ``root`` (symbolic links followed); a link back to a folder already
    walked (a loop) and a broken link are reported, not skipped silently."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def denied(err: OSError) -> None:
        failures.append((str(err.filename), f"cannot read folder ({err.strerror or err})"))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=denied):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen:
            target = os.path.realpath(dirpath)
            failures.append((dirpath, f"symbolic link loop (leads back to {target}), skipped"))
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            path = Path(dirpath) / name
            if name.startswith(".") or path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if path.is_symlink() and not path.exists():
                failures.append((str(path), "broken symbolic link"))
                continue
            if path.is_file():
                found.append(path)
    return found


def expand_paths(paths: Sequence[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to ingest in order (folders walked, naturally sorted) and the paths that failed."""
    files: list[Path] = []
    failures: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                if not os.access(path, os.R_OK | os.X_OK):
                    raise PermissionError(str(path))
                found = _walk(path, failures)
                if not found:
                    failures.append((str(path), "folder holds no PDF, TIFF, JPEG or PNG files"))
                files.extend(sorted(found, key=natural_key))
            elif path.exists():
                files.append(path)
            elif path.is_symlink():
                failures.append((str(path), "broken symbolic link"))
            else:
                failures.append((str(path), "no such file or folder"))
        except PermissionError:
            failures.append((str(path), "permission denied"))
        except OSError as exc:  # e.g. ELOOP on a link that points at itself
            failures.append((str(path), f"cannot open ({exc.strerror or exc})"))
    return files, failures


def _sniff(path: Path, settings: Settings) -> _Source:
    """Open ``path`` far enough to know its kind and page count; IngestError if unusable."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except PermissionError as exc:
        raise IngestError("permission denied") from exc
    except IsADirectoryError as exc:
        raise IngestError("is a folder") from exc
    except OSError as exc:
        raise IngestError(f"cannot read ({exc.strerror or exc})") from exc
    if not head:
        raise IngestError("file is empty (0 bytes)")
    if head.startswith(b"%PDF"):
        with _open_pdf(path) as doc:
            return _Source(path, "pdf", doc.page_count, received_file(path))
    with _open_image(path, settings) as im:
        return _Source(path, "image", int(getattr(im, "n_frames", 1)), received_file(path))


def received_file(path: Path) -> ReceivedFile:
    """The file's full name, sha256 and size, read as received."""
    h, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise IngestError(f"cannot read ({exc.strerror or exc})") from exc
    return ReceivedFile(str(path.resolve()), h.hexdigest(), size)


def _open_pdf(path: Path):  # type: ignore[no-untyped-def]
    import pymupdf

    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # noqa: BLE001 - mupdf raises several types for broken files
        raise IngestError(f"not a readable PDF ({exc})") from exc
    if doc.needs_pass:
        doc.close()
        raise IngestError("PDF is protected by a password; remove the password and try again")
    if doc.page_count == 0:
        doc.close()
        raise IngestError("PDF has no pages")
    return doc


def _open_image(path: Path, settings: Settings):  # type: ignore[no-untyped-def]
    from sohoa.imageio import ImageError, open_image

    try:
        return open_image(path, settings.max_image_pixels)
    except ImageError as exc:
        raise IngestError(str(exc)) from exc


def _to_array(frame) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A Pillow frame as grey (H, W) or RGB (H, W, 3) uint8; alpha composited on white."""
    from sohoa.imageio import frame_array

    return frame_array(frame)


def _collapse_grey(arr: np.ndarray) -> np.ndarray:
    """Store grey scans as one channel (a third of the memory, smaller PNGs)."""
    if arr.ndim == 3 and np.array_equal(arr[..., 0], arr[..., 1]) \
            and np.array_equal(arr[..., 1], arr[..., 2]):
        return np.ascontiguousarray(arr[..., 0])
    return arr


def _pages(src: _Source, settings: Settings) -> Iterator[tuple[str, np.ndarray | IngestError,
                                                                 Original | None]]:
    """(label, image, original bytes to keep) per page; a page that fails yields its
    IngestError instead of the image."""
    label = str(src.path.resolve())
    if src.kind == "pdf":
        yield from _pdf_pages(src, label, settings)
        return
    from PIL import ImageOps, ImageSequence

    with _open_image(src.path, settings) as im:
        for i, frame in enumerate(ImageSequence.Iterator(im)):
            name = label if src.pages == 1 else f"{label}#page={i + 1}"
            try:
                frame.load()
                if src.pages == 1:
                    frame = ImageOps.exif_transpose(frame)  # phone photos: upright as seen
                arr = _to_array(frame)
                yield name, arr, image_original(src.path, im, frame, src.pages)
            except (OSError, ValueError, SyntaxError) as exc:
                yield name, IngestError(f"image data is truncated or corrupt ({exc})"), None


def _pdf_pages(
    src: _Source, label: str, settings: Settings
) -> Iterator[tuple[str, np.ndarray | IngestError, Original | None]]:
    import pymupdf

    zoom = settings.pdf_dpi / 72.0
    with _open_pdf(src.path) as doc:
        for i in range(doc.page_count):
            name = label if doc.page_count == 1 else f"{label}#page={i + 1}"
            try:
                page = doc[i]
                box = (page.rect * pymupdf.Matrix(zoom, zoom)).irect
                w, h = box.width, box.height
                if w * h > settings.max_image_pixels:
                    raise IngestError(
                        f"page renders to {w}x{h} pixels at {settings.pdf_dpi} dpi, over the"
                        f" limit of {settings.max_image_pixels} (max_image_pixels)"
                    )
                kept = pdf_page_jpeg(doc, page, w, h)
                if kept is not None:
                    yield name, kept[1], kept[0]
                    continue
                pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False,
                                      colorspace=pymupdf.csRGB)
                arr = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, 3)
                yield name, _collapse_grey(arr), None
            except IngestError as exc:
                yield name, exc, None
            except Exception as exc:  # noqa: BLE001 - mupdf errors on damaged pages
                yield name, IngestError(f"page cannot be rendered ({exc})"), None


def _template_of(book: Book):  # type: ignore[no-untyped-def]  # -> Template | None
    """The book's template (to put an upside-down spread's pages in order), or None."""
    from sohoa.template import Template

    try:
        return Template.for_book(book)
    except Exception as exc:  # noqa: BLE001 - only the spreads' order depends on it
        log.debug("no template for book %s: %s", book.id, exc)
        return None


def ingest(
    ws: Workspace,
    paths: Sequence[str | Path],
    book: Book,
    settings: Settings | None = None,
    progress: bool = False,
    on_failure: Callable[[str, str], None] | None = None,
    threads: int | None = None,
    split_spreads: bool = True,
) -> IngestReport:
    """Add every page of ``paths`` to ``book`` (created if new) in ``ws``; never raises per file.

    ``split_spreads``: a scan of two facing pages (``preprocessing.spread``) is stored as two
    pages, left then right (sources ``...#side=left`` / ``#side=right``), each read on its own.

    ``on_failure(path, reason)`` is called as each failure happens (the CLI prints it).
    Hashing and PNG encoding run on ``threads`` worker threads (default: up to 4 CPUs); rows
    are added in input order by this thread, so page numbers follow the input.
    """
    from tqdm import tqdm

    settings = settings or ws.settings()
    books_before = len(ws.books())
    stored = ws.add_book(book)
    created = len(ws.books()) > books_before
    book_id = stored.id or 0
    files, early = expand_paths(paths)
    failures: list[tuple[str, str]] = []

    def fail(path: str, reason: str) -> None:
        path, reason = printable(path), printable(reason)
        failures.append((path, reason))
        log.info("%s: %s", path, reason)
        if on_failure is not None:
            on_failure(path, reason)

    for bad_path, reason in early:
        fail(bad_path, reason)
    sources: list[_Source] = []
    for path in files:
        try:
            sources.append(_sniff(path, settings))
        except IngestError as exc:
            fail(str(path), str(exc))
    template = _template_of(stored) if split_spreads else None
    added, dups, page_ids, n_spreads = 0, 0, [], 0
    total = sum(s.pages for s in sources)
    n_threads = threads or max(1, min(4, os.cpu_count() or 1))
    pending: deque[tuple[str, ReceivedFile | None, Future[list[tuple[str, np.ndarray, str]]]]] \
        = deque()

    def prepare(name: str, image: np.ndarray, original: Original | None
                ) -> list[tuple[str, np.ndarray, str]]:  # worker thread
        """(source, image, sha256) of each page the scan holds, stored: one, or the two
        facing pages of a spread (cut from the scan: their files are PNGs of their pixels)."""
        from preprocessing.spread import split_spread

        halves = split_spread(image, template) if split_spreads else [image]
        if len(halves) == 2:
            out = [(f"{name}#side={side}", half, pixel_sha256(half))
                   for side, half in zip(("left", "right"), halves, strict=True)]
            for _, half, sha in out:
                ws.store_page_file(half, sha)
            return out
        sha = pixel_sha256(image)  # the page's identity: its pixels
        ws.store_page_file(image, sha, original)  # the scan's own bytes when there are some
        return [(name, image, sha)]

    def finish_one() -> None:  # main thread, in page order: the row (and its page number)
        nonlocal added, dups, n_spreads
        name, received, future = pending.popleft()
        try:
            pages = future.result()
        except OSError as exc:
            fail(name, f"cannot store page ({exc})")
            return
        if len(pages) == 2:
            n_spreads += 1
            log.info("%s: two facing pages, stored as two pages", name)
        for source, image, sha in pages:
            page, created = ws.add_page(book_id, image, source, sha, received)
            if created:
                added += 1
                page_ids.append(page.id or 0)
            else:
                dups += 1
                if page.book_id != book_id:
                    log.warning("%s: already stored as page %d of book %d",
                                source, page.page_no, page.book_id)

    with (tqdm(total=total, unit="page", disable=not progress, desc="ingest") as bar,
          ThreadPoolExecutor(n_threads, thread_name_prefix="ingest") as pool):
        for src in sources:
            try:
                for name, image, original in _pages(src, settings):
                    if isinstance(image, IngestError):
                        bar.update(1)
                        fail(name, str(image))
                        continue
                    pending.append((name, src.received,
                                    pool.submit(prepare, name, image, original)))
                    while len(pending) > n_threads:  # bounded memory: a few pages in flight
                        finish_one()
                        bar.update(1)
            except (IngestError, OSError) as exc:
                fail(str(src.path), str(exc))
            while pending:  # keep the pages of one file before the next file's failures
                finish_one()
                bar.update(1)
    log.info("ingest into book %d: %d added, %d duplicates, %d failed",
             book_id, added, dups, len(failures))
    removed = created and not added and not dups and ws.remove_empty_book(book_id)
    return IngestReport(stored, added, dups, failures, page_ids, book_removed=removed,
                        spreads=n_spreads)
