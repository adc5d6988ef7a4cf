"""Export workflow on a real workspace: approved only by default, DRAFT previews, errors
block, exported entries are marked and audited, the CLI exits non-zero when blocked."""

from __future__ import annotations

import json
import zipfile

from export_helpers import make_book, new_workspace, sha
from typer.testing import CliRunner

from sohoa.cli import app
from sohoa.export.run import export_workspace


def test_draft_preview_then_final_export(tmp_path):
    ws = new_workspace(tmp_path)
    book, ids = make_book(ws, 8, status="confirmed")
    assert export_workspace(ws, tmp_path / "none")[0].excel is None  # nothing approved yet
    draft = export_workspace(ws, tmp_path / "draft", min_status="confirmed")[0]
    assert draft.draft and draft.excel.name.startswith("DRAFT_")
    assert draft.zip.name.startswith("DRAFT_") and draft.entry_count == 8
    assert ws.count_by_status(book.id)["confirmed"] == 8  # a draft never marks anything
    assert all(e["draft"] for e in ws.exports(book.id))

    ws.approve_book(book.id, "approver")
    final = export_workspace(ws, tmp_path / "final", user="thu")[0]
    assert not final.draft and not final.blocked and not final.excel.name.startswith("DRAFT")
    assert ws.count_by_status(book.id)["exported"] == 8
    marks = [a for a in ws.audit(book_id=book.id) if a.new == "exported"]
    assert len(marks) == 8 and {a.user for a in marks} == {"thu"}
    manifest = json.loads(final.manifest.read_text(encoding="utf-8"))
    assert manifest["excel_sha256"] == sha(final.excel)
    assert manifest["zip_sha256"] == sha(final.zip)
    with zipfile.ZipFile(final.zip) as zf:
        names = sorted(zf.namelist())
        assert names == sorted(e["file"] for e in manifest["entries"])
        for e in manifest["entries"]:
            data = zf.read(e["file"])
            assert len(data) == e["bytes"] <= 100 * 1024
            assert __import__("hashlib").sha256(data).hexdigest() == e["sha256"]
    assert not list((tmp_path / "final").glob(".*"))  # no leftovers
    ws.close()


def test_errors_block_a_final_export(tmp_path):
    ws = new_workspace(tmp_path)

    def spoil(k, values):
        return {**values, "nksGioiTinh": "5"} if k == 3 else values

    book, ids = make_book(ws, 5, edit=spoil)
    res = export_workspace(ws, tmp_path / "out")[0]
    assert res.blocked and res.excel is None
    assert [(i.rule_id, i.entry_id) for i in res.issues if i.severity == "error"] == [
        ("code_list", ids[2])]
    assert not (tmp_path / "out").exists()
    assert ws.count_by_status(book.id)["approved"] == 5
    # the same book as a draft goes through, with the problem listed beside it
    draft = export_workspace(ws, tmp_path / "out", min_status="prefilled")[0]
    assert not draft.blocked and draft.excel.exists()
    issues = (tmp_path / "out" / f"{draft.excel.stem}.issues.csv").read_text(encoding="utf-8-sig")
    assert "code_list" in issues
    ws.close()


def test_missing_entry_image_blocks(tmp_path):
    ws = new_workspace(tmp_path)
    book, ids = make_book(ws, 3)
    view = ws.entry_view(ids[1])
    ws.entry_crop_file(ids[1]).unlink()  # the cached crop is gone: cut again from the page
    res = export_workspace(ws, tmp_path / "draft", min_status="confirmed")[0]
    assert not res.blocked and res.zip.exists()
    ws.page_path(view.page.sha256).unlink()  # and the page too: nothing to show, blocked
    res = export_workspace(ws, tmp_path / "out")[0]
    on_page = [e.id for e in ws.entries(book.id) if e.page_id == view.page.id]
    blocked = [i.entry_id for i in res.issues if i.rule_id == "image"]
    assert res.blocked and ids[1] in blocked and blocked == on_page
    ws.close()


def test_cli_export_and_check(tmp_path):
    ws = new_workspace(tmp_path)

    def spoil(k, values):
        return {**values, "ngayDangKy": "01.01.1990"} if k == 2 else values

    make_book(ws, 4, edit=spoil)
    ws.close()
    runner = CliRunner()
    res = runner.invoke(app, ["export", "-w", str(tmp_path / "ws"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    assert "date_order" in res.output
    res = runner.invoke(app, ["export", "-w", str(tmp_path / "ws"), "-o", str(tmp_path / "o"),
                              "--min-status", "confirmed"])
    assert res.exit_code == 0, res.output
    xlsx = next((tmp_path / "o").glob("DRAFT_*.xlsx"))
    res = runner.invoke(app, ["check-158", str(xlsx)])
    assert res.exit_code == 1 and "dòng 3, cột E (ngayDangKy)" in res.output, res.output
    res = runner.invoke(app, ["export", "-w", str(tmp_path / "ws"), "-o", str(tmp_path / "o"),
                              "--min-status", "exported"])
    assert res.exit_code == 2


def test_two_worker_processes_give_the_same_files(tmp_path):
    ws = new_workspace(tmp_path)
    make_book(ws, 10, status="confirmed")
    one = export_workspace(ws, tmp_path / "one", min_status="confirmed")[0]
    two = export_workspace(ws, tmp_path / "two", min_status="confirmed", workers=2)[0]
    assert sha(one.zip) == sha(two.zip) and sha(one.manifest) == sha(two.manifest)
    ws.close()
