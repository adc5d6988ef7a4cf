"""The next entry shown at once on Ctrl+Enter (headless Chromium): the page shows the entry the
server claimed ahead while the confirmation is saved, and nothing is lost when the save does
not go through: refused by a rule, stale (someone changed the entry), or failed (the event
never reaches the server). Each time the clerk is brought back to their entry with every
mark and edit, a clear message, and nothing stored; then the entry saves as they left it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from review_helpers import CHROMIUM, SETTLED, USERS, free_port, login, make_workspace  # noqa: E402
from test_review_browser import SAVED, next_entry, shown_entry  # noqa: E402

pytestmark = pytest.mark.browser

CLERKS = (("hoa", "clerk"), ("khanh", "clerk"), ("linh", "clerk"), ("mai", "clerk"),
          ("nam", "clerk"))
FOCUSED_INPUT = f"{SETTLED} && !!document.activeElement.closest('#entry-fields .frow')"
# every entry the screen shows, in order (the entry shown ahead, then the clerk's again)
WATCH = """() => { window.__seen = []; const note = () => {
  const m = document.querySelector('#entry-meta'); const e = m ? m.dataset.entry : '';
  if (window.__seen[window.__seen.length - 1] !== e) window.__seen.push(e); };
  new MutationObserver(note).observe(document.getElementById('entry-head'),
    { childList: true, subtree: true, attributes: true }); note(); }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from review_ui.app import serve

    root = tmp_path_factory.mktemp("ahead") / "ws"
    info = make_workspace(root, pages=2, users=USERS + CLERKS)
    port = free_port()
    demo = serve(root, port=port, block=False)
    yield info, f"http://127.0.0.1:{port}/"
    demo.close()


def field_row(page, name):
    return page.locator(f"#entry-fields .frow:has(.crop[data-field='{name}'])")


def retype(page, name, text):
    field_row(page, name).locator(".fin input").first.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type(text)


def value_of(page, name):
    return field_row(page, name).locator(".fin input").first.input_value()


def marks_and_edits(page):
    """Mark a field illegible, type a place, choose a dropdown value, type a blocking date."""
    field_row(page, "nksDanToc").locator(".fin input").first.focus()
    page.keyboard.press("Control+i")
    retype(page, "nksNoiSinh", "Bản Nà Ngần (B)")
    retype(page, "nksGioiTinh", "Nữ")
    page.keyboard.press("Tab")
    page.wait_for_function("!document.querySelector('#entry-fields ul.option-list')")
    retype(page, "ngayDangKy", "31/02/2002")


def assert_back_intact(page, eid, date="31/02/2002"):
    assert shown_entry(page) == eid
    assert field_row(page, "nksDanToc").locator(".ill input").is_checked()
    assert value_of(page, "nksNoiSinh") == "Bản Nà Ngần (B)"
    assert value_of(page, "nksGioiTinh") == "Nữ"
    assert value_of(page, "ngayDangKy") == date


def assert_nothing_stored(root, eid):
    from sohoa.store import Workspace

    with Workspace.open(root) as ws:
        assert str(ws.entry(eid).status) == "prefilled"
        assert [r.action for r in ws.audit(entry_id=eid)
                if r.action in ("confirm", "correct", "illegible")] == []


def save_and_check(page, root, eid, date="28.02.2002"):
    retype(page, "ngayDangKy", date.replace(".", "/"))
    page.keyboard.press("Control+Enter")
    next_entry(page, eid)
    from sohoa.store import Workspace

    with Workspace.open(root) as ws:
        ev = ws.entry_view(eid)
    assert str(ev.entry.status) == "confirmed" and ev.illegible == frozenset({"nksDanToc"})
    assert ev.values["nksNoiSinh"] == "Bản Nà Ngần (B)" and ev.values["nksGioiTinh"] == "2"
    assert ev.values["ngayDangKy"] == date


def test_refused_save_after_the_next_entry_was_shown(server, browser):
    info, url = server
    ctx, page = login(browser, url, "hoa")
    eid = shown_entry(page)
    page.wait_for_function(FOCUSED_INPUT)
    page.evaluate(WATCH)
    marks_and_edits(page)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#msg .err", timeout=30_000)
    seen = [int(e) for e in page.evaluate("window.__seen") if e]
    # the next entry was on screen (the clerk could read it) before the refusal came back
    assert seen[0] == eid and seen[-1] == eid and len(set(seen)) == 2, seen
    assert_back_intact(page, eid)
    assert f"#{eid}" in page.inner_text("#msg") and "CHƯA được lưu" in page.inner_text("#msg")
    assert field_row(page, "ngayDangKy").locator(".crop.bad").count() == 1
    assert_nothing_stored(info.root, eid)
    save_and_check(page, info.root, eid)
    ctx.close()


def test_stale_save_after_the_next_entry_was_shown(server, browser):
    info, url = server
    from sohoa.store import Workspace

    ctx, page = login(browser, url, "khanh")
    eid = shown_entry(page)
    page.wait_for_function(FOCUSED_INPUT)
    retype(page, "nksNoiSinh", "Bản Nà Ngần (B)")
    with Workspace.open(info.root) as ws:  # meanwhile an approver corrects another field
        ev = ws.entry_view(eid)
        ws.correct(eid, "duyet", {"ghiChu": "sổ gốc rách"}, int(ev.version))
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#msg .err", timeout=30_000)
    assert shown_entry(page) == eid and "CHƯA được lưu" in page.inner_text("#msg")
    assert value_of(page, "nksNoiSinh") == "Bản Nà Ngần (B)"  # theirs, over the new version
    assert value_of(page, "ghiChu") == "sổ gốc rách"
    with Workspace.open(info.root) as ws:
        assert str(ws.entry(eid).status) == "prefilled"
    page.keyboard.press("Control+Enter")
    next_entry(page, eid)
    with Workspace.open(info.root) as ws:
        ev = ws.entry_view(eid)
    assert str(ev.entry.status) == "confirmed"
    assert ev.values["nksNoiSinh"] == "Bản Nà Ngần (B)" and ev.values["ghiChu"] == "sổ gốc rách"
    ctx.close()


def test_failed_save_brings_the_entry_back(server, browser):
    """The confirm request fails (answered 500 on the way, as a broken server or proxy would):
    the page brings the clerk's entry back from what it sent, marks included; the next
    Ctrl+Enter saves it."""
    info, url = server
    ctx, page = login(browser, url, "linh")
    deps = page.request.get(url + "config").json()["dependencies"]
    confirm_fn = next(d["id"] for d in deps if d.get("api_name") == "confirm")

    def drop_confirm(route):
        body = route.request.post_data or ""
        try:
            fn = json.loads(body).get("fn_index")
        except ValueError:
            fn = None
        if fn == confirm_fn:
            route.fulfill(status=500, content_type="application/json",
                          body=json.dumps({"detail": "server error"}))
        else:
            route.continue_()

    eid = shown_entry(page)
    page.wait_for_function(FOCUSED_INPUT)
    page.evaluate(WATCH)
    marks_and_edits(page)
    retype(page, "ngayDangKy", "28/02/2002")  # valid: only the network fails
    page.route("**/gradio_api/queue/join*", drop_confirm)
    page.keyboard.press("Control+Enter")
    page.wait_for_function(f"{SAVED} && !!document.querySelector('#msg .err')", timeout=30_000)
    seen = [int(e) for e in page.evaluate("window.__seen") if e]
    assert len(set(seen)) == 2 and seen[-1] == eid, seen
    assert_back_intact(page, eid, "28/02/2002")
    assert "CHƯA được lưu" in page.inner_text("#msg")
    assert_nothing_stored(info.root, eid)
    page.unroute("**/gradio_api/queue/join*")
    save_and_check(page, info.root, eid)
    ctx.close()


def test_keys_pressed_while_saving_wait_for_the_answer(server, browser):
    """Ctrl+Enter twice at once: the second confirms the entry shown ahead, after the first
    is saved; both are stored, each once."""
    info, url = server
    from sohoa.store import Workspace

    ctx, page = login(browser, url, "mai")
    first = shown_entry(page)
    page.wait_for_function(FOCUSED_INPUT)
    page.keyboard.press("Control+Enter")
    page.wait_for_function(f"document.querySelector('#entry-meta').dataset.entry !== '{first}'")
    second = shown_entry(page)
    page.keyboard.press("Control+Enter")
    third = next_entry(page, second, timeout=60_000)
    assert third not in (first, second)
    with Workspace.open(info.root) as ws:
        for eid in (first, second):
            assert str(ws.entry(eid).status) == "confirmed"
            assert ws.entry_view(eid).confirmed_by == "mai"
            assert [r.action for r in ws.audit(entry_id=eid)].count("confirm") == 1
    ctx.close()


def test_connection_lost_while_saving_keeps_the_work(server, browser):
    """The confirm request is cut (no answer at all): Gradio reloads the page; the server
    gives the clerk's entry back, unsaved, and the page lays what they typed and marked over
    it, with the message; then it saves."""
    info, url = server
    ctx, page = login(browser, url, "nam")
    eid = shown_entry(page)
    page.wait_for_function(FOCUSED_INPUT)
    marks_and_edits(page)
    retype(page, "ngayDangKy", "28/02/2002")
    deps = page.request.get(url + "config").json()["dependencies"]
    confirm_fn = next(d["id"] for d in deps if d.get("api_name") == "confirm")
    cut = []

    def cut_confirm(route):
        try:
            fn = json.loads(route.request.post_data or "{}").get("fn_index")
        except ValueError:
            fn = None
        if fn == confirm_fn and not cut:
            cut.append(fn)
            route.abort()
        else:
            route.continue_()

    page.route("**/gradio_api/queue/join*", cut_confirm)
    page.keyboard.press("Control+Enter")
    page.wait_for_function(f"document.querySelector('#entry-meta')?.dataset.entry === '{eid}'"
                           " && !!document.querySelector('#msg .err')", timeout=60_000)
    assert cut and "CHƯA được lưu" in page.inner_text("#msg")
    page.wait_for_function(FOCUSED_INPUT)
    assert_back_intact(page, eid, "28/02/2002")
    assert_nothing_stored(info.root, eid)
    page.unroute("**/gradio_api/queue/join*")
    save_and_check(page, info.root, eid)
    ctx.close()
