"""Workspace store on a real SQLite file: books, pages, results, review moves, audit, users."""

from __future__ import annotations

import sqlite3
import time

import numpy as np
import pytest
from store_helpers import entry_results, make_book, page_image, sha

from sohoa.records import Book, EntryStatus, Reading
from sohoa.store import EntryLocked, EntryResult, StaleVersion, Workspace, WorkspaceError
from sohoa.store.schema import SCHEMA_VERSION
from sohoa.store.users import login_delay


def _page(ws: Workspace, book_id: int, seed: int = 1):
    img = page_image(seed)
    return ws.add_page(book_id, img, f"p{seed}.png", sha(img))[0]


def test_open_requires_create_and_sets_wal_and_schema(tmp_path):
    with pytest.raises(WorkspaceError, match="no workspace"):
        Workspace.open(tmp_path / "none")
    with Workspace.open(tmp_path / "w", create=True) as ws:
        conn = sqlite3.connect(ws.db_path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()
    (tmp_path / "f").write_text("x")
    with pytest.raises(WorkspaceError, match="is a file"):
        Workspace.open(tmp_path / "f", create=True)


def test_newer_schema_is_refused(tmp_path):
    Workspace.open(tmp_path / "w", create=True).close()
    conn = sqlite3.connect(tmp_path / "w" / "sohoa.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(Exception, match="newer than this sohoa"):
        Workspace.open(tmp_path / "w")


def test_books_dedup_and_find(ws):
    a = make_book(ws, "01/2008")
    assert make_book(ws, "01/2008") == a
    b = make_book(ws, "02/2008")
    assert ws.find_book(str(b)).volume == "02/2008"
    assert ws.find_book("01/2008").id == a
    ws.add_book(Book(None, "KT", 2008, "01/2008", "Chiềng Cơi"))
    with pytest.raises(WorkspaceError, match="ambiguous"):
        ws.find_book("01/2008")
    with pytest.raises(WorkspaceError, match="no book"):
        ws.find_book("09/1999")


def test_pages_numbered_deduplicated_and_read_back(ws):
    book = make_book(ws)
    imgs = [page_image(s) for s in (1, 2)]
    p1, new1 = ws.add_page(book, imgs[0], "a.png", sha(imgs[0]))
    p2, _ = ws.add_page(book, imgs[1], "b.png", sha(imgs[1]))
    again, new_again = ws.add_page(book, imgs[0], "a-copy.png", sha(imgs[0]))
    assert (p1.page_no, p2.page_no, new1, new_again, again.id) == (1, 2, True, False, p1.id)
    assert np.array_equal(ws.page_image(p1.id), imgs[0])
    grey = np.full((30, 20), 77, np.uint8)
    pg, _ = ws.add_page(book, grey, "g.png", sha(grey))
    assert ws.page_image(pg.id).shape == (30, 20, 3) and ws.page_image(pg.id)[0, 0, 2] == 77
    assert ws.page_state(p1.id) == ("ingested", "")
    ws.set_page_state(p2.id, "needs_attention", "no table found")
    assert [p.id for p in ws.pages_in_state("needs_attention")] == [p2.id]
    with pytest.raises(WorkspaceError, match="unknown page state"):
        ws.set_page_state(p2.id, "weird")


def test_save_page_result_is_idempotent_and_protects_human_work(ws):
    page = _page(ws, make_book(ws))
    ids = ws.save_page_result(page.id, 1.2, entry_results(3))
    assert ws.count_by_status()["prefilled"] == 3 and ws.page(page.id).angle == 1.2
    view = ws.entry_view(ids[0])
    assert view.field_crops["nksHoTen"].exists() and not view.entry_crop.exists()
    assert ws.crop_image(ids[0]).shape[:2] == (10, 80)  # the row, cut from the page
    assert ws.entry_crop_file(ids[0]) == view.entry_crop and view.entry_crop.exists()
    assert view.readings["nksHoTen"].bbox == (2, 2, 40, 9)
    ws.confirm(ids[0], "lan", {"nksHoTen": "Lò Văn Sửa"}, view.version)
    again = ws.save_page_result(page.id, 0.5, entry_results(2, tag="new"))
    assert again[0] == ids[0]  # the confirmed entry kept its id ...
    kept = ws.entry_view(ids[0])
    assert kept.values["nksHoTen"] == "Lò Văn Sửa"  # ... and its value
    assert kept.readings["nksHoTen"].text == "Lò Văn 0"  # ... and its original readings
    assert ws.entry_view(again[1]).readings["nksHoTen"].text == "Lò Văn new1"
    assert len(ws.entries()) == 2  # the third machine-only entry is gone
    assert ws.page_state(page.id)[0] == "processed"


def test_detected_without_readings_and_entries_filter(ws):
    page = _page(ws, make_book(ws))
    ws.save_page_result(page.id, 0.0, entry_results(2, with_readings=False))
    assert [e.status for e in ws.entries(status="detected")] == [EntryStatus.DETECTED] * 2
    assert ws.entries(status=["prefilled", "confirmed"]) == []


def test_confirm_audits_changes_and_version(ws):
    book = make_book(ws)
    ids = ws.save_page_result(_page(ws, book).id, 0.0, entry_results(1))
    v = ws.entry_view(ids[0])
    new_v = ws.confirm(ids[0], "lan", {"nksHoTen": "Lò Văn  B ", "nksGioiTinh": "1"}, v.version,
                       illegible={"nksNoiSinh"})
    assert new_v == v.version + 1
    view = ws.entry_view(ids[0])
    assert view.entry.status == "confirmed" and view.confirmed_by == "lan"
    assert view.values["nksHoTen"] == "Lò Văn  B" and view.illegible == {"nksNoiSinh"}
    rows = ws.audit(entry_id=ids[0])
    correct = [r for r in rows if r.action == "correct"]
    assert [(r.field, r.old, r.new, r.original) for r in correct] == [
        ("nksHoTen", "Lò Văn 0", "Lò Văn  B", "Lò Văn 0")
    ]
    assert {r.action for r in rows} >= {"correct", "illegible", "confirm"}
    assert all(r.book_id == book and r.user == "lan" for r in rows)
    with pytest.raises(StaleVersion):
        ws.confirm(ids[0], "mai", {"nksHoTen": "X"}, v.version)


def test_approve_locks_and_send_back_reopens(ws):
    book = make_book(ws)
    ids = ws.save_page_result(_page(ws, book).id, 0.0, entry_results(2))
    ws.confirm(ids[0], "lan", {}, ws.entry_view(ids[0]).version)
    assert ws.approve_book(book, "boss") == 1
    with pytest.raises(EntryLocked):
        ws.confirm(ids[0], "lan", {"nksHoTen": "X"}, ws.entry_view(ids[0]).version)
    with pytest.raises(WorkspaceError, match="backwards"):
        ws.set_status([ids[0]], "confirmed", "boss")
    with pytest.raises(WorkspaceError, match="note"):
        ws.send_back(ids[0], "boss", "  ")
    ws.send_back(ids[0], "boss", "sai tên mẹ")
    view = ws.entry_view(ids[0])
    assert view.entry.status == "prefilled" and view.note == "sai tên mẹ"
    back = [r for r in ws.audit(book_id=book) if r.action == "send_back"]
    assert len(back) == 1 and back[0].old == "approved"
    ws.confirm(ids[0], "lan", {}, view.version)
    assert ws.approve_book(book, "boss") == 1
    assert ws.set_status([ids[0]], "exported", "boss") == 1
    assert ws.count_by_status(book)["exported"] == 1


def test_audit_table_is_append_only(ws):
    book = make_book(ws)
    ids = ws.save_page_result(_page(ws, book).id, 0.0, entry_results(1))
    ws.confirm(ids[0], "lan", {"nksHoTen": "X"}, 1)
    conn = sqlite3.connect(ws.db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET user = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit")
    conn.close()
    assert {r.user for r in ws.audit()} == {"lan"}


def test_claims_are_exclusive_and_leases_expire(ws):
    book = make_book(ws)
    ids = ws.save_page_result(_page(ws, book).id, 0.0, entry_results(3))
    a = ws.claim_next("lan")
    b = ws.claim_next("mai")
    assert a == ids[0] and b == ids[1]
    assert ws.claim_next("lan") == a  # own live claim comes back first
    assert ws.claim_next("lan", exclude=[a]) == ids[2]
    assert ws.claim_next("hoa") is None  # everything is held
    ws.release(b, "mai")
    assert ws.claim_next("hoa") == b
    # an expired lease is reclaimed by someone else
    ws._conn().execute("UPDATE entries SET claim_until = ? WHERE id = ?", (time.time() - 1, a))
    assert ws.claim_next("tuan") == a
    assert ws.entry_view(a).claimed_by == "tuan"
    ws.release(a, "tuan")
    assert ws.claim_next("tuan", lease_s=0) == a
    time.sleep(0.01)
    assert ws.claim_next("vy") == a  # a zero lease is expired at once


def test_users_passwords_and_slowed_failures(ws, monkeypatch):
    ws.add_user("lan", "clerk", "mật khẩu dài")
    with pytest.raises(WorkspaceError, match="exists"):
        ws.add_user("lan", "clerk", "x")
    with pytest.raises(WorkspaceError, match="role"):
        ws.add_user("mai", "boss", "x")
    stored = sqlite3.connect(ws.db_path).execute("SELECT pw_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2") and "mật" not in stored
    assert ws.authenticate("lan", "mật khẩu dài").role == "clerk"
    assert ws.authenticate("nobody", "x") is None
    monkeypatch.setattr("sohoa.store.throttle.BASE_DELAY_S", 0.05)
    monkeypatch.setattr("sohoa.store.users.FAILURE_FLOOR_S", 0.0)
    took = []
    for _ in range(5):
        t0 = time.monotonic()
        assert ws.authenticate("lan", "wrong") is None
        took.append(time.monotonic() - t0)
    assert ws.user("lan").failed_logins == 5
    assert took[3] >= 0.05 and took[4] >= 0.1  # the 4th and 5th attempts waited
    t0 = time.monotonic()
    assert ws.authenticate("lan", "mật khẩu dài") is not None
    assert time.monotonic() - t0 >= 0.2  # the 6th waited too, then the count is reset
    assert ws.user("lan").failed_logins == 0
    monkeypatch.undo()
    assert [login_delay(n) for n in (0, 2, 3, 4, 10)] == [0, 0, 0.5, 1.0, 5.0]
    assert [u.name for u in ws.users()] == ["lan"]


def test_exports_recorded_and_audited(ws):
    book = make_book(ws)
    ws.record_export(book, "out/KS_01.xlsx", "ab" * 32, 12, True, "boss")
    rows = ws.exports(book)
    assert rows[0]["entry_count"] == 12 and rows[0]["draft"] is True
    assert [r.action for r in ws.audit(book_id=book)] == ["export"]


def test_bad_bbox_rolls_back_whole_page(ws):
    page = _page(ws, make_book(ws))
    bad = [*entry_results(2), EntryResult(index=2, bbox=(10, 10, 5, 5))]
    with pytest.raises(ValueError):
        ws.save_page_result(page.id, 0.0, bad)
    assert ws.entries() == [] and ws.page_state(page.id)[0] == "ingested"


def test_one_connection_per_thread(ws):
    import threading

    book = make_book(ws)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for j in range(5):
                img = page_image(1000 * k + j)
                ws.add_page(book, img, f"t{k}-{j}", sha(img))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.page_no for p in ws.pages(book)) == list(range(1, 21))
    assert len(ws._all) >= 4


def test_reading_alternatives_round_trip(ws):
    page = _page(ws, make_book(ws))
    r = Reading("nksHoTen", "Lò Văn A", "Lò Văn A", 0.6, "htr",
                alternatives=({"text": "Lò Văn Á", "confidence": 0.3},))
    ids = ws.save_page_result(page.id, 0.0, [EntryResult(0, (0, 0, 9, 9), readings=[r])])
    assert ws.entry_view(ids[0]).readings["nksHoTen"].alternatives[0].text == "Lò Văn Á"


def test_not_a_database_is_a_clear_error(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "sohoa.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(WorkspaceError, match="not a usable sohoa database"):
        Workspace.open(tmp_path / "w")


def test_forked_child_gets_its_own_connection(ws):
    import multiprocessing as mp

    book = make_book(ws)
    parent_conn = ws._conn()
    ctx = mp.get_context("fork")
    proc = ctx.Process(target=_child_adds_page, args=(ws, book))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    assert ws._conn() is parent_conn and len(ws.pages(book)) == 1


def _child_adds_page(ws: Workspace, book: int) -> None:
    parent = ws._all[0]
    img = page_image(77)
    ws.add_page(book, img, "child.png", sha(img))
    assert ws._conn() is not parent


def test_close_from_another_thread_waits_for_a_running_query(ws):
    """The review screen's crop warmer may be in a query when the server closes the
    workspace: its connection must stay open until that query ends (closing it under the
    query crashed SQLite: a segfault in the test run of 4 Dec), then be closed."""
    import threading

    make_book(ws)
    started, release = threading.Event(), threading.Event()
    out: dict[str, object] = {}

    def slow(x: int) -> int:
        started.set()
        release.wait(10)
        return x

    def work() -> None:
        conn = ws._conn()
        conn.create_function("slow", 1, slow)
        try:
            out["rows"] = [r[0] for r in ws._query("SELECT slow(id) FROM books")]
        except BaseException as exc:  # noqa: BLE001
            out["error"] = exc
        out["conn"] = conn

    t = threading.Thread(target=work)
    t.start()
    assert started.wait(10)
    ws.close()  # from this thread, while the other one is inside its query
    release.set()
    t.join(10)
    assert "error" not in out and out["rows"] == [1]
    with pytest.raises(sqlite3.ProgrammingError):  # closed by the query's end
        out["conn"].execute("SELECT 1")  # type: ignore[attr-defined]
    with pytest.raises(WorkspaceError, match="closed"):
        ws.books()
