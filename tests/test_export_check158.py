"""check-158 on files made elsewhere: header differences, non-text cells, rule findings by
row and column, other register types."""

from __future__ import annotations

import openpyxl
from typer.testing import CliRunner

from sohoa.check158 import check_file
from sohoa.cli import app
from sohoa.export.excel import SheetRow, build_workbook_bytes
from sohoa.export.values import sheet_values
from sohoa.records import Book
from sohoa.spec import raw_headers

GOOD = {"so": "01/2008", "quyenSo": "01/2008", "ngayDangKy": "15.03.2008",
        "noiDangKy": "UBND xã Chiềng Ban, huyện Mai Sơn, tỉnh Sơn La",
        "nksHoTen": "Lò Thị Hồng Nhung", "nksNgaySinh": "01.03.2008", "nksGioiTinh": "2",
        "nksDanToc": "Thái", "nksQuocTich": "Việt Nam", "meHoTen": "Lò Thị Mai",
        "meNgaySinh": "1985"}


def foreign_workbook(path, headers, rows):
    """A workbook as another tool writes it: plain values, numbers as numbers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(headers))
    names = [h.split()[0] if h.strip() else "" for h in headers]
    for r in rows:
        ws.append([r.get(n) for n in names])
    wb.save(path)
    return path


def test_problems_are_listed_by_row_and_column(tmp_path):
    headers = list(raw_headers("KS"))
    headers[1] = "so"  # trailing space lost: a warning
    rows = [{**GOOD, "STT": 1},
            {**GOOD, "STT": 2, "so": "02/2008", "nksGioiTinh": 7, "ngayDangKy": "2008-03-15"},
            {**GOOD, "STT": 3, "so": "02/2008"}]
    path = foreign_workbook(tmp_path / "other.xlsx", headers, rows)
    report = check_file(path)
    found = {(p.row, p.column, p.rule_id) for p in report.problems}
    assert (1, "B", "header") in found
    assert (2, "A", "cell_type") in found  # STT written as a number
    assert (3, "N", "code_list") in found and (3, "N", "cell_type") in found
    assert (3, "E", "date_format") in found
    assert (3, "B", "duplicate") in found and (4, "B", "duplicate") in found
    assert report.errors >= 4
    res = CliRunner().invoke(app, ["check-158", str(path)])
    assert res.exit_code == 1 and "dòng 3, cột N (nksGioiTinh)" in res.output


def test_missing_and_extra_columns_are_errors(tmp_path):
    headers = [h for h in raw_headers("KS") if not h.startswith("nksDanToc")] + ["tuThem"]
    path = foreign_workbook(tmp_path / "cols.xlsx", headers, [{**GOOD, "STT": "1"}])
    report = check_file(path, "KS")
    header_errors = [p for p in report.problems if p.rule_id == "header"
                     and p.severity == "error"]
    assert header_errors and any("tuThem" in p.message for p in header_errors)


def test_death_book_round_trip(tmp_path):
    book = Book(2, "KT", 2010, "01/2010", "Chiềng Ban", "Mai Sơn", "Sơn La")
    values = {"so": "4", "ngayDangKy": "05.05.2010", "nktHoTen": "Lò Văn Ón",
              "nktNgaySinh": "1950", "nktNgayChet": "01.05.2010", "nktGioiTinh": "1",
              "nktDanToc": "Thái", "nycHoTen": "Lò Văn Én", "nycQuanHe": "Con"}
    path = tmp_path / "kt.xlsx"
    path.write_bytes(build_workbook_bytes("KT", [SheetRow(1, sheet_values(values, book))]))
    report = check_file(path)
    assert report.register_type == "KT" and report.problems == ()
    late = {**values, "ngayDangKy": "30.04.2010"}
    path.write_bytes(build_workbook_bytes("KT", [SheetRow(1, sheet_values(late, book))]))
    assert [p.rule_id for p in check_file(path).problems] == ["date_order"]


def test_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "not.xlsx"
    bad.write_text("hello", encoding="utf-8")
    res = CliRunner().invoke(app, ["check-158", str(bad)])
    assert res.exit_code == 2 and "not.xlsx" in res.output
