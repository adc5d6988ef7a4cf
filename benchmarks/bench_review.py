"""Clerks working at once against one review server on 127.0.0.1, one (or a few) of them in
headless Chromium.

N-B simulated clerks (threads, one lean HTTP client each, logged in) confirm entries through
the same endpoints the page uses (``/next``, ``/confirm``), each at a clerk's pace (``--pace``:
a pause drawn from 2-5 s before each Ctrl+Enter); B clerks work in headless Chromium (1366x768)
and time Ctrl+Enter -> the next entry on screen with the cursor in its field and its image
decoded (what the clerk waits for), and -> the confirmation saved (the server's answer), in the
page (``performance.now()`` on the key and on the first animation frame that shows it). The
simulated clerks keep working until the browser clerks have their samples; the machine's load
is sampled every second. Afterwards the database is checked: every confirmation a clerk was
told about is stored once, none lost, none confirmed twice.

    .venv/bin/python benchmarks/bench_review.py                # 20 clerks, 1 in Chromium, 50 samples
    .venv/bin/python benchmarks/bench_review.py --quick        # 5 clerks, 12 samples
    .venv/bin/python benchmarks/bench_review.py --pace 0,0 --browsers 0 --pages 20   # stress
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
from collections.abc import Callable
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
    """One clerk: log in, take an entry, confirm it (corrected if misread) after a pause drawn
    from ``pace`` (seconds), until the queue is empty or ``stop`` is set."""

    login_lock = threading.Lock()  # log in one at a time: argon2 takes ~0.5 s a check here

    def __init__(self, name: str, url: str, root: Path, truth: dict, misread: dict,
                 barrier: threading.Barrier, pace: tuple[float, float] = (0.0, 0.0),
                 stop: threading.Event | None = None) -> None:
        super().__init__(daemon=True)
        self.pace, self.stop = pace, stop or threading.Event()
        self.name_, self.url, self.root = name, url, root
        self.truth, self.misread, self.barrier = truth, misread, barrier
        self.latencies: list[float] = []
        self.confirmed: list[int] = []
        self.errors: list[str] = []
        self.working = False

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
        self.working = True
        out = shown(client.call("next", [None, 0, None]))
        m = ENTRY_RE.search(out["head"])
        while m and not self.stop.is_set():
            eid = int(m.group(1))
            args = self._values(ws, eid)
            if self.pace[1]:  # the clerk looks at the crops before pressing Ctrl+Enter
                self.stop.wait(random.uniform(*self.pace))
            t0 = time.perf_counter()
            out = shown(client.call("confirm", [*args, None, None]))
            self.latencies.append(time.perf_counter() - t0)
            msg = out["msg"]
            if 'class="ok"' in msg and f"#{eid}" in msg:
                self.confirmed.append(eid)
            else:
                self.errors.append(f"{eid}: {re.sub('<[^>]+>', '', msg)[:120]}")
            m = ENTRY_RE.search(out["head"])
        self.working = False
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
# In the page: the time of Ctrl+Enter, then of the first animation frame showing the next entry
# with the cursor in one of its fields and its row image decoded, then of the first frame with
# the server's answer applied (no save pending, a message of success or refusal).
CLOCK = """() => {
  const shownNow = (a) => { const m = document.querySelector('#entry-meta');
    const f = document.activeElement; const img = document.querySelector('#view-entry img');
    return !!(m && m.dataset.entry !== a && f && f.tagName === 'INPUT'
      && f.closest('#entry-fields .frow') && (!img || (img.complete && img.naturalWidth > 0))); };
  const savedNow = () => !document.body.classList.contains('sohoa-saving')
    && !!document.querySelector('#msg .ok, #msg .err');
  window.__bench = [];
  window.addEventListener('keydown', (ev) => {
    if (!(ev.ctrlKey && ev.key === 'Enter')) return;
    const m = document.querySelector('#entry-meta');
    const rec = { from: m ? m.dataset.entry : '', t0: performance.now(), shown: null, saved: null,
      behind: document.body.classList.contains('sohoa-saving') };  // the one before not saved
    window.__bench.push(rec);
    // a frame that shows it is drawn after its animation-frame callbacks: the time is taken
    // in a task queued from there (it runs once that frame is rendered)
    let seen = false; let done = false;
    const tick = () => {
      if (!seen && shownNow(rec.from)) {
        seen = true; setTimeout(() => { rec.shown = performance.now() - rec.t0; }, 0);
      } else if (seen && rec.shown !== null && !done && savedNow()) {
        done = true; setTimeout(() => { rec.saved = performance.now() - rec.t0; }, 0);
      }
      if (!done && performance.now() - rec.t0 < 60000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, true);
}"""
DONE = ("() => { const r = window.__bench[window.__bench.length - 1];"
        " return !!r && ((r.shown !== null && r.saved !== null)"
        " || (!document.querySelector('#entry-meta') && !!document.querySelector('#msg .ok'))); }")


class BrowserClerk(threading.Thread):
    """One clerk in headless Chromium (Playwright), beside the simulated ones: Ctrl+Enter ->
    the next entry on screen with the cursor in its field and its image decoded, as the clerk
    sees it, and -> the confirmation saved; and the keys an entry costs: a correct one, and
    one whose name, date and place are corrected."""

    def __init__(self, user: str, url: str, pace: tuple[float, float], samples: int = 50,
                 correction: bool = True) -> None:
        super().__init__(daemon=True)
        self.ready, self.go = threading.Event(), threading.Event()
        self.user, self.url, self.pace, self.samples = user, url, pace, samples
        self.correction = correction
        self.shown_ms: list[float] = []
        self.saved_ms: list[float] = []
        self.clear_ms: list[float] = []  # pressed when the entry before was already saved
        self.others_working: list[int] = []  # simulated clerks at work at each sample
        self.keys: dict[str, int] = {}
        self.errors: list[str] = []
        self.working: Callable[[], int] = lambda: 0

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
                page.evaluate(CLOCK)
                self.ready.set()  # logged in, an entry on screen: wait for the clock
                self.go.wait(timeout=900)
                if self.correction:
                    self._correction(page)
                page.evaluate("window.__bench = []")  # only the timed confirmations below
                # the clerk reads each entry for a while after it is shown, then presses
                # Ctrl+Enter, whether or not the one before is saved yet (if not, the key
                # waits for that answer, and the wait is part of what is measured)
                n = 0
                while n < self.samples:
                    time.sleep(random.uniform(*self.pace))
                    page.keyboard.press("Control+Enter")
                    n += 1
                    page.wait_for_function(
                        f"window.__bench.length >= {n} && (window.__bench[{n - 1}].shown !== null"
                        " || (!document.querySelector('#entry-meta')"
                        " && !!document.querySelector('#msg .ok')))", timeout=60_000, polling=50)
                    self.others_working.append(self.working())
                    if page.query_selector("#entry-meta") is None:
                        break  # the queue is empty
                page.wait_for_function(DONE, timeout=60_000, polling=100)
                recs = page.evaluate("window.__bench")
                self.shown_ms = [r["shown"] for r in recs if r["shown"] is not None]
                self.saved_ms = [r["saved"] for r in recs if r["saved"] is not None]
                self.clear_ms = [r["shown"] for r in recs
                                 if r["shown"] is not None and not r["behind"]]
                self.keys["correct_entry"] = 1
                b.close()
        except Exception as exc:  # reported, not raised: the simulated clerks go on
            self.errors.append(f"browser {self.user}: {exc!r}"[:300])
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


class LoadMeter(threading.Thread):
    """The machine's 1-minute load average and its CPU busy share, sampled every second."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.loads: list[float] = []
        self.stop = threading.Event()
        self.busy0 = self._busy()

    @staticmethod
    def _busy() -> tuple[int, int]:
        v = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = v[3] + v[4]
        return sum(v) - idle, sum(v)

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.loads.append(os.getloadavg()[0])

    def summary(self) -> dict:
        b1, t1 = self._busy()
        b0, t0 = self.busy0
        xs = self.loads or [os.getloadavg()[0]]
        return {"load_1min_min": round(min(xs), 1), "load_1min_mean": round(sum(xs) / len(xs), 1),
                "load_1min_max": round(max(xs), 1),
                "cpu_busy_pct": round(100 * (b1 - b0) / max(1, t1 - t0), 1)}


def _ms(xs: list[float], q: float) -> float | None:
    return round(pct(xs, q), 1) if xs else None


def run(clerks: int, pages: int, pace: tuple[float, float], browsers: int = 1,
        samples: int = 50, browser_pace: tuple[float, float] = (1.0, 2.0),
        profile: str = "") -> dict:
    from sohoa.store import Workspace

    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        root = Path(tmp) / "ws"
        use_browser = browsers > 0 and Path(CHROMIUM).exists() and clerks > browsers
        nb = browsers if use_browser else 0
        sim = tuple((f"clerk{i:02d}", "clerk") for i in range(clerks - nb))
        web_users = tuple((f"browser{i}", "clerk") for i in range(nb))
        c0 = time.process_time()
        info = make_workspace(root, pages=pages, users=(*sim, *web_users))
        build_cpu = time.process_time() - c0
        port = free_port()
        proc = start_server(root, port, profile)
        stop = threading.Event()
        meter = LoadMeter()
        try:
            barrier = threading.Barrier(len(sim) + 1)  # the clerks, logged in, and us
            workers = [Clerk(u, f"http://127.0.0.1:{port}/", root, info.truth, info.misread,
                             barrier, pace, stop) for u, _ in sim]
            for w in workers:
                w.start()
            webs = [BrowserClerk(u, f"http://127.0.0.1:{port}/", browser_pace, samples,
                                 correction=i == 0) for i, (u, _) in enumerate(web_users)]
            for web in webs:
                web.working = lambda: sum(w.working for w in workers)
                web.start()
            for web in webs:
                web.ready.wait(timeout=300)
            barrier.wait(timeout=600)  # every clerk logged in: start the clock
            meter.start()
            cpu0, t0, me0 = cpu_s(proc.pid), time.perf_counter(), cpu_s(os.getpid())
            for web in webs:
                web.go.set()
            for web in webs:
                web.join(timeout=1800)
            if webs:
                stop.set()  # the browser clerks have their samples: the others stop too
            for w in workers:
                w.join()
            wall = time.perf_counter() - t0
            server_cpu = cpu_s(proc.pid) - cpu0
            client_cpu = cpu_s(os.getpid()) - me0
            meter.stop.set()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        lat = [x for w in workers for x in w.latencies]
        told = [e for w in workers for e in w.confirmed]
        with Workspace.open(root) as ws:
            stored = [e.id for e in ws.entries(status="confirmed")]
            by_browser = [e for e in stored
                          if (ws.entry_view(e).confirmed_by or "").startswith("browser")]
            confirms = Counter(r.entry_id for r in ws.audit() if r.action == "confirm")
            waiting = len(ws.entries(status="prefilled"))
            # the simulated clerks correct every misread name they get; the browser clerk
            # confirms as shown (one key) or retypes a name of its own
            theirs = {e: f for e, f in info.misread.items() if e in set(told)}
            fixed = sum(ws.entry_view(e).values[f] == info.truth[e][f]
                        for e, f in theirs.items())
    shown_ms = [x for web in webs for x in web.shown_ms]
    saved_ms = [x for web in webs for x in web.saved_ms]
    clear_ms = [x for web in webs for x in web.clear_ms]
    others = [x for web in webs for x in web.others_working]
    n_conf = len(told) + len(by_browser)
    return {
        "clerks": clerks,
        "browser_clerks": nb,
        "pace_s": list(pace),
        "entries": len(info.entry_ids),
        "workspace_build_cpu_s": round(build_cpu, 1),
        "confirmations": n_conf,
        "wall_s": round(wall, 2),
        "confirmations_per_s": round(n_conf / wall, 2),
        "server_cpu_ms_per_confirmation": round(1000 * server_cpu / max(1, n_conf), 1),
        "clients_cpu_ms_per_confirmation": round(1000 * client_cpu / max(1, len(told)), 1),
        "next_entry_p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
        "next_entry_p95_ms": round(1000 * pct(lat, 0.95), 1) if lat else None,
        "next_entry_max_ms": round(1000 * max(lat), 1) if lat else None,
        "lost": len(set(told) - set(stored)),
        "duplicated_tell": len(told) - len(set(told)),
        "confirmed_twice": sum(1 for n in confirms.values() if n > 1),
        "waiting_at_end": waiting,
        "misread_corrected": f"{fixed}/{len(theirs)}",
        "client_errors": [e for w in workers for e in w.errors][:5],
        "browser": None if not webs else {
            "pace_s": list(browser_pace),
            "n": len(shown_ms),
            "confirm_to_next_shown_p50_ms": _ms(shown_ms, 0.5),
            "confirm_to_next_shown_p95_ms": _ms(shown_ms, 0.95),
            "confirm_to_next_shown_max_ms": _ms(shown_ms, 1.0),
            "pressed_before_previous_saved": len(shown_ms) - len(clear_ms),
            "previous_saved_shown_p50_ms": _ms(clear_ms, 0.5),
            "previous_saved_shown_p95_ms": _ms(clear_ms, 0.95),
            "confirm_to_saved_p50_ms": _ms(saved_ms, 0.5),
            "confirm_to_saved_p95_ms": _ms(saved_ms, 0.95),
            "other_clerks_working_min": min(others) if others else None,
            "other_clerks_working_median": statistics.median(others) if others else None,
            "keys_per_entry": webs[0].keys,
            "errors": [e for web in webs for e in web.errors],
        },
        "cpus": os.cpu_count(),
        **meter.summary(),
    }


def _pair(text: str) -> tuple[float, float]:
    lo, _, hi = text.partition(",")
    return float(lo), float(hi or lo)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 clerks, 6 pages, 12 samples")
    ap.add_argument("--clerks", type=int, default=20, help="clerks at once, browsers included")
    ap.add_argument("--pages", type=int, default=100, help="pages of the book (~9 entries each)")
    ap.add_argument("--pace", type=_pair, default=(2.0, 5.0),
                    help="seconds a simulated clerk looks at an entry before Ctrl+Enter, drawn "
                         "uniformly from LO,HI (0,0 = stress)")
    ap.add_argument("--browsers", type=int, default=1, help="clerks in headless Chromium")
    ap.add_argument("--samples", type=int, default=50, help="timed confirmations per browser")
    ap.add_argument("--browser-pace", type=_pair, default=(1.0, 2.0),
                    help="seconds the browser clerk waits before each Ctrl+Enter, LO,HI")
    ap.add_argument("--out", default="review.json", help="file name under benchmarks/results")
    ap.add_argument("--profile", default="",
                    help="sample the server's threads (sample_profile.py) into this file")
    a = ap.parse_args()
    clerks, pages, samples = (5, 6, 12) if a.quick else (a.clerks, a.pages, a.samples)
    res = run(clerks, pages, a.pace, a.browsers, samples, a.browser_pace, profile=a.profile)
    out = ROOT / "benchmarks" / "results" / a.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("| measure | value |\n|---|---|")
    for k, v in res.items():
        print(f"| {k} | {v} |")
    ok = (res["lost"] == 0 and res["confirmed_twice"] == 0 and res["duplicated_tell"] == 0
          and not res["client_errors"] and not (res["browser"] or {}).get("errors"))
    print("\nzero lost / duplicated confirmations:", "yes" if ok else "NO")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
