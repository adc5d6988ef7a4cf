"""Labelled handwritten lines that trainers bring: a folder of line images with ``labels.tsv``,
or PAGE XML (Transkribus, eScriptorium) or ALTO files with their page images.

- ``labels.tsv``: ``file<TAB>text[<TAB>writer]`` per line, paths relative to the folder; a first
  row ``file<TAB>text...`` is a header and skipped; blank lines and ``#`` comments are skipped.
- PAGE XML: each ``TextLine`` gives ``Coords/@points`` (or ``Point`` children, 2010 schema) and
  ``TextEquiv/Unicode`` (else its words' texts joined); the page image is ``Page/@imageFilename``
  next to the XML or one folder up. The line is cut on its polygon's box with the outside of the
  polygon painted paper.
- ALTO: each ``TextLine`` gives ``HPOS/VPOS/WIDTH/HEIGHT`` and its ``String/@CONTENT`` joined by
  spaces; the image is ``sourceImageInformation/fileName``; coordinates in another unit than
  pixels are scaled by image width / ``Page/@WIDTH``.
- ``writers.tsv`` (optional, XML folders): ``xml file name<TAB>writer id``.

XML is parsed with defusedxml (no entities, no DTDs, no network). Text is NFC. A problem is one
:class:`LinesError` line naming the file and what is wrong.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sohoa.errors import SohoaError
from sohoa.imageio import turned

log = logging.getLogger(__name__)

LABELS = "labels.tsv"
WRITERS = "writers.tsv"


class LinesError(SohoaError, ValueError):
    """A labelled line set cannot be read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class LabelledLine:
    image: np.ndarray  # grey uint8, dark ink on light paper
    text: str  # NFC
    writer: str  # "" when unknown
    source: str  # "img.png" or "page.xml#line-id"
    kind: str = "text"


@dataclass(frozen=True)
class LineSet:
    name: str
    folder: Path
    format: str  # "tsv", "page" or "alto"
    lines: tuple[LabelledLine, ...]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def writers(self) -> set[str]:
        return {ln.writer for ln in self.lines if ln.writer}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _grey(path: Path, frame: tuple[float, float] | None = None
          ) -> tuple[np.ndarray, str | None]:
    """The image grey, upright as its EXIF orientation says (``sohoa.imageio.load_image``),
    and None. ``frame``: the (width, height) a PAGE/ALTO file gives its page (or their
    ratio, in its units): when the upright image lies across it and the pixels as stored do
    not, the file's coordinates are on the stored pixels: those are returned with the turn
    (``sohoa.imageio.exif_turn``) that sets a crop cut from them upright."""
    import cv2

    from sohoa.imageio import ImageError, exif_turn, load_image

    turn = None
    try:
        rgb = load_image(path)
        if frame is not None and _across(rgb.shape, frame):
            raw = load_image(path, upright=False)
            if not _across(raw.shape, frame):
                rgb, turn = raw, exif_turn(path)
    except ImageError as exc:
        raise LinesError(str(exc)) from exc
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), turn


def _across(shape: tuple[int, ...], frame: tuple[float, float]) -> bool:
    """Whether an image of ``shape`` lies across a page frame (width, height): one is
    landscape and the other portrait (a square either way is not turned)."""
    h, w = shape[:2]
    fw, fh = frame
    return fw > 0 and fh > 0 and w != h and fw != fh and (w > h) != (fw > fh)


def _frame(el, w: str, h: str) -> tuple[float, float] | None:  # type: ignore[no-untyped-def]
    """An element's page size attributes as numbers, None when missing or not numbers."""
    try:
        return float(el.get(w, "")), float(el.get(h, ""))
    except ValueError:
        return None


def read_line_set(folder: Path) -> LineSet:
    """The labelled lines of one folder, in whichever of the three formats it holds."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LinesError(f"{folder}: not a folder (give a folder with labels.tsv, PAGE or ALTO)")
    if (folder / LABELS).exists():
        return _read_tsv(folder)
    xmls = sorted(p for p in folder.rglob("*.xml") if p.is_file())
    if not xmls:
        raise LinesError(f"{folder}: no labels.tsv and no PAGE/ALTO .xml files")
    writers = _writers(folder)
    lines: list[LabelledLine] = []
    skipped = {"no_text": 0}
    formats = set()
    for xml in xmls:
        root = _parse(xml)
        tag = _local(root.tag)
        if tag == "PcGts":
            formats.add("page")
            got, empty = _page_lines(xml, root, writers.get(xml.name, ""))
        elif tag == "alto":
            formats.add("alto")
            got, empty = _alto_lines(xml, root, writers.get(xml.name, ""))
        else:
            log.warning("%s: root <%s> is neither PAGE nor ALTO; skipped", xml, tag)
            continue
        lines += got
        skipped["no_text"] += empty
    if not lines:
        raise LinesError(f"{folder}: no transcribed lines in its PAGE/ALTO files")
    return LineSet(folder.name, folder, "+".join(sorted(formats)), tuple(lines), skipped)


def _writers(folder: Path) -> dict[str, str]:
    path = folder / WRITERS
    if not path.exists():
        return {}
    out = {}
    for no, row in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not row.strip() or row.startswith("#"):
            continue
        parts = row.split("\t")
        if len(parts) != 2 or not parts[1].strip():
            raise LinesError(f"{path}:{no}: expected 'xml file<TAB>writer id'")
        out[parts[0].strip()] = parts[1].strip()
    return out


def _read_tsv(folder: Path) -> LineSet:
    path = folder / LABELS
    data = path.read_bytes()
    try:  # UTF-8 (with or without a BOM), or UTF-16 with its BOM (Excel's "Unicode text")
        utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        rows = data.decode("utf-16" if utf16 else "utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise LinesError(f"{path}: not UTF-8 or UTF-16 text ({exc.reason})") from exc
    lines: list[LabelledLine] = []
    skipped = {"no_text": 0}
    for no, row in enumerate(rows, 1):
        if not row.strip() or row.startswith("#"):
            continue
        parts = row.split("\t")
        if no == 1 and parts[0].strip().lower() in ("file", "image", "path"):
            continue
        if len(parts) not in (2, 3):
            raise LinesError(f"{path}:{no}: expected 'file<TAB>text[<TAB>writer]', "
                             f"got {len(parts)} column(s)")
        name, text = parts[0].strip(), _nfc(parts[1])
        writer = parts[2].strip() if len(parts) == 3 else ""
        image_path = (folder / name).resolve()
        if not image_path.is_relative_to(folder.resolve()):
            raise LinesError(f"{path}:{no}: image {name!r} is outside the folder")
        if not image_path.is_file():
            raise LinesError(f"{path}:{no}: image {name!r} not found in {folder}")
        if not text:
            skipped["no_text"] += 1
            continue
        lines.append(LabelledLine(_grey(image_path)[0], text, writer, name))
    if not lines:
        raise LinesError(f"{path}: no labelled lines")
    return LineSet(folder.name, folder, "tsv", tuple(lines), skipped)


def _parse(path: Path):  # type: ignore[no-untyped-def]
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        return SafeET.parse(str(path), forbid_dtd=True).getroot()
    except DefusedXmlException as exc:
        raise LinesError(f"{path}: refused unsafe XML ({type(exc).__name__})") from exc
    except ParseError as exc:
        raise LinesError(f"{path}: not well-formed XML ({exc})") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el, name: str) -> list:  # type: ignore[no-untyped-def]
    return [c for c in el if _local(c.tag) == name]


def _descendants(el, name: str) -> list:  # type: ignore[no-untyped-def]
    return [c for c in el.iter() if _local(c.tag) == name]


def _page_image(xml: Path, name: str) -> Path:
    if not name:
        raise LinesError(f"{xml}: no image file named (Page/@imageFilename or "
                         "sourceImageInformation/fileName)")
    base = Path(name.replace("\\", "/"))
    for folder in (xml.parent, xml.parent.parent):
        for cand in (folder / base, folder / base.name):
            if cand.is_file():
                return cand
    raise LinesError(f"{xml}: its page image {name!r} is not next to it or one folder up")


def _equiv(el) -> str:  # type: ignore[no-untyped-def]
    """The text of a PAGE element's first TextEquiv (lowest index)."""
    eqs = _children(el, "TextEquiv")
    eqs.sort(key=lambda e: int(e.get("index", "1")) if e.get("index", "1").isdigit() else 9)
    for eq in eqs:
        for u in _children(eq, "Unicode"):
            if u.text and u.text.strip():
                return u.text
    return ""


def _points(xml: Path, line_id: str, coords) -> np.ndarray:  # type: ignore[no-untyped-def]
    text = coords.get("points")
    try:
        if text is not None:
            pts = [tuple(float(v) for v in p.split(",")) for p in text.split()]
        else:
            pts = [(float(p.get("x")), float(p.get("y"))) for p in _children(coords, "Point")]
        arr = np.array(pts, dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError) as exc:
        raise LinesError(f"{xml}: line {line_id}: malformed Coords points") from exc
    if len(arr) < 2:
        raise LinesError(f"{xml}: line {line_id}: Coords has fewer than 2 points")
    return arr


def _page_lines(xml: Path, root, writer: str) -> tuple[list[LabelledLine], int]:  # type: ignore[no-untyped-def]
    pages = _descendants(root, "Page")
    if not pages:
        raise LinesError(f"{xml}: PAGE file without a Page element")
    out: list[LabelledLine] = []
    empty = 0
    for page in pages:
        image, turn = _grey(_page_image(xml, page.get("imageFilename", "")),
                            _frame(page, "imageWidth", "imageHeight"))
        for no, line in enumerate(_descendants(page, "TextLine"), 1):
            line_id = line.get("id") or f"#{no}"
            text = _nfc(_equiv(line) or " ".join(_equiv(w) for w in _children(line, "Word")))
            if not text:
                empty += 1
                continue
            coords = _children(line, "Coords")
            if not coords:
                raise LinesError(f"{xml}: line {line_id} has no Coords")
            poly = _points(xml, line_id, coords[0])
            crop = turned(crop_polygon(image, poly, f"{xml}: line {line_id}"), turn)
            out.append(LabelledLine(crop, text, writer, f"{xml.name}#{line_id}"))
    return out, empty


def _alto_lines(xml: Path, root, writer: str) -> tuple[list[LabelledLine], int]:  # type: ignore[no-untyped-def]
    names = _descendants(root, "fileName")
    path = _page_image(xml, (names[0].text or "").strip() if names else "")
    pages = _descendants(root, "Page")
    image, turn = _grey(path, _frame(pages[0], "WIDTH", "HEIGHT") if pages else None)
    scale = 1.0
    if pages and pages[0].get("WIDTH"):
        try:
            page_w = float(pages[0].get("WIDTH"))
        except ValueError as exc:
            raise LinesError(f"{xml}: Page/@WIDTH is not a number") from exc
        if page_w > 0 and abs(page_w - image.shape[1]) > 1:
            scale = image.shape[1] / page_w  # mm10 / inch1200 units, or a resized image
    out: list[LabelledLine] = []
    empty = 0
    for no, line in enumerate(_descendants(root, "TextLine"), 1):
        line_id = line.get("ID") or f"#{no}"
        words = [s.get("CONTENT", "") for s in line if _local(s.tag) == "String"]
        text = _nfc(" ".join(words))
        if not text:
            empty += 1
            continue
        try:
            x, y, w, h = (float(line.get(k, "")) * scale
                          for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
        except ValueError as exc:
            raise LinesError(f"{xml}: line {line_id}: HPOS/VPOS/WIDTH/HEIGHT missing or not "
                             "numbers") from exc
        poly = np.array([(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
        out.append(LabelledLine(turned(crop_polygon(image, poly, f"{xml}: line {line_id}"),
                                       turn), text, writer, f"{xml.name}#{line_id}"))
    return out, empty


def crop_polygon(image: np.ndarray, poly: np.ndarray, where: str) -> np.ndarray:
    """The polygon's box cut from a grey page, outside the polygon painted the paper's grey
    (neighbouring lines' ascenders and descenders do not leak in)."""
    import cv2

    h, w = image.shape[:2]
    x0, y0 = np.floor(poly.min(axis=0)).astype(int)
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        raise LinesError(f"{where}: its box {x0},{y0}-{x1},{y1} is empty or outside the "
                         f"{w}x{h} page")
    crop = image[y0:y1, x0:x1].copy()
    if len(poly) >= 3:
        mask = np.zeros(crop.shape, np.uint8)
        shifted = np.round(poly - (x0, y0)).astype(np.int32)
        cv2.fillPoly(mask, [shifted], 255)
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        if mask.any() and not mask.all():
            paper = int(np.percentile(crop, 90))
            crop[mask == 0] = paper
    return crop


def read_line_sets(folders: list[Path]) -> list[LineSet]:
    """Every folder's set; set names made unique by their parent folder where they clash."""
    sets = [read_line_set(Path(f)) for f in folders]
    names = [s.name for s in sets]
    out = []
    for s in sets:
        if names.count(s.name) > 1:
            s = LineSet(f"{s.folder.parent.name}/{s.name}", s.folder, s.format, s.lines,
                        s.skipped)
        out.append(s)
    return out


def _bucket(key: str) -> float:
    h = hashlib.sha256(f"sohoa-lines:{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def split_lines(lines: tuple[LabelledLine, ...] | list[LabelledLine], val_share: float = 0.2
                ) -> tuple[list[LabelledLine], list[LabelledLine], str]:
    """Train and validation lines: writer-disjoint when every line has a writer id (whole
    writers go to validation by a hash of their id), else by a hash of each line's source.
    Returns ``(train, val, how)``; deterministic."""
    lines = list(lines)
    by_writer = bool(lines) and all(ln.writer for ln in lines)
    if by_writer:
        writers = sorted({ln.writer for ln in lines}, key=_bucket)
        n_val = max(1, round(len(writers) * val_share)) if len(writers) > 1 else 0
        held = set(writers[:n_val])
        val = [ln for ln in lines if ln.writer in held]
        train = [ln for ln in lines if ln.writer not in held]
        return train, val, f"writer-disjoint ({len(held)} of {len(writers)} writers held out)"
    val = [ln for ln in lines if _bucket(ln.source) < val_share]
    train = [ln for ln in lines if _bucket(ln.source) >= val_share]
    return train, val, "by line (no writer ids)"


_SAFE = re.compile(r"[^0-9A-Za-z._-]+")


def safe_name(text: str) -> str:
    """A file-name-safe form of a set or writer name (for reports)."""
    return _SAFE.sub("_", text).strip("_") or "set"
