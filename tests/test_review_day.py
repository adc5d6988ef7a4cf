"""A clerk's working day without a browser: silent blanks (ink in the cell, nothing read),
approving with errors, places kept as typed, the sweep order, and searching places and names
as typed without diacritics or with raw Telex/VNI keys. Real store, real crops."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from review_helpers import make_workspace, private_copy  # noqa: E402

from review_ui import logic, progress, sweep  # noqa: E402
from sohoa.fields.typing_search import search, telex_key  # noqa: E402

CHIENG_COI = "Phường Chiềng Cơi, thành phố Sơn La, tỉnh Sơn La"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("day") / "ws", pages=1, silent_blank=True)


@pytest.mark.parametrize("typed", ["chieng coi", "Chieng Coi", "chieefng cowi", "chie6ng2 co7i",
                                   "chiềng cơi", "xa chieng co", "chieng coi son la"])
def test_place_search_without_diacritics_and_telex_vni(typed):
    found = search("place", typed)
    assert CHIENG_COI in found[:3], (typed, found)


def test_telex_keys_and_name_search():
    assert [telex_key(w) for w in ("chieefng", "cowi", "ddoongf", "thuwowngf", "co7i")] == [
        "chieng", "coi", "dong", "thuong", "coi"]
    assert search("name", "nguyeenx vawn hungf")[0] == "Nguyễn Văn Hùng"
    assert "Lò Văn" in search("name", "lo van")
    assert search("name", "x") == [] and search("other", "chieng coi") == []


def test_silent_blank_is_an_error_everywhere(base, tmp_path):
    (eid, field), = base.blank.items()
    with private_copy(base, tmp_path) as ws:
        screen = logic.describe(ws, eid)
        row = next(r for r in screen.rows if r.name == field)
        assert row.value == "" and [i.severity for i in row.issues] == ["error"]
        assert "(meHoTen)" not in row.issues[0].message, "no internal codes on screen"
        assert screen.focus == field or any(r.low or r.issues for r in screen.rows)
        # one key (an unchanged confirm) cannot save it empty
        out = logic.confirm(ws, "an", eid, screen.version, {})
        assert out.status == "invalid" and any(i.field == field for i in out.issues)
        # the approver's report and the sweep list it
        report = progress.book_report(ws, base.book_id)
        assert any(i.entry_id == eid and i.field == field and i.severity == "error"
                   for i in report)
        items = sweep.sweep_items(ws, base.book_id, field, only_low=True)
        assert items and items[0].entry_id == eid and items[0].state == "ink_blank"
        # marked illegible, it confirms (and no other entry is a silent blank)
        out = logic.confirm(ws, "an", eid, screen.version, {}, frozenset({field}))
        assert out.status == "ok", out.issues
        others = [i for i in progress.book_report(ws, base.book_id) if "chữ viết" in i.message]
        assert others == []


def test_approve_with_errors_asks_first(base, tmp_path):
    (eid, field), = base.blank.items()
    with private_copy(base, tmp_path) as ws:
        good = next(e for e in base.entry_ids if e != eid and e not in base.misread)
        assert logic.confirm(ws, "an", good, ws.entry_view(good).version, {}).status == "ok"
        forced = logic.confirm(ws, "an", eid, ws.entry_view(eid).version, {}, force=True)
        assert forced.status == "ok"  # confirmed empty on purpose: the approver must see it
        out = progress.approve(ws, "duyet", base.book_id)
        assert out.approved == 0 and [(i.entry_id, i.field) for i in out.blocking] == [
            (eid, field)]
        assert ws.count_by_status(base.book_id).get("approved", 0) == 0
        out = progress.approve(ws, "duyet", base.book_id, force=True)
        assert out.approved == 2 and ws.count_by_status(base.book_id)["approved"] == 2


def test_place_and_name_stored_as_typed(base, tmp_path):
    eid = base.entry_ids[1]
    with private_copy(base, tmp_path) as ws:
        typed = {"nksNoiSinh": "Bản Kéo (B)  Lâm Thượng", "nksHoTen": "vàng a lử"}
        out = logic.confirm(ws, "an", eid, ws.entry_view(eid).version, typed, force=True)
        assert out.status == "ok"
        values = ws.entry_view(eid).values
        assert values["nksNoiSinh"] == "Bản Kéo (B) Lâm Thượng"  # no xã/huyện added, (B) kept
        assert values["nksHoTen"] == "vàng a lử"


def test_counts_after_a_blocked_confirm_and_sweep_order(base, tmp_path):
    eid = base.entry_ids[2]
    with private_copy(base, tmp_path) as ws:
        waiting = ws.count_by_status(base.book_id)["prefilled"]
        out = logic.confirm(ws, "an", eid, ws.entry_view(eid).version, {"ngayDangKy": "99/99"})
        assert out.status == "invalid"
        screen = logic.describe(ws, eid, values={"ngayDangKy": "99/99"}, issues=list(out.issues),
                                illegible=frozenset({"nksDanToc"}))
        assert screen.remaining == waiting > 0
        assert next(r for r in screen.rows if r.name == "nksDanToc").illegible
        items = sweep.sweep_items(ws, base.book_id, "nksNgaySinh", only_low=False)
        first = items[0]
        done = sweep.save_sweep(ws, "an", base.book_id, "nksNgaySinh", [first], ["01.01.2000"])
        assert done.saved == 1
        again = sweep.sweep_items(ws, base.book_id, "nksNgaySinh", only_low=False)
        assert again[-1].entry_id == first.entry_id and again[-1].state == "corrected"
        assert not any(i.corrected for i in again[:-1])
