"""The review screen's logic without Gradio, on a real workspace (SQLite store, synthetic pages):
claims and leases, what the screen shows, confirm with normalisation and audit, stale versions,
validation errors, skipping, and the interface strings."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from review_helpers import make_workspace, private_copy  # noqa: E402

from review_ui import logic  # noqa: E402
from review_ui.i18n import EN, VI, t  # noqa: E402
from sohoa.records import FieldKind  # noqa: E402
from sohoa.store import Workspace  # noqa: E402


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("review") / "ws", pages=1)


@pytest.fixture()
def ws(base, tmp_path):
    """A private copy of the module's workspace per test (tests change it)."""
    with private_copy(base, tmp_path) as w:
        yield w


def test_screen_shows_template_fields_with_crops_and_flags(base, ws):
    eid = ws.claim_next("an", base.book_id, 600)
    screen = logic.describe(ws, eid)
    names = [r.name for r in screen.rows]
    assert names[:4] == ["so", "ngayDangKy", "nksHoTen", "nksNgaySinh"]
    assert all(r.crop and Path(r.crop).exists() for r in screen.rows if r.value)
    assert screen.entry_crop and Path(screen.entry_crop).exists()
    by = {r.name: r for r in screen.rows}
    assert by["nksHoTen"].value == base.wrong[eid] and by["nksHoTen"].low
    assert by["nksHoTen"].suggestions[0] == base.truth[eid]["nksHoTen"]  # engine's 2nd choice
    assert not by["meHoTen"].low  # 0.97 >= 0.9
    assert screen.focus == "nksHoTen"  # the first doubtful field gets the cursor
    sex = by["nksGioiTinh"]
    assert sex.closed and ("Nam", "1") in sex.choices and sex.value in {"1", "2"}
    assert by["nksDanToc"].closed and any(lab == "Thái" for lab, _ in by["nksDanToc"].choices)
    assert not by["nksHoTen"].closed


def test_two_clerks_get_different_entries_and_leases_expire(base, ws):
    a = ws.claim_next("an", base.book_id, 600)
    b = ws.claim_next("binh", base.book_id, 600)
    assert a != b
    assert ws.claim_next("an", base.book_id, 600) == a  # a reload gives back the same entry
    short = ws.claim_next("chi", base.book_id, 1)
    time.sleep(1.2)
    assert logic.claim(ws, "dung", base.book_id, 600).entry_id == short  # abandoned -> free


def test_confirm_normalises_changed_fields_and_audits(base, ws):
    eid = ws.claim_next("an", base.book_id, 600)
    screen = logic.describe(ws, eid)
    typed = {r.name: r.value for r in screen.rows}
    truth = base.truth[eid]
    typed["nksHoTen"] = truth["nksHoTen"]
    d, m, y = truth["nksNgaySinh"].split(".")
    typed["nksNgaySinh"] = f"{int(d)}/{int(m)}/{y}"  # as a clerk types it
    out = logic.confirm(ws, "an", eid, screen.version, typed)
    assert out.status == "ok", out.issues
    ev = ws.entry_view(eid)
    assert ev.values["nksHoTen"] == truth["nksHoTen"]
    assert ev.values["nksNgaySinh"] == truth["nksNgaySinh"]  # dd.mm.yyyy again
    assert str(ev.entry.status) == "confirmed" and ev.version == out.version
    fixes = {r.field: (r.old, r.new) for r in ws.audit(entry_id=eid) if r.action == "correct"}
    assert fixes == {"nksHoTen": (base.wrong[eid], truth["nksHoTen"])}  # same date: no correction


def test_stale_version_is_refused_not_overwritten(base, ws):
    eid = ws.claim_next("an", base.book_id, 600)
    screen = logic.describe(ws, eid)
    typed = {r.name: r.value for r in screen.rows}
    assert logic.confirm(ws, "an", eid, screen.version, typed).status == "ok"
    typed["nksHoTen"] = "Nguyễn Văn Sai"
    out = logic.confirm(ws, "binh", eid, screen.version, typed)
    assert out.status == "stale"
    assert ws.entry_view(eid).values["nksHoTen"] == base.wrong[eid]


def test_invalid_date_blocks_until_forced_and_illegible_exempts(base, ws):
    eid = ws.claim_next("an", base.book_id, 600)
    screen = logic.describe(ws, eid)
    typed = {r.name: r.value for r in screen.rows}
    typed["nksNgaySinh"] = "31/2/2001"
    out = logic.confirm(ws, "an", eid, screen.version, typed)
    assert out.status == "invalid"
    assert any(i.field == "nksNgaySinh" and i.severity == "error" for i in out.issues)
    assert str(ws.entry_view(eid).entry.status) == "prefilled"  # nothing saved
    shown = logic.describe(ws, eid, values=typed, issues=list(out.issues))
    assert {r.name: r for r in shown.rows}["nksNgaySinh"].issues
    out = logic.confirm(ws, "an", eid, screen.version, typed,
                        illegible=frozenset({"nksNgaySinh"}))
    assert out.status == "ok"
    assert "nksNgaySinh" in ws.entry_view(eid).illegible


def test_skip_passes_over_the_entry(base, ws):
    first = logic.claim(ws, "an", base.book_id, 600)
    logic.skip(ws, "an", first.entry_id)
    nxt = logic.claim(ws, "an", base.book_id, 600, skipped=frozenset({first.entry_id}))
    assert nxt is not None and nxt.entry_id != first.entry_id
    assert logic.claim(ws, "binh", base.book_id, 600).entry_id == first.entry_id  # back in queue


def test_empty_queue_gives_none(base, ws):
    for e in ws.entries(base.book_id):
        screen = logic.describe(ws, e.id)
        typed = {r.name: r.value for r in screen.rows}
        assert logic.confirm(ws, "an", e.id, screen.version, typed, force=True).status == "ok"
    assert logic.claim(ws, "an", base.book_id, 600) is None


def test_roles(ws):
    assert logic.user_role(ws, "an") == "clerk"
    assert logic.user_role(ws, "duyet") == "approver"
    assert logic.user_role(ws, "nobody") is None


def test_fieldhelp_normalises_and_suggests():
    from review_ui.fieldhelp import normalise, suggest

    assert normalise(FieldKind.DATE, "5-1-2002").value == "05.01.2002"
    assert normalise(FieldKind.DATE, "32/1/2002").error
    assert normalise(FieldKind.SEX, "nữ").value == "2"
    assert normalise(FieldKind.NAME, "x").warning and not normalise(FieldKind.NAME, "x").error
    assert suggest(FieldKind.NAME, "Lò Văn H", ("Lò Văn Hùng",))[0] == "Lò Văn Hùng"


def test_both_languages_have_every_string():
    assert set(VI) == set(EN)
    assert t("en", "confirmed_ok", entry=3) == "Entry #3 confirmed and saved."
    assert t("xx", "confirm") == VI["confirm"]


def test_review_command_refuses_missing_workspace_and_no_users(tmp_path):
    import re

    from typer.testing import CliRunner

    from sohoa.cli import app

    def said(res) -> str:  # typer draws a box around errors; unwrap it
        return re.sub(r"[│╭╮╰╯─\s]+", " ", res.output)

    res = CliRunner().invoke(app, ["review", "--workspace", str(tmp_path / "none")])
    assert res.exit_code != 0 and "no workspace" in said(res)
    Workspace.open(tmp_path / "empty", create=True).close()
    res = CliRunner().invoke(app, ["review", "--workspace", str(tmp_path / "empty")])
    assert res.exit_code != 0 and "sohoa user add" in said(res)


def test_a_page_is_decoded_once_and_the_next_page_ahead(tmp_path, monkeypatch):
    """Eight clerks opening rows of one fresh page at once cost one page decode (not eight),
    and claiming a row has the next page's rows cut in the background before anyone asks."""
    import threading

    import sohoa.imageio

    info = make_workspace(tmp_path / "ws", pages=2)
    decodes: list[int] = []
    real = sohoa.imageio.decode_page

    def counting(*a, **k):  # type: ignore[no-untyped-def]
        decodes.append(1)
        return real(*a, **k)

    monkeypatch.setattr(sohoa.imageio, "decode_page", counting)
    with Workspace.open(info.root) as ws:
        entries = ws.entries(info.book_id)
        page1 = [e.id for e in entries if e.page_id == entries[0].page_id]
        page2 = [e.id for e in entries if e.page_id != entries[0].page_id]
        shown: list[str | None] = []
        threads = [threading.Thread(target=lambda e=e: shown.append(
            logic.describe(ws, e).entry_crop)) for e in page1[:8]]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert len(decodes) == 1 and all(shown) and len(shown) == len(page1[:8])
        screen = logic.claim(ws, "an", info.book_id, 600)
        assert screen is not None and screen.entry_id in page1
        deadline = time.time() + 60
        while len(decodes) < 2 and time.time() < deadline:
            time.sleep(0.1)
        assert len(decodes) == 2  # page 2 cut ahead, before anyone opened it
        assert logic.describe(ws, page2[-1]).entry_crop  # (waits for the cut if still going)
        assert len(decodes) == 2  # its last row needed no decode of its own


def test_events_report_progress_on_few_leaf_components(base):
    """Gradio's page updates (and snapshots) the loading status of each progress target of
    every event, and walks every component inside a container target, on every later event:
    no event may target a container, and the entry events one component each."""
    from review_ui.app import build_app
    from review_ui.context import AppContext

    demo = build_app(AppContext.open(base.root))
    cfg = demo.get_config_file()
    kinds = {c["id"]: c["type"] for c in cfg["components"]}
    names = {d.get("api_name"): d for d in cfg["dependencies"]}
    containers = {"row", "column", "tabs", "tabitem", "group", "form", "accordion"}
    for dep in cfg["dependencies"]:
        targets = dep.get("show_progress_on") or dep["outputs"]
        assert not [kinds[t] for t in targets if kinds[t] in containers], dep.get("api_name")
    for api in ("confirm", "next", "skip", "back"):
        assert len(names[api]["show_progress_on"]) == 1
        assert len(names[api]["outputs"]) <= 20  # was 53


def test_entry_ahead_is_claimed_sent_and_becomes_the_next(base, ws):
    """With each entry the clerk gets the one after it, claimed for them and sent to the page
    (shown at once on Ctrl+Enter); no other clerk gets it, and after the confirmation it is
    the entry the clerk is given."""
    import json

    from review_ui import entry_tab
    from review_ui.context import AppContext
    from review_ui.entry_render import Session

    ctx = AppContext.open(ws.path)
    screen = logic.claim(ws, "an", base.book_id, 600)
    out = entry_tab.render(ctx, "an", screen, Session(book_id=base.book_id), "vi", "")
    data = json.loads(out[1])
    ahead = data["next"]["entry"]
    assert data["entry"] == screen.entry_id and ahead not in (None, screen.entry_id)
    assert out[0].ahead == ahead and ws.entry_view(ahead).claimed_by == "an"
    assert [r[1] for r in data["next"]["rows"]] and data["next"]["imgs"]
    assert logic.claim(ws, "binh", base.book_id, 600).entry_id not in (screen.entry_id, ahead)
    # the page shows the ahead entry's remaining count as it will be once this one is saved
    assert f"còn {screen.remaining - 1} bản ghi chờ" in data["next"]["head"]
    ev = ws.entry_view(screen.entry_id)
    assert logic.confirm(ws, "an", screen.entry_id, screen.version, dict(ev.values)).status == "ok"
    assert logic.claim(ws, "an", base.book_id, 600).entry_id == ahead
