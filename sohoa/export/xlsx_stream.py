"""Reading a 158 workbook from anyone, with bounded memory and time whatever the file claims.

openpyxl trusts a file's dimensions: one cell at ``XFD1048576`` makes it build a million rows of
sixteen thousand cells, and a small ZIP whose sheet unpacks to a gigabyte is read whole. This
reader streams the sheet XML (``iterparse``, each row dropped once read) through a counter that
stops at :data:`MAX_XML_BYTES` unpacked, refuses rows past :data:`MAX_ROWS` and columns past
:data:`MAX_COLUMNS` as soon as it meets them, and reports formula cells (a live
``=HYPERLINK(...)`` is not text) and the sheet's name.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sohoa.errors import SohoaError

MAX_ROWS = 200_000  # a register book holds a few thousand entries; a province file 300k
MAX_COLUMNS = 200  # the 158 layouts have at most ~60 columns
MAX_XML_BYTES = 400 * 1024 * 1024  # unpacked sheet + shared strings
MAX_RATIO = 200  # unpacked / packed: XML compresses ~10-30x, zip bombs 1000x
MAX_SHARED_STRINGS = 2_000_000  # distinct texts of a 300,000-row province file fit
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
CHUNK = 1 << 16

_NS = re.compile(r"^\{[^}]*\}")
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


class SheetError(SohoaError, ValueError):
    """The workbook cannot be read within the limits; the message names the file and why."""


@dataclass(frozen=True)
class Cell:
    column: int  # 1-based
    text: str
    kind: str  # s (text), n (number), b, e, d, or f (formula)
    formula: str = ""


@dataclass(frozen=True)
class SheetRows:
    sheet_name: str
    sheet_names: tuple[str, ...]
    rows: Iterator[tuple[int, dict[int, Cell]]]  # (Excel row number, column -> cell)


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class _Capped:
    """A file-like reader over a ZIP member that refuses to unpack more than the budget."""

    def __init__(self, fh: IO[bytes], path: Path, member: str, budget: list[int]) -> None:
        self.fh, self.path, self.member, self.budget = fh, path, member, budget

    def read(self, n: int = CHUNK) -> bytes:
        data = self.fh.read(min(n if n > 0 else CHUNK, CHUNK))
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise SheetError(f"{self.path}: {self.member} unpacks to more than"
                             f" {MAX_XML_BYTES // (1024 * 1024)} MB; not a 158 file")
        return data


_LOCAL: dict[str, str] = {}


def _local(tag: str) -> str:
    """``{namespace}row`` or ``x:row`` -> ``row`` (cached: a sheet uses a handful of tags)."""
    name = _LOCAL.get(tag)
    if name is None:
        name = _NS.sub("", tag).rpartition(":")[2]
        if len(_LOCAL) < 1000:
            _LOCAL[tag] = name
    return name


TEXT_TAGS = frozenset({"v", "f", "t"})  # the only elements whose text is read
MAX_SILENT_BYTES = 16 * 1024 * 1024  # no tag or text event for this long: a giant token


def _events(fh: _Capped, path: Path, member: str) -> Iterator[tuple[str, str, object]]:
    """Streamed ``("start", tag, attrs)``, ``("text", tag, chars)``, ``("end", tag, None)``
    events (namespace prefixes removed). No tree is built; text reaches the consumer in pieces;
    a single tag or attribute longer than :data:`MAX_SILENT_BYTES` is refused."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = False
    out: list[tuple[str, str, object]] = []
    open_tags: list[str] = []
    def start(tag: str, attrs: dict[str, str]) -> None:
        name = _local(tag)
        open_tags.append(name)
        out.append(("start", name, attrs))

    def text(data: str) -> None:
        if open_tags and open_tags[-1] in TEXT_TAGS:
            out.append(("text", open_tags[-1], data))

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: out.append(("end", open_tags.pop(), None))
    parser.CharacterDataHandler = text
    silent = 0
    try:
        while True:
            data = fh.read(CHUNK)
            parser.Parse(data, not data)
            if out:
                silent = 0
                yield from out
                out.clear()
            else:
                silent += len(data)
                if silent > MAX_SILENT_BYTES:
                    raise SheetError(f"{path}: {member} holds one tag or attribute over"
                                     f" {MAX_SILENT_BYTES // (1024 * 1024)} MB; not a 158 file")
            if not data:
                break
    except expat.ExpatError as exc:
        raise SheetError(f"{path}: {member} is not well-formed XML ({exc})") from exc


class Workbook:
    """An open .xlsx: sheet names, shared strings (capped), rows streamed from one sheet."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.zf = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise SheetError(f"{self.path}: not a readable .xlsx file ({exc})") from exc
        self.budget = [MAX_XML_BYTES]
        try:
            self.sheets = self._sheet_paths()
        except KeyError as exc:
            raise SheetError(f"{self.path}: not a readable .xlsx file (missing {exc})") from exc

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self, member: str) -> _Capped:
        info = self.zf.getinfo(member)
        if info.file_size > self.budget[0]:
            raise SheetError(f"{self.path}: {member} claims {info.file_size} bytes unpacked,"
                             f" over {MAX_XML_BYTES // (1024 * 1024)} MB; not a 158 file")
        if info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise SheetError(f"{self.path}: {member} unpacks {info.file_size // info.compress_size}"
                             " times its packed size (a ZIP bomb?); not a 158 file")
        try:
            return _Capped(self.zf.open(info), self.path, member, self.budget)
        except (OSError, zipfile.BadZipFile, NotImplementedError) as exc:
            raise SheetError(f"{self.path}: cannot unpack {member} ({exc})") from exc

    def _xml(self, member: str) -> Iterator[tuple[str, object]]:
        return _events(self._open(member), self.path, member)

    def _sheet_paths(self) -> dict[str, str]:
        rels: dict[str, str] = {}
        for ev, tag, attrs in self._xml("xl/_rels/workbook.xml.rels"):
            if ev == "start" and tag == "Relationship":
                target = attrs.get("Target", "")  # type: ignore[union-attr]
                target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join("xl", target))
                rels[attrs.get("Id", "")] = target  # type: ignore[union-attr]
        sheets: dict[str, str] = {}
        for ev, tag, attrs in self._xml("xl/workbook.xml"):
            if ev == "start" and tag == "sheet":
                rid = next((v for k, v in attrs.items()  # type: ignore[union-attr]
                            if ":" in k and _local(k) == "id"), "")
                if rid in rels:
                    sheets[attrs.get("name", "")] = rels[rid]  # type: ignore[union-attr]
        if not sheets:
            raise SheetError(f"{self.path}: the workbook lists no sheets")
        return sheets

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self.zf.namelist():
            return []
        out: list[str] = []
        text = _Text()
        in_rph = False  # phonetic runs are not part of the value
        for ev, tag, data in self._xml("xl/sharedStrings.xml"):
            if tag == "rPh":
                in_rph = ev == "start"
            elif ev == "text" and tag == "t" and not in_rph:
                text.add(data)  # type: ignore[arg-type]
            elif ev == "end" and tag == "si":
                out.append(text.take())
                if len(out) > MAX_SHARED_STRINGS:
                    raise SheetError(f"{self.path}: more than {MAX_SHARED_STRINGS} shared"
                                     " strings; not a 158 file")
        return out

    def rows(self, sheet_name: str) -> Iterator[tuple[int, dict[int, Cell]]]:
        """(row number, cells) of one sheet, in file order."""
        shared = self._shared_strings()
        member = self.sheets[sheet_name]
        row_no, last = 0, 0
        cells: dict[int, Cell] = {}
        cell: dict[str, str] = {}
        value, formula, inline = _Text(), _Text(), _Text()
        in_is = False
        for ev, tag, data in self._xml(member):
            if ev == "text":
                if tag == "v":
                    value.add(data)  # type: ignore[arg-type]
                elif tag == "f":
                    formula.add(data)  # type: ignore[arg-type]
                elif tag == "t" and in_is:
                    inline.add(data)  # type: ignore[arg-type]
                continue
            if ev == "start":
                attrs: dict[str, str] = data  # type: ignore[assignment]
                if tag == "row":
                    r = attrs.get("r")
                    row_no = int(r) if r and r.isdigit() else last + 1
                    if row_no > MAX_ROWS:
                        raise SheetError(f"{self.path}: sheet {sheet_name!r} has a row {row_no},"
                                         f" over the limit of {MAX_ROWS} rows")
                    cells = {}
                elif tag == "c":
                    cell = {"r": attrs.get("r", ""), "t": attrs.get("t", "n")}
                    value.take(), formula.take(), inline.take()
                elif tag == "f":
                    formula.add("=")
                elif tag == "is":
                    in_is = True
                continue
            if tag == "is":
                in_is = False
            elif tag == "c":
                col = self._column(cell["r"], cells, sheet_name, row_no)
                c = self._cell(cell["t"], value.take(), formula.take(), inline.take(), shared,
                               col)
                if c is not None:
                    cells[col] = c
            elif tag == "row":
                last = row_no
                yield row_no, cells

    def _column(self, ref: str, cells: dict[int, Cell], sheet: str, row_no: int) -> int:
        m = _REF.match(ref)
        col = column_index(m.group(1)) if m else max(cells, default=0) + 1
        if col > MAX_COLUMNS:
            raise SheetError(f"{self.path}: sheet {sheet!r} has a cell {ref or col} in row"
                             f" {row_no}, past column {MAX_COLUMNS}; a 158 sheet has far fewer")
        return col

    @staticmethod
    def _cell(kind: str, v: str, formula: str, inline: str, shared: list[str], col: int
              ) -> Cell | None:
        if kind == "s":
            try:
                text = shared[int(v)]
            except (ValueError, IndexError):
                text = ""
        elif kind in ("inlineStr", "str"):
            text, kind = (inline if kind == "inlineStr" else v), "s"
        else:
            text = v
        if formula:
            return Cell(col, text, "f", formula[:200])
        if text == "":
            return None
        return Cell(col, text, kind)


class _Text:
    """Text gathered in pieces, kept only up to Excel's cell limit."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, data: str) -> None:
        if self.size < MAX_CELL_CHARS:
            self.parts.append(data[: MAX_CELL_CHARS - self.size])
            self.size += len(self.parts[-1])

    def take(self) -> str:
        out = "".join(self.parts)
        self.parts, self.size = [], 0
        return out


def open_rows(path: Path, preferred: str) -> tuple[Workbook, SheetRows]:
    """The workbook and the rows of its ``preferred`` sheet (else its first sheet)."""
    wb = Workbook(path)
    names = tuple(wb.sheets)
    name = preferred if preferred in wb.sheets else names[0]
    return wb, SheetRows(name, names, wb.rows(name))
