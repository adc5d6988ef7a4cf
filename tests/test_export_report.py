"""The daily progress report: counts per stage from the store and the audit log, targets,
subtotals, and the three output files."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from export_helpers import make_book, new_workspace

from sohoa.export.run import export_workspace
from sohoa.report import ReportError, build_report, read_targets
from sohoa.report_render import write_all

TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    ws = new_workspace(tmp)
    done, _ = make_book(ws, 6)
    export_workspace(ws, tmp / "out", book_ref=str(done.id))
    make_book(ws, 4, seed=5, status="confirmed")
    make_book(ws, 3, seed=7, status="prefilled")
    yield ws
    ws.close()


def _communes(rows):
    return {r.commune: r for r in rows if r.level == "commune"}


def test_counts_per_stage_and_today(ws, tmp_path):
    rows = build_report(ws, TODAY)
    total = rows[-1]
    assert total.level == "total" and total.scanned == 13 and total.books == 3
    assert total.reached == {"prefilled": 13, "confirmed": 10, "approved": 6, "exported": 6}
    assert total.on_day == {"confirmed": 10, "approved": 6, "exported": 6, "sent_back": 0}
    levels = [r.level for r in rows]
    assert levels.count("commune") == 3 and levels.count("province") >= 1


def test_a_day_before_anything_was_stored_is_empty(ws):
    total = build_report(ws, TODAY - timedelta(days=1))[-1]
    assert total.scanned == 0 and total.reached["confirmed"] == 0 and total.books == 0


def test_send_back_is_counted_and_replayed(ws):
    entry = ws.entries(status="confirmed")[0]
    ws.send_back(entry.id, "approver", "sai ngày sinh")
    total = build_report(ws, TODAY)[-1]
    assert total.on_day["sent_back"] == 1 and total.reached["confirmed"] == 9
    view = ws.entry_view(entry.id)
    ws.confirm(entry.id, "clerk", view.values, view.version)


def test_targets_csv_and_toml(ws, tmp_path):
    book = ws.books()[0]
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("province,district,commune,target_entries,deadline\n"
                        f"{book.province},{book.district},{book.commune},60,"
                        f"{(TODAY + timedelta(days=10)).isoformat()}\n"
                        "Sơn La,Mai Sơn,Chiềng Ban,500,2030-01-01\n", encoding="utf-8")
    toml_file = tmp_path / "t.toml"
    toml_file.write_text(f'[[commune]]\ncommune = "{book.commune}"\ntarget_entries = 60\n'
                         f"deadline = {(TODAY + timedelta(days=10)).isoformat()}\n"
                         '[[commune]]\nprovince = "Sơn La"\ndistrict = "Mai Sơn"\n'
                         'commune = "Chiềng Ban"\ntarget_entries = 500\ndeadline = 2030-01-01\n',
                         encoding="utf-8")
    for f in (csv_file, toml_file):
        rows = build_report(ws, TODAY, read_targets(f))
        c = _communes(rows)
        assert c[book.commune].target == 60
        facts = c[book.commune].assess(TODAY)
        assert facts["days_left"] == 10 and facts["pct_confirmed"] == 10.0
        assert facts["need_per_day"] == 5.4 and facts["state"] == "chậm"
        assert c["Chiềng Ban"].scanned == 0 and c["Chiềng Ban"].target == 500  # not started
        out = write_all(tmp_path / f.suffix[1:], rows, TODAY)
        sheet = openpyxl.load_workbook(out["xlsx"]).active
        assert sheet.max_row == len(rows) + 1
        assert "Chiềng Ban" in out["md"].read_text(encoding="utf-8")
        assert out["png"].read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("text,match", [
    ("commune,target_entries,deadline,extra\nA,1,2030-01-01,x\n", "unknown columns"),
    ("commune,target_entries,deadline\nA,many,2030-01-01\n", "target_entries"),
    ("commune,target_entries,deadline\nA,5,31/12/2030\n", "deadline"),
    ("commune,target_entries,deadline\n,5,2030-01-01\n", "commune is required"),
])
def test_bad_targets_name_file_and_line(tmp_path, text, match):
    f = tmp_path / "bad.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ReportError, match=match) as err:
        read_targets(f)
    assert "bad.csv, line 2" in str(err.value)
