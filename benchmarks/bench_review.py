"""Simulated clerks against one review server on 127.0.0.1.

N clerks (threads, one lean HTTP client each, logged in) confirm entries concurrently
through the same endpoints the browser uses (``/next``, ``/confirm``): each confirmation sends
the values shown (corrected where the "OCR" misread them) and gets the next entry back. We
measure the next-entry latency (confirm + claim + render, as a clerk waits for it), the
confirmations per second, and check the database afterwards: every confirmation a clerk was
told about is stored once, none is lost, no entry was confirmed twice.

    .venv/bin/python benchmarks/bench_review.py            # 20 clerks, 200 entries
    .venv/bin/python benchmarks/bench_review.py --quick    # 5 clerks, 30 entries
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from review_helpers import ARGS, CHROMIUM, PASSWORD, free_port, make_workspace  # noqa: E402

ENTRY_RE = re.compile(r'data-entry="(\d+)"')
OK_RE = re.compile(r"#(\d+)")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(root: Path, port: int, profile: str = "") -> subprocess.Popen:
    """``sohoa review`` in its own process; with ``profile``, under the sampling profiler
    (``sample_profile.py``: every thread, written to that file when the server stops)."""
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    wrap = [str(ROOT / "benchmarks" / "sample_profile.py"), profile] if profile else []
    proc = subprocess.Popen(
        [sys.executable, *wrap, "-m", "sohoa.cli", "review", "--workspace", str(root), "--port",
         str(port)],
        env=dict(env, PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])),
        # a file, not a pipe nobody reads (a full pipe would stall the server's logging)
        stdout=(root.parent / "server.log").open("w"), stderr=subprocess.STDOUT)
    import httpx

    for _ in range(120):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code < 500:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    log = (root.parent / "server.log").read_text(errors="replace")[-2000:]
    raise RuntimeError("review server did not start: " + log)


class Clerk(threading.Thread):
    """One clerk: log in, take an entry, confirm it (corrected if misread), until none left."""

    login_lock = threading.Lock()  # log in one at a time: argon2 takes ~0.5 s a check here

    def __init__(self, name: str, url: str, root: Path, truth: dict, misread: dict,
                 barrier: threading.Barrier, think_s: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.think_s = think_s
        self.name_, self.url, self.root = name, url, root
        self.truth, self.misread, self.barrier = truth, misread, barrier
        self.latencies: list[float] = []
        self.confirmed: list[int] = []
        self.errors: list[str] = []

    def _values(self, ws, eid: int) -> list:
        """The confirm payload a browser sends: the values shown, the misread one fixed."""
        ev = ws.entry_view(eid)
        values = dict(ev.values)
        if eid in self.misread:
            values[self.misread[eid]] = self.truth[eid][self.misread[eid]]
        return [json.dumps({"values": values, "illegible": []}, ensure_ascii=False)]

    def run(self) -> None:
        from sohoa.store import Workspace

        with self.login_lock:
            client = LeanClient(self.url, self.name_, PASSWORD)
        ws = Workspace.open(self.root)
        self.barrier.wait()
        out = shown(client.call("next", [None, 0, None]))
        m = ENTRY_RE.search(out["head"])
        while m:
            eid = int(m.group(1))
            args = self._values(ws, eid)
            if self.think_s:  # the clerk looks at the crops before pressing Ctrl+Enter
                time.sleep(self.think_s * random.uniform(0.5, 1.5))
            t0 = time.perf_counter()
            out = shown(client.call("confirm", [*args, None, None]))
            self.latencies.append(time.perf_counter() - t0)
            msg = out["msg"]
            if 'class="ok"' in msg and f"#{eid}" in msg:
                self.confirmed.append(eid)
            else:
                self.errors.append(f"{eid}: {re.sub('<[^>]+>', '', msg)[:120]}")
            m = ENTRY_RE.search(out["head"])
        ws.close()
        client.close()


def shown(out: list) -> dict:
    """What an entry event sends the page: message, header, pane and rows (one JSON string,
    the output after the session state)."""
    data = json.loads(out[1] or "{}")
    return {"msg": data.get("msg") or "", "head": data.get("head") or "", **data}


class LeanClient:
    """What the page does, with nothing else: log in (cookie), join the queue for an event,
    read the session's event stream until that event completes. (``gradio_client`` did the
    same with a heartbeat thread and a stream reader per client, and used 2.5x the server's
    CPU on the machine the server shares.)"""

    def __init__(self, url: str, user: str, password: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=url, timeout=120)
        r = self.http.post("/login", data={"username": user, "password": password})
        r.raise_for_status()
        self.deps = {d.get("api_name"): d for d in self.http.get("/config").json()["dependencies"]}
        self.session = uuid.uuid4().hex[:11]

    def call(self, api: str, data: list) -> list:
        dep = self.deps[api]
        r = self.http.post("/gradio_api/queue/join", json={
            "data": data, "fn_index": dep["id"], "session_hash": self.session,
            "event_data": None, "trigger_id": dep["targets"][0][0]})
        r.raise_for_status()
        event = r.json()["event_id"]
        with self.http.stream("GET", "/gradio_api/queue/data",
                              params={"session_hash": self.session}) as resp:
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") == event and msg.get("msg") == "process_completed":
                    if not msg.get("success"):
                        raise RuntimeError(f"{api} failed: {msg.get('output')}")
                    return list(msg["output"]["data"])
        raise RuntimeError(f"{api}: stream ended before the event completed")

    def close(self) -> None:
        self.http.close()


SHOWN = ("(a) => { const m = document.querySelector('#entry-meta');"
         " const f = document.activeElement;"
         " return m && m.dataset.entry !== a && f && f.tagName === 'INPUT'"
         " && !!f.closest('#entry-fields .frow'); }")
SHOWN_OR_EMPTY = ("(a) => { const m = document.querySelector('#entry-meta');"
                  " if (!m) return !!document.querySelector('#msg .ok, #msg .info');"
                  " const f = document.activeElement;"
                  " return m.dataset.entry !== a && f && f.tagName === 'INPUT'"
                  " && !!f.closest('#entry-fields .frow'); }")


class BrowserClerk(threading.Thread):
    """One clerk in headless Chromium (Playwright), beside the simulated ones: Ctrl+Enter ->
    the next entry on screen with the cursor in its field, as the clerk sees it; and the keys
    an entry costs: a correct one, and one whose name, date and place are corrected."""

    def __init__(self, user: str, url: str, think_s: float, limit: int = 10) -> None:
        super().__init__(daemon=True)
        self.ready, self.go = threading.Event(), threading.Event()
        self.user, self.url, self.think_s, self.limit = user, url, think_s, limit
        self.latencies: list[float] = []
        self.keys: dict[str, int] = {}
        self.errors: list[str] = []

    def run(self) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = b.new_page(viewport={"width": 1366, "height": 768})
                page.goto(self.url)
                page.fill("#username", self.user)
                page.fill("#password", PASSWORD)
                page.keyboard.press("Enter")
                page.wait_for_function(SHOWN, arg="", timeout=120_000)
                self.ready.set()  # logged in, an entry on screen: wait for the clock
                self.go.wait(timeout=900)
                self._correction(page)
                for _ in range(self.limit):
                    time.sleep(self.think_s * random.uniform(0.5, 1.5))
                    eid = page.get_attribute("#entry-meta", "data-entry") or ""
                    t0 = time.perf_counter()
                    page.keyboard.press("Control+Enter")
                    page.wait_for_function(SHOWN_OR_EMPTY, arg=eid, timeout=60_000,
                                           polling="raf")
                    if page.query_selector("#entry-meta") is None:
                        break  # the queue is empty
                    self.latencies.append(time.perf_counter() - t0)
                self.keys["correct_entry"] = 1
                b.close()
        except Exception as exc:  # reported, not raised: the simulated clerks go on
            self.errors.append(f"browser: {exc!r}"[:300])
        finally:
            self.ready.set()

    def _correction(self, page) -> None:  # type: ignore[no-untyped-def]
        """Retype a name, a date and a place on the first entry (the place through the live
        search: a few letters, then the suggestion) and count the keys."""
        keys = 0

        def field(name: str) -> None:
            page.locator(f"#entry-fields .frow:has(.crop[data-field='{name}']) .fin input"
                         ).first.focus()

        field("nksHoTen")
        page.keyboard.press("Control+a")
        page.keyboard.type("Lò Văn Hùng")
        keys += 1 + len("Lò Văn Hùng")
        field("nksNgaySinh")
        page.keyboard.press("Control+a")
        page.keyboard.type("5/1/2002")
        keys += 1 + len("5/1/2002")
        field("nksNoiSinh")
        page.keyboard.press("Control+a")
        page.keyboard.type("chieng coi")
        page.locator("#entry-fields .frow:has(.crop[data-field='nksNoiSinh']) .pick",
                     has_text="Chiềng Cơi").first.wait_for(timeout=10_000)
        page.keyboard.press("Alt+1")
        keys += 1 + len("chieng coi") + 1
        self.keys["place_chars_stored"] = len(
            page.locator("#entry-fields .frow:has(.crop[data-field='nksNoiSinh']) .fin input"
                         ).first.input_value())
        eid = page.get_attribute("#entry-meta", "data-entry") or ""
        page.keyboard.press("Control+Enter")
        keys += 1
        page.wait_for_selector("#msg .ok, #msg .err", state="attached", timeout=60_000)
        if page.locator("#msg .err").count():  # a rule refused it: confirm as written
            page.keyboard.press("Control+Enter")
            keys += 1
        page.wait_for_function(SHOWN_OR_EMPTY, arg=eid, timeout=60_000)
        self.keys["corrected_name_date_place"] = keys


def run(clerks: int, pages: int, think_s: float, browser: bool = True,
        profile: str = "") -> dict:
    from sohoa.store import Workspace

    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        root = Path(tmp) / "ws"
        users = tuple((f"clerk{i:02d}", "clerk") for i in range(clerks))
        use_browser = browser and Path(CHROMIUM).exists() and clerks > 1
        if use_browser:  # one of the clerks works in a real browser
            users = users[:-1]
        info = make_workspace(root, pages=pages, users=(*users, ("browser", "clerk")))
        port = free_port()
        proc = start_server(root, port, profile)
        try:
            barrier = threading.Barrier(len(users) + 1)  # the clerks, logged in, and us
            workers = [Clerk(u, f"http://127.0.0.1:{port}/", root, info.truth, info.misread,
                             barrier, think_s) for u, _ in users]
            for w in workers:
                w.start()
            web = BrowserClerk("browser", f"http://127.0.0.1:{port}/", think_s) if use_browser \
                else None
            if web is not None:
                web.start()
                web.ready.wait(timeout=300)
            barrier.wait(timeout=600)  # every clerk logged in: start the clock
            if web is not None:
                web.go.set()
            cpu0, t0, me0 = cpu_s(proc.pid), time.perf_counter(), cpu_s(os.getpid())
            for w in workers:
                w.join()
            wall = time.perf_counter() - t0
            if web is not None:
                web.join(timeout=300)
            server_cpu = cpu_s(proc.pid) - cpu0
            client_cpu = cpu_s(os.getpid()) - me0
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        lat = [x for w in workers for x in w.latencies]
        told = [e for w in workers for e in w.confirmed]
        with Workspace.open(root) as ws:
            stored = [e.id for e in ws.entries(status="confirmed")]
            by_browser = [e for e in stored if ws.entry_view(e).confirmed_by == "browser"]
            held = [e.id for e in ws.entries(status="prefilled")
                    if ws.entry_view(e.id).claimed_by == "browser"]
            confirms = Counter(r.entry_id for r in ws.audit() if r.action == "confirm")
            # the simulated clerks correct every misread name they get; the browser clerk
            # confirms as shown (one key) or retypes a name of its own
            theirs = {e: f for e, f in info.misread.items() if e in set(told)}
            fixed = sum(ws.entry_view(e).values[f] == info.truth[e][f]
                        for e, f in theirs.items())
    return {
        "clerks": clerks,
        "think_s": think_s,
        "entries": len(info.entry_ids),
        "confirmations": len(told),
        "wall_s": round(wall, 2),
        "confirmations_per_s": round(len(told) / wall, 2),
        "server_cpu_ms_per_confirmation": round(1000 * server_cpu / max(1, len(told)), 1),
        "clients_cpu_ms_per_confirmation": round(1000 * client_cpu / max(1, len(told)), 1),
        "next_entry_p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
        "next_entry_p95_ms": round(1000 * pct(lat, 0.95), 1),
        "next_entry_max_ms": round(1000 * max(lat), 1) if lat else None,
        "lost": len(set(told) - set(stored) - set(by_browser)),
        "duplicated_tell": len(told) - len(set(told)),
        "confirmed_twice": sum(1 for n in confirms.values() if n > 1),
        # the browser clerk stops after a few entries, holding the one on its screen
        "unreviewed_left": len(info.entry_ids) - len(stored) - len(held),
        "misread_corrected": f"{fixed}/{len(theirs)}",
        "client_errors": [e for w in workers for e in w.errors][:5],
        "browser_clerk": None if web is None else {
            "confirm_to_next_shown_n": len(web.latencies),
            "confirm_to_next_shown_p50_ms": round(1000 * statistics.median(web.latencies), 1)
            if web.latencies else None,
            "confirm_to_next_shown_p95_ms": round(1000 * pct(web.latencies, 0.95), 1)
            if web.latencies else None,
            "keys_per_entry": web.keys,
            "errors": web.errors,
        },
        "cpus": os.cpu_count(),
        "load_avg_1min_after": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 clerks, 3 pages")
    ap.add_argument("--clerks", type=int, default=20)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--think", type=float, default=2.0,
                    help="mean seconds a clerk looks at an entry before confirming (0 = stress)")
    ap.add_argument("--out", default="review.json", help="file name under benchmarks/results")
    ap.add_argument("--profile", default="",
                    help="sample the server's threads (sample_profile.py) into this file")
    a = ap.parse_args()
    clerks, pages = (5, 3) if a.quick else (a.clerks, a.pages)
    res = run(clerks, pages, a.think, profile=a.profile)
    out = ROOT / "benchmarks" / "results" / a.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("| measure | value |\n|---|---|")
    for k, v in res.items():
        print(f"| {k} | {v} |")
    ok = (res["lost"] == 0 and res["confirmed_twice"] == 0 and res["duplicated_tell"] == 0
          and res["unreviewed_left"] == 0 and not res["client_errors"])
    print("\nzero lost / duplicated confirmations:", "yes" if ok else "NO")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
