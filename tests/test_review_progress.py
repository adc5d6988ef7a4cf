"""Approver, dashboard and field-sweep logic without Gradio, on a real workspace: progress
counts, confirmations per hour and clerk from the audit log, the book report, approval and
send-back permissions, and the sweep's corrections."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from review_helpers import make_workspace, private_copy  # noqa: E402

from review_ui import logic, progress, sweep  # noqa: E402


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("progress") / "ws", pages=1)


@pytest.fixture()
def ws(base, tmp_path):
    with private_copy(base, tmp_path) as w:
        yield w


def _confirm(ws, user: str, eid: int, **changes: str) -> None:
    screen = logic.describe(ws, eid)
    typed = {r.name: r.value for r in screen.rows} | changes
    assert logic.confirm(ws, user, eid, screen.version, typed, force=True).status == "ok"


def test_progress_and_clerk_counts(base, ws):
    ids = [e.id for e in ws.entries(base.book_id)]
    for eid in ids[:3]:
        _confirm(ws, "an", eid)
    _confirm(ws, "binh", ids[3], nksHoTen="Lò Thị Sửa")
    (book,) = progress.book_progress(ws)
    assert (book.total, book.confirmed, book.open, book.approved) == (len(ids), 4, len(ids) - 4, 0)
    assert book.pct_done == pytest.approx(100 * 4 / len(ids))
    (commune,) = progress.commune_progress([book])
    assert commune.total == book.total and commune.key == ws.book(base.book_id).commune
    counts = {c.user: c for c in progress.clerk_counts(ws)}
    assert counts["an"].confirmed == 3 and counts["binh"].confirmed == 1
    assert counts["binh"].corrected_fields == 1 and counts["an"].corrected_fields == 0
    hours = progress.per_hour(ws)
    assert sum(h.confirmed for h in hours) == 4 and {h.user for h in hours} == {"an", "binh"}


def test_approve_needs_an_approver_and_locks(base, ws):
    ids = [e.id for e in ws.entries(base.book_id)]
    _confirm(ws, "an", ids[0])
    with pytest.raises(progress.NotAllowed):
        progress.approve(ws, "an", base.book_id)
    out = progress.approve(ws, "duyet", base.book_id)
    assert out.approved == 1 and out.still_open == len(ids) - 1
    assert str(ws.entry(ids[0]).status) == "approved"
    with pytest.raises(progress.NotAllowed):
        progress.send_back(ws, "an", [ids[0]], "sai ngày sinh")
    assert progress.send_back(ws, "duyet", [ids[0], ids[1]], "sai ngày sinh") == 1  # ids[1] open
    ev = ws.entry_view(ids[0])
    assert str(ev.entry.status) == "prefilled" and ev.note == "sai ngày sinh"
    screen = logic.claim(ws, "an", base.book_id, 600)
    assert screen.entry_id == ids[0] and screen.note == "sai ngày sinh"  # back to the clerks


def test_book_report_finds_duplicates_and_illegible(base, ws):
    ids = [e.id for e in ws.entries(base.book_id)]
    so = ws.entry_view(ids[0]).values["so"]
    _confirm(ws, "an", ids[1], so=so)
    screen = logic.describe(ws, ids[2])
    typed = {r.name: r.value for r in screen.rows}
    logic.confirm(ws, "an", ids[2], screen.version, typed, illegible=frozenset({"nksNoiSinh"}))
    issues = progress.book_report(ws, base.book_id)
    assert any(i.entry_id == ids[1] and i.field == "so" and i.severity == "error"
               for i in issues), issues
    assert any(i.entry_id == ids[2] and i.field == "nksNoiSinh" for i in issues)


def test_parse_ids():
    assert progress.parse_ids("12, 15 #17; x 3a") == [12, 15, 17]


def test_sweep_lists_low_confidence_and_saves_corrections(base, ws):
    ids = [e.id for e in ws.entries(base.book_id)]
    for eid in ids:
        _confirm(ws, "an", eid)
    items = sweep.sweep_items(ws, base.book_id, "nksNgaySinh", only_low=True)
    assert [i.entry_id for i in items] == [i for i in ids if ws.entry(i).index % 3 == 0]
    assert all(i.crop and Path(i.crop).exists() and i.confidence < 0.9 for i in items)
    assert len(sweep.sweep_items(ws, base.book_id, "nksNgaySinh", only_low=False)) == len(ids)
    typed = [i.value for i in items]
    typed[0] = "1/2/2001"
    typed[1] = "31/2/2001"  # not a date: refused, nothing saved for that row
    stale_item = items[2]
    _confirm(ws, "binh", stale_item.entry_id, ghiChu="sửa song song")
    typed[2] = "3.3.2001"
    out = sweep.save_sweep(ws, "an", base.book_id, "nksNgaySinh", items, typed)
    assert (out.saved, out.stale, len(out.errors)) == (1, 1, 1)
    assert ws.entry_view(items[0].entry_id).values["nksNgaySinh"] == "01.02.2001"
    assert ws.entry_view(items[1].entry_id).values["nksNgaySinh"] == items[1].value
    assert ws.entry_view(stale_item.entry_id).values["nksNgaySinh"] == stale_item.value


def test_sweep_corrects_prefilled_entries_without_confirming_them(base, ws):
    items = sweep.sweep_items(ws, base.book_id, "nksNgaySinh", only_low=True)
    assert items and all(ws.entry(i.entry_id).status == "prefilled" for i in items)
    typed = [i.value for i in items]
    typed[0] = "2/3/2001"
    out = sweep.save_sweep(ws, "an", base.book_id, "nksNgaySinh", items, typed)
    assert (out.saved, out.unchanged) == (1, len(items) - 1)
    view = ws.entry_view(items[0].entry_id)
    assert view.values["nksNgaySinh"] == "02.03.2001"
    assert view.entry.status == "prefilled" and view.version == items[0].version + 1
    rows = [r for r in ws.audit(entry_id=items[0].entry_id) if r.action == "correct"]
    assert [(r.user, r.field, r.new) for r in rows] == [("an", "nksNgaySinh", "02.03.2001")]
    # the other fields keep their prefilled values; a stale screen cannot overwrite
    assert view.values.get("nksHoTen") == ws.entry_view(items[0].entry_id).values.get("nksHoTen")
    again = sweep.save_sweep(ws, "an", base.book_id, "nksNgaySinh", items[:1], ["4/4/2001"])
    assert again.stale == 1
