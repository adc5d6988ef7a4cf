"""A sampling profiler for a Python process with many threads (py-spy is not installed and
cProfile sees one thread): every ``interval`` seconds it walks ``sys._current_frames()`` and
counts, per function, the samples where it is on a stack (inclusive) and on top (self).

    python benchmarks/sample_profile.py OUT.txt -m sohoa.cli review --workspace W

runs the module as ``python -m`` would and writes the table to OUT.txt when the process gets
SIGTERM or SIGINT or ends (``bench_review.py --profile OUT.txt`` starts the server this way).
Idle threads (waiting in ``select``, ``wait``, ``acquire`` ...) are left out.
"""

from __future__ import annotations

import runpy
import signal
import sys
import threading
import time
from collections import Counter

IDLE = {"select", "poll", "wait", "acquire", "_worker", "accept", "read", "recv", "sleep",
        "get", "epoll", "run_forever", "_run_once", "readinto", "recv_into", "_wait_for_tstate_lock",
        "park", "wait_for", "_bootstrap_inner"}


class Sampler(threading.Thread):
    def __init__(self, out: str, interval: float = 0.005) -> None:
        super().__init__(daemon=True, name="sampler")
        self.out, self.interval = out, interval
        self.total: Counter[str] = Counter()
        self.self_: Counter[str] = Counter()
        self.samples = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        me = threading.get_ident()
        while not self.stopped.wait(self.interval):
            for tid, frame in sys._current_frames().items():
                if tid == me:
                    continue
                top = frame.f_code.co_name
                if top in IDLE:
                    continue
                self.samples += 1
                seen = set()
                f = frame
                first = True
                while f is not None:
                    c = f.f_code
                    key = f"{c.co_filename.rsplit('site-packages/', 1)[-1]}:{c.co_name}"
                    if first:
                        self.self_[key] += 1
                        first = False
                    if key not in seen:
                        seen.add(key)
                        self.total[key] += 1
                    f = f.f_back

    def dump(self) -> None:
        self.stopped.set()
        n = max(1, self.samples)
        lines = [f"# {self.samples} busy samples every {1000 * self.interval:.0f} ms",
                 "# inclusive %  self %  function"]
        for key, c in self.total.most_common(120):
            lines.append(f"{100 * c / n:6.1f} {100 * self.self_[key] / n:6.1f}  {key}")
        lines.append("# top self")
        for key, c in self.self_.most_common(60):
            lines.append(f"{100 * c / n:6.1f}  {key}")
        with open(self.out, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    if not args or args[0] != "-m":
        raise SystemExit("usage: sample_profile.py OUT -m module [args...]")
    sampler = Sampler(out)
    sampler.start()

    def stop(signum: int, _frame: object) -> None:
        sampler.dump()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.argv = [args[1], *args[2:]]
    started = time.time()
    try:
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    finally:
        if not sampler.stopped.is_set():
            sampler.dump()
        print(f"profiled {time.time() - started:.0f} s -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
