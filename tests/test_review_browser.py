"""The review app in a real browser (headless Debian Chromium via Playwright), against a real
workspace drawn by the synthetic generator: login, keyboard-only correction and confirmation,
two clerks never sharing an entry, the approver's sign-off, and what a clerk may not reach."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from review_helpers import CHROMIUM, PASSWORD, SETTLED, free_port, make_workspace  # noqa: E402
from review_helpers import login as helpers_login  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed")
    from review_ui.app import serve

    root = tmp_path_factory.mktemp("review") / "ws"
    info = make_workspace(root, pages=2)
    port = free_port()
    demo = serve(root, port=port, block=False)
    yield info, f"http://127.0.0.1:{port}/"
    demo.close()


def login(browser, url: str, user: str, outside: list[str] | None = None):
    return helpers_login(browser, url, user, 1440, 1000, outside)


def shown_entry(page, timeout: float = 30_000) -> int | None:
    page.wait_for_function(
        "document.querySelector('#entry-meta') || document.querySelector('#msg .info')",
        timeout=timeout)
    meta = page.query_selector("#entry-meta")
    return int(meta.get_attribute("data-entry")) if meta else None


SAVED = "!document.body.classList.contains('sohoa-saving')"


def next_entry(page, after: int, timeout: float = 30_000) -> int | None:
    """The entry shown once the screen has moved past ``after`` and the server has answered
    (the next entry is shown at once on Ctrl+Enter, while ``after`` is saved; None: queue
    empty)."""
    page.wait_for_function(
        f"(() => {{ const m = document.querySelector('#entry-meta');"
        f" return {SAVED} && (m ? m.dataset.entry !== '{after}'"
        f" : !!document.querySelector('#msg .ok, #msg .info')); }})()", timeout=timeout)
    return shown_entry(page)


def test_keyboard_correct_and_confirm(server, browser):
    info, url = server
    from sohoa.store import Workspace

    outside: list[str] = []
    ctx, page = login(browser, url, "an", outside)
    eid = shown_entry(page)
    assert eid in info.misread, "the first entry of page 1 has the misread name"
    field = info.misread[eid]
    truth = info.truth[eid][field]
    page.wait_for_function("document.activeElement && document.activeElement.tagName==='INPUT'"
                           f" && document.activeElement.value === '{info.wrong[eid]}'")
    page.keyboard.type(truth)  # focus landed on the doubtful name, its text selected
    page.keyboard.press("Control+Enter")
    new = next_entry(page, eid)
    assert new != eid
    assert f"#{eid}" in page.inner_text("#msg")
    with Workspace.open(info.root) as ws:
        ev = ws.entry_view(eid)
        assert ev.values[field] == truth
        assert str(ev.entry.status) == "confirmed" and ev.confirmed_by == "an"
        rows = ws.audit(entry_id=eid)
    corrections = [r for r in rows if r.action == "correct"]
    assert [(r.field, r.old, r.new, r.user) for r in corrections] == [
        (field, info.wrong[eid], truth, "an")]
    assert any(r.action == "confirm" and r.user == "an" for r in rows)
    assert outside == [], f"requests left the machine: {outside[:3]}"
    ctx.close()


def test_correct_entry_confirms_with_one_key(server, browser):
    info, url = server
    from sohoa.store import Workspace

    ctx, page = login(browser, url, "binh")
    eid = shown_entry(page)
    with Workspace.open(info.root) as ws:
        before = ws.entry_view(eid).values
    page.wait_for_function(SETTLED)
    page.keyboard.press("Control+Enter")
    assert next_entry(page, eid) != eid
    with Workspace.open(info.root) as ws:
        ev = ws.entry_view(eid)
        assert str(ev.entry.status) == "confirmed"
        assert ev.values == before, "an unchanged entry is stored as shown"
        assert not [r for r in ws.audit(entry_id=eid) if r.action == "correct"]
    ctx.close()


def test_two_clerks_never_share_an_entry(server, browser):
    info, url = server
    ctx_a, a = login(browser, url, "an")
    ctx_b, b = login(browser, url, "binh")
    seen_a, seen_b = [shown_entry(a)], [shown_entry(b)]
    for _ in range(3):
        for page, seen in ((a, seen_a), (b, seen_b)):
            page.wait_for_function(SETTLED)
            page.keyboard.press("Control+Enter")
            seen.append(next_entry(page, seen[-1]))
    assert None not in seen_a + seen_b
    assert not set(seen_a) & set(seen_b), (seen_a, seen_b)
    ctx_a.close()
    ctx_b.close()


def test_skip_illegible_and_language_keys(server, browser):
    info, url = server
    from sohoa.store import Workspace

    ctx, page = login(browser, url, "an")
    first = shown_entry(page)
    page.wait_for_function(SETTLED)
    page.keyboard.press("Alt+s")
    eid = next_entry(page, first)
    assert eid not in (None, first)
    page.wait_for_function(SETTLED)
    field = page.evaluate("document.activeElement.closest('.frow')"
                          ".querySelector('.crop').dataset.field")
    page.keyboard.press("Control+i")
    page.wait_for_function("document.activeElement.closest('.frow')"
                           ".querySelector('.ill input').checked")
    page.keyboard.press("Control+Enter")
    next_entry(page, eid)
    with Workspace.open(info.root) as ws:
        ev = ws.entry_view(eid)
        assert str(ev.entry.status) == "confirmed" and ev.illegible == frozenset({field})
        assert [r.field for r in ws.audit(entry_id=eid) if r.action == "illegible"] == [field]
        assert str(ws.entry(first).status) == "prefilled"  # skipped, back in the queue
    page.get_by_text("English").click()
    page.wait_for_function("document.querySelector('#btn-confirm').innerText"
                           ".includes('Confirm')")
    assert "Skip" in page.inner_text("#btn-skip")
    ctx.close()


def pick(page, dropdown_id: str, text: str) -> None:
    """Choose ``text`` in a Gradio dropdown by keyboard-free clicks."""
    page.click(f"#{dropdown_id} input")
    page.locator("ul.option-list li", has_text=text).first.click()


def test_approver_approves_book(server, browser):
    info, url = server
    from sohoa.store import Workspace

    with Workspace.open(info.root) as ws:
        confirmed = ws.count_by_status(info.book_id).get("confirmed", 0)
        book = ws.book(info.book_id)
    assert confirmed > 0, "earlier tests confirmed some entries"
    ctx, page = login(browser, url, "duyet")
    page.get_by_role("tab", name="Phê duyệt").click()
    pick(page, "approve-book", book.volume)
    page.wait_for_function("document.querySelector('#approve-summary').innerText.length > 0")
    page.click("#btn-approve")
    page.wait_for_selector("#approve-msg .ok, #approve-msg .info, #approve-msg .err",
                           timeout=30_000)
    said = page.inner_text("#approve-msg")
    assert page.locator("#approve-msg .err").count() == 0, said  # no errors asked about
    assert str(confirmed) in said
    with Workspace.open(info.root) as ws:
        counts = ws.count_by_status(info.book_id)
        rows = [r for r in ws.audit(book_id=info.book_id) if r.action == "approve"]
    assert counts.get("approved", 0) == confirmed and counts.get("confirmed", 0) == 0
    assert len(rows) == confirmed and {r.user for r in rows} == {"duyet"}
    ctx.close()


def test_clerk_cannot_reach_approver_view(server, browser):
    info, url = server
    from gradio_client import Client

    from sohoa.store import Workspace

    ctx, page = login(browser, url, "an")
    shown_entry(page)
    assert page.get_by_role("tab", name="Phê duyệt").count() == 0
    assert page.get_by_role("tab", name="Tiến độ").count() == 0
    ctx.close()
    with Workspace.open(info.root) as ws:
        before = ws.count_by_status(info.book_id)
    client = Client(url, auth=("an", PASSWORD), verbose=False, download_files=False)
    out = client.predict(info.book_id, api_name="/approve")
    out = out[0] if isinstance(out, (list, tuple)) else out
    assert "phê duyệt" in out.lower()  # the refusal, in Vietnamese
    with Workspace.open(info.root) as ws:
        assert ws.count_by_status(info.book_id) == before
