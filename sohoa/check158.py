"""``check-158``: check an Excel file made elsewhere (or by us) against the 158 columns and the
validation rules, and list every problem by row and column.

Rows are grouped into books by (``quyenSo``, ``noiDangKy``) so the book-level rules (duplicate
numbers, gaps, one identity number for two children) apply as they do on export.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from openpyxl.utils import get_column_letter

from sohoa.export.excel import is_formula_like
from sohoa.export.values import parse_date, split_so
from sohoa.export.xlsx_stream import SheetError, Workbook
from sohoa.records import Book, RecordError, RegisterType
from sohoa.spec import KS_SHEET, canonical, columns, raw_headers
from sohoa.validate import Severity, validate_book

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    row: int  # Excel row number (1 = header); 0 for the whole file
    column: str  # Excel column letter, "" when not tied to one
    name: str  # canonical 158 column name, "" when not tied to one
    rule_id: str
    severity: Severity
    message: str

    def line(self) -> str:
        where = f"dòng {self.row}" if self.row else "tệp"
        if self.column:
            where += f", cột {self.column} ({self.name})"
        return f"{where}: {self.severity} [{self.rule_id}] {self.message}"


@dataclass(frozen=True)
class CheckReport:
    path: Path
    register_type: RegisterType
    rows: int
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return sum(p.severity is Severity.ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity is Severity.WARNING for p in self.problems)


def detect_type(names: list[str]) -> RegisterType:
    """The register type whose column list best matches the header."""
    have = set(names)
    scores = {rt: len(have & set(columns(rt))) / len(columns(rt)) for rt in RegisterType}
    return max(scores, key=lambda rt: scores[rt])


def _header_problems(headers: tuple[str, ...], rt: RegisterType) -> list[Problem]:
    want = raw_headers(rt)
    out: list[Problem] = []
    for i in range(max(len(want), len(headers))):
        got = headers[i] if i < len(headers) else ""
        exp = want[i] if i < len(want) else ""
        if got == exp:
            continue
        letter = get_column_letter(i + 1)
        if not exp:
            if got.strip():
                out.append(Problem(1, letter, got, "header", Severity.ERROR,
                                   f"Cột thừa {got!r}"))
            continue
        same_name = got.split()[0:1] == exp.split()[0:1] if got.strip() else False
        sev = Severity.WARNING if same_name else Severity.ERROR
        out.append(Problem(1, letter, exp.split()[0], "header", sev,
                           f"Tiêu đề {got!r}, mẫu 158 là {exp!r}"))
    return out


def _row_book(row: dict[str, str], rt: RegisterType) -> Book:
    """A stand-in book for one row: year from ``so`` or the registration date."""
    year = None
    if (parts := split_so(row.get("so", ""))) and parts[1]:
        year = parts[1]
    elif span := parse_date(row.get("ngayDangKy", "")):
        year = span.first.year
    try:
        return Book(None, rt, year or 2000, row.get("quyenSo") or "?",
                    row.get("noiDangKy") or row.get("noiCap") or "?")
    except RecordError:
        return Book(None, rt, 2000, row.get("quyenSo") or "?", "?")


def check_file(path: Path, register_type: str | None = None) -> CheckReport:
    """Check one .xlsx file; raises ``SheetError`` (a ``ValueError``) naming the file when it
    cannot be read within the limits of :mod:`sohoa.export.xlsx_stream`."""
    path = Path(path)
    if not path.is_file():
        raise SheetError(f"{path}: no such file")
    with Workbook(path) as wb:
        sheet = KS_SHEET if KS_SHEET in wb.sheets else next(iter(wb.sheets))
        rows = wb.rows(sheet)
        header_row = next(rows, None)
        if header_row is None:
            raise SheetError(f"{path}: sheet {sheet!r} is empty")
        header_cells = header_row[1]
        width = max(header_cells, default=0)
        headers = tuple(header_cells[c].text if c in header_cells else ""
                        for c in range(1, width + 1))
        names = [canonical(h) for h in headers]
        rt = RegisterType(register_type.upper()) if register_type else detect_type(names)
        problems = _header_problems(headers, rt)
        if sheet != KS_SHEET:
            problems.append(Problem(0, "", "", "sheet_name", Severity.WARNING,
                                    f"Trang tính tên {sheet!r}, mẫu 158 là {KS_SHEET!r}"))
        groups: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = defaultdict(list)
        count = 0
        for excel_row, cells in rows:
            if not any(c.text.strip() or c.kind == "f" for c in cells.values()):
                continue
            count += 1
            row = _row_problems(excel_row, count, cells, names, problems)
            values = {k: v for k, v in row.items() if k != "STT"}
            key = (values.get("quyenSo", ""), values.get("noiDangKy", values.get("noiCap", "")))
            groups[key].append((excel_row, values))
    letter = {n: get_column_letter(i + 1) for i, n in enumerate(names) if n}
    for entries in groups.values():
        book = _row_book(entries[0][1], rt)
        for issue in validate_book(entries, book, None):
            col = letter.get(issue.field, "") if issue.field else ""
            problems.append(Problem(issue.entry_id or 0, col, issue.field, issue.rule_id,
                                    issue.severity, issue.message))
    problems.sort(key=lambda p: (p.row, len(p.column), p.column, p.rule_id))
    log.info("%s: %d rows, %d problems", path, count, len(problems))
    return CheckReport(path, rt, count, tuple(problems))


def _row_problems(excel_row: int, n: int, cells: dict, names: list[str],  # type: ignore[type-arg]
                  problems: list[Problem]) -> dict[str, str]:
    """The row's values by column name; its cell-level problems appended to ``problems``."""
    row: dict[str, str] = {}
    for col, cell in sorted(cells.items()):
        name = names[col - 1] if col <= len(names) else ""
        letter = get_column_letter(col)
        if cell.kind == "f":
            problems.append(Problem(excel_row, letter, name, "formula", Severity.ERROR,
                                    f"Ô chứa công thức {cell.formula[:80]!r}, không phải văn bản"))
        elif cell.kind != "s":
            problems.append(Problem(excel_row, letter, name, "cell_type", Severity.WARNING,
                                    f"Ô không ở dạng văn bản (kiểu {cell.kind!r})"))
        if not name:
            continue
        row[name] = cell.text
        if name != "STT" and cell.kind != "f" and is_formula_like(cell.text) \
                and cell.text.startswith("="):
            problems.append(Problem(excel_row, letter, name, "formula", Severity.WARNING,
                                    f"Giá trị giống công thức: {cell.text[:80]!r}"))
    if row.get("STT", "").strip() not in ("", str(n)):
        problems.append(Problem(excel_row, get_column_letter(names.index("STT") + 1)
                                if "STT" in names else "A", "STT", "stt", Severity.WARNING,
                                f"STT {row['STT']!r}, mong đợi {n}"))
    return row
