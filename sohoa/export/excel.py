"""The 158 workbook of one book: header row, one text row per entry, byte-identical when the
same rows are written again.

Birth books copy the header cells of the Ministry's template (values, styles, widths, sheet
name ``DL Import``) so the import software recognises the sheet; other register types use the
spec's column lists with the same header style. Every data cell is a text cell (``@``).
Values that a spreadsheet could read as a formula (leading ``= + - @``) are written as inline
strings with the ``quotePrefix`` style, which Excel and LibreOffice keep as literal text even
when the cell is edited.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sohoa.errors import InputError
from sohoa.export.values import clean_text
from sohoa.records import RegisterType
from sohoa.spec import KS_SHEET, KS_TEMPLATE_FILE, canonical, raw_headers, spec_path

FIXED_TIME = datetime(2000, 1, 1, 0, 0, 0)  # workbook and ZIP member dates: reproducible files
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FORMULA_LEAD = ("=", "+", "-", "@")


@dataclass(frozen=True)
class SheetRow:
    """One entry as the sheet shows it: canonical column name -> text."""

    entry_id: int | None
    values: Mapping[str, str]


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would evaluate the text (or its DDE cousins) on entry."""
    return text.startswith(FORMULA_LEAD)


def safe_cell_text(value: object) -> str:
    """A value as cell text: NFC, no control characters or line breaks, trimmed."""
    return clean_text("" if value is None else str(value))


def _header_sheet(register_type: RegisterType):  # type: ignore[no-untyped-def]
    """A new workbook whose first sheet holds only the 158 header row."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = openpyxl.Workbook()
    ws = wb.active
    if register_type is RegisterType.KS:
        src = openpyxl.load_workbook(spec_path(KS_TEMPLATE_FILE))[KS_SHEET]
        ws.title = KS_SHEET
        for cell in src[1]:
            if cell.value is None:
                continue
            dst = ws.cell(row=1, column=cell.column, value=cell.value)
            dst.data_type = "s"
            if cell.has_style:
                dst.font, dst.fill = copy(cell.font), copy(cell.fill)
                dst.border, dst.alignment = copy(cell.border), copy(cell.alignment)
                dst.protection, dst.number_format = copy(cell.protection), cell.number_format
        for key, dim in src.column_dimensions.items():
            ws.column_dimensions[key].width = dim.width
        ws.row_dimensions[1].height = src.row_dimensions[1].height
        return wb, ws
    ws.title = KS_SHEET
    thin = Side(style="thin")
    for col, header in enumerate(raw_headers(register_type), start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.data_type = "s"
        cell.number_format = "@"
        cell.font = Font(name="Times New Roman", bold=True, size=13)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        ws.column_dimensions[cell.column_letter].width = max(10, len(header) + 2)
    ws.row_dimensions[1].height = 45
    return wb, ws


def build_workbook_bytes(register_type: RegisterType | str, rows: Sequence[SheetRow]) -> bytes:
    """The .xlsx file content for these rows (STT filled 1..n in row order)."""
    rt = RegisterType(register_type)
    wb, ws = _header_sheet(rt)
    names = [canonical(h) for h in raw_headers(rt)]
    for n, row in enumerate(rows, start=1):
        for col, name in enumerate(names, start=1):
            text = str(n) if name == "STT" else safe_cell_text(row.values.get(name, ""))
            if not text:
                continue
            cell = ws.cell(row=n + 1, column=col)
            cell.value = text
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.number_format = "@"
            if is_formula_like(text):
                cell.quotePrefix = True
    ws.freeze_panes = "A2"
    props = wb.properties
    props.creator, props.lastModifiedBy = "sohoa", "sohoa"
    props.created = props.modified = FIXED_TIME
    props.title = f"158 {rt.value}"
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Re-pack a ZIP with fixed member dates and order, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = _fix_core_dates(payload)
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, payload, compresslevel=6)
    return out.getvalue()


def _fix_core_dates(xml: bytes) -> bytes:
    """openpyxl stamps ``modified`` with the save time; put the fixed time back."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\2",
                  xml)


def write_workbook(path: Path, register_type: RegisterType | str, rows: Sequence[SheetRow]) -> Path:
    """Write the workbook atomically (temp file + rename) and return its path."""
    data = build_workbook_bytes(register_type, rows)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


@dataclass(frozen=True)
class SheetContent:
    """A 158 sheet read back: its raw header cells and rows as canonical name -> text."""

    headers: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    cell_types: tuple[dict[str, str], ...]  # per row: column name -> openpyxl data_type


def read_workbook(path: Path) -> SheetContent:
    """Read the first sheet of a 158 workbook (ours or another tool's) as text."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on non-xlsx input
        raise InputError(f"{path}: not a readable .xlsx file ({exc})") from exc
    ws = wb[KS_SHEET] if KS_SHEET in wb.sheetnames else wb.worksheets[0]
    rows_iter = ws.iter_rows()
    try:
        header_cells = next(rows_iter)
    except StopIteration as exc:
        raise InputError(f"{path}: sheet {ws.title!r} is empty") from exc
    headers = tuple("" if c.value is None else str(c.value) for c in header_cells)
    names = [canonical(h) for h in headers]
    rows, types = [], []
    for cells in rows_iter:
        if all(c.value is None or str(c.value).strip() == "" for c in cells):
            continue
        row = {}
        for name, c in zip(names, cells, strict=False):
            if name and c.value is not None:
                row[name] = str(c.value)
        rows.append(row)
        types.append({name: c.data_type for name, c in zip(names, cells, strict=False)
                      if name and c.value is not None})
    return SheetContent(headers, tuple(rows), tuple(types))
