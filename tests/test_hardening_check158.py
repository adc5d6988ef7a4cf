"""Issue 17 item 1: ``check-158`` reads hostile workbooks with bounded memory and time.

Each file is made here: a 10 KB workbook with one cell at XFD1048576, a small ZIP whose sheet
unpacks to 420 MB, a live ``=HYPERLINK`` formula, a sheet not named "DL Import", and 100,000
real rows. Bounds are loose (a child process's peak memory and wall time); speed targets live in
``benchmarks/``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sohoa.check158 import check_file
from sohoa.export.excel import SheetRow, build_workbook_bytes
from sohoa.export.values import sheet_values
from sohoa.export.xlsx_stream import SheetError
from sohoa.records import Book

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("Nhung", "Mai", "Hoa", "Lan", "Thảo", "Bình", "Hương", "Ngọc")
BOOK = Book(1, "KS", 2008, "01/2008", "Chiềng Ban", "Mai Sơn", "Sơn La")


def values(k: int) -> dict[str, str]:
    return sheet_values({"so": f"{k}/2008", "ngayDangKy": "15.03.2008",
                         "nksHoTen": "Lò Thị " + NAMES[k % len(NAMES)], "nksNgaySinh": "01.03.2008",
                         "nksGioiTinh": "2", "nksDanToc": "Thái", "nksQuocTich": "Việt Nam",
                         "meHoTen": "Lò Thị Mai", "meNgaySinh": "1985"}, BOOK)


def good_workbook(rows: int = 3) -> bytes:
    return build_workbook_bytes("KS", [SheetRow(k, values(k)) for k in range(1, rows + 1)])


def rewrite_sheet(data: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """The workbook with its first sheet's XML passed through ``edit``."""
    import io

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                payload = edit(payload.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, payload)
    return out.getvalue()


def measured(path: Path) -> dict:  # type: ignore[type-arg]
    """Run check-158 on ``path`` in a child process: exit code, stderr, seconds, peak MB."""
    code = (
        "import json,resource,subprocess,sys,time\n"
        "t=time.monotonic()\n"
        "r=subprocess.run([sys.executable,'-m','sohoa.cli','check-158',sys.argv[1]],"
        "capture_output=True,text=True)\n"
        "print(json.dumps({'rc':r.returncode,'err':r.stderr,'out':r.stdout[-2000:],"
        "'s':time.monotonic()-t,"
        "'mb':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024}))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, env=env, timeout=600)
    return json.loads(res.stdout)


def test_a_cell_at_xfd1048576_is_refused_at_once(tmp_path):
    def far_cell(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr">'
                           "<is><t>x</t></is></c></row></sheetData>")

    path = tmp_path / "far.xlsx"
    path.write_bytes(rewrite_sheet(good_workbook(), far_cell))
    assert path.stat().st_size < 20_000
    got = measured(path)
    assert got["rc"] == 2 and "Traceback" not in got["err"], got
    assert "far.xlsx" in got["err"] and "1048576" in got["err"]
    assert len(got["err"].strip().splitlines()) == 1
    assert got["s"] < 30 and got["mb"] < 400, got
    # a far column in an ordinary row is refused the same way
    path.write_bytes(rewrite_sheet(good_workbook(), lambda x: x.replace(
        "</sheetData>", '<row r="9"><c r="XFD9" t="inlineStr"><is><t>x</t></is></c></row>'
        "</sheetData>")))
    with pytest.raises(SheetError, match="XFD9"):
        check_file(path)


def test_a_sheet_that_unpacks_to_420_mb_is_refused_with_bounded_memory(tmp_path):
    path = tmp_path / "bomb.xlsx"
    good = zipfile.ZipFile(__import__("io").BytesIO(good_workbook()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in good.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, good.read(info.filename))
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                     b'main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
            block = b"A" * (1 << 20)
            for _ in range(420):
                fh.write(block)
            fh.write(b"</t></is></c></row></sheetData></worksheet>")
    assert path.stat().st_size < 2_000_000
    got = measured(path)
    assert got["rc"] == 2 and "Traceback" not in got["err"], got
    assert "bomb.xlsx" in got["err"] and ("unpacks" in got["err"] or "MB" in got["err"])
    assert got["s"] < 60 and got["mb"] < 400, got


def test_a_lying_size_is_still_capped_while_unpacking(tmp_path, monkeypatch):
    """The ZIP directory may claim a small size; the count while unpacking still stops."""
    from sohoa.export import xlsx_stream

    monkeypatch.setattr(xlsx_stream, "MAX_XML_BYTES", 200_000)
    monkeypatch.setattr(xlsx_stream, "MAX_RATIO", 10**9)
    path = tmp_path / "rows.xlsx"
    path.write_bytes(good_workbook(400))
    with pytest.raises(SheetError, match="unpacks to more than|claims"):
        check_file(path)


def test_formula_cells_and_a_wrong_sheet_name_are_flagged(tmp_path):
    def formula(xml: str) -> str:
        return xml.replace("</sheetData>", '<row r="5"><c r="B5" t="str"><f>HYPERLINK("http://'
                           'x.example/","bấm")</f><v>bấm</v></c></row></sheetData>')

    path = tmp_path / "f.xlsx"
    path.write_bytes(rewrite_sheet(good_workbook(), formula))
    report = check_file(path)
    hits = [p for p in report.problems if p.rule_id == "formula"]
    assert [(p.row, p.column, str(p.severity)) for p in hits] == [(5, "B", "error")]
    assert "HYPERLINK" in hits[0].message and report.errors >= 1
    # the workbook renamed: a warning for the whole file
    import io

    src = zipfile.ZipFile(io.BytesIO(good_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                payload = payload.replace(b'name="DL Import"', b'name="Sheet1"')
            dst.writestr(info.filename, payload)
    path.write_bytes(out.getvalue())
    report = check_file(path)
    assert [(p.row, p.rule_id) for p in report.problems] == [(0, "sheet_name")]
    assert "Sheet1" in report.problems[0].message


def many_rows(n: int) -> bytes:
    """A workbook of ``n`` rows as another tool writes it (inline strings), made directly."""
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    from sohoa.spec import canonical, raw_headers

    names = [canonical(h) for h in raw_headers("KS")]
    letters = [get_column_letter(i + 1) for i in range(len(names))]

    def row(k: int) -> str:
        vals = {**values(k), "STT": str(k)}
        cells = "".join(f'<c r="{col}{k + 1}" t="inlineStr"><is><t>{escape(vals[name])}</t>'
                        "</is></c>" for col, name in zip(letters, names, strict=True)
                        if vals.get(name))
        return f'<row r="{k + 1}">{cells}</row>'

    def edit(xml: str) -> str:
        head, _, rest = xml.partition("<sheetData>")
        first, _, tail = rest.partition("</row>")
        return (head + "<sheetData>" + first + "</row>"
                + "".join(row(k) for k in range(1, n + 1)) + "</sheetData>"
                + tail.partition("</sheetData>")[2])

    return rewrite_sheet(good_workbook(0), edit)


def test_3000_rows_as_another_tool_writes_them(tmp_path):
    path = tmp_path / "rows.xlsx"
    path.write_bytes(many_rows(3000))
    report = check_file(path)
    assert report.rows == 3000 and report.errors == 0, report.problems[:3]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_100000_rows_are_read_within_loose_bounds(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(many_rows(100_000))
    got = measured(path)
    assert got["rc"] == 0, got
    assert "100000 dòng, 0 lỗi" in got["out"], got["out"][-300:]
    # loose: the issue saw 106 s and 2.3 GB; benchmarks/bench_export.py has the figures
    assert got["mb"] < 1200 and got["s"] < 900, (got["s"], got["mb"])  # a loaded CI box
