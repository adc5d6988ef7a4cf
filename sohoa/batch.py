"""Page tasks run in parallel: in this process, in worker processes, or on a Dask cluster.

A task carries the page image (PNG bytes, so a remote worker needs no shared disk) and returns
the page's readings and crops; only the coordinator writes the workspace. In-flight tasks are
bounded, so memory does not grow with the number of pages.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass

from sohoa.pipeline import PageWork, Segmented, read_image, segment_image
from sohoa.recognize import EnginePlan, Recognizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageTask:
    page_id: int
    source: str
    image_png: bytes
    template_id: str
    ref_year: int
    attempt: int = 1
    error: str = ""  # set when the page cannot even be sent (its image file is missing)
    width: int = 0  # the page's size: a kept original of another size is resized to it
    height: int = 0
    prior: object | None = None  # the book's layout (preprocessing.consensus.BookPrior)


@dataclass(frozen=True)
class TaskResult:
    """A page read by a worker (``work``), or only segmented (``segmented``, when the model
    runs in the coordinator), or the error that stopped it."""

    task: PageTask
    work: PageWork | None
    error: str = ""
    segmented: Segmented | None = None


_RECOGNIZERS: dict[EnginePlan, Recognizer] = {}


def run_task(task: PageTask, plan: EnginePlan | None) -> TaskResult:
    """Read one page: decode, segment, recognise; with ``plan=None`` only segment (the
    coordinator recognises). Engines are loaded once per process."""
    from sohoa.imageio import ImageError, decode_page
    from sohoa.template import load_template

    if task.error:
        return TaskResult(task, None, task.error)
    try:
        try:
            image = decode_page(task.image_png, task.width, task.height)
        except ImageError as exc:
            raise ValueError(f"page image of {task.source} cannot be decoded ({exc})") from exc
        template = load_template(task.template_id)
        if plan is None:
            seg = segment_image(image, template, name=task.source, keep_crops=True,
                                prior=task.prior)
            return TaskResult(task, None, segmented=seg)
        if plan not in _RECOGNIZERS:
            from sohoa.batch_preload import preloaded

            _RECOGNIZERS[plan] = preloaded(plan) or Recognizer(plan)
        work = read_image(image, template, _RECOGNIZERS[plan], name=task.source,
                          ref_year=task.ref_year, keep_crops=True, prior=task.prior)
        return TaskResult(task, work)
    except Exception as exc:  # noqa: BLE001 - reported to the coordinator, retried once
        log.warning("page %s (%s) failed: %s", task.page_id, task.source, exc)
        return TaskResult(task, None, f"{type(exc).__name__}: {exc}")


PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Make this worker process die (SIGKILL) when its coordinator dies, even by ``kill -9``.

    Linux: ``prctl(PR_SET_PDEATHSIG)``. The coordinator may already be gone by the time this
    runs; then the parent pid has changed and the worker leaves at once. Elsewhere the worker
    notices the closed pipe of its pool when it asks for the next task.
    """
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the pool's pipe still ends the worker
            log.debug("prctl(PR_SET_PDEATHSIG) not available")
    ppid = os.getppid()
    if ppid != parent_pid and _parent_of(ppid) != parent_pid:
        os._exit(1)


def _parent_of(pid: int) -> int | None:
    """The parent of process ``pid`` (Linux /proc; None elsewhere or when it is gone). A worker
    forked by the fork server is the coordinator's grandchild."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return int(f.read().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _init_worker(threads: int, parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        die_with_parent(parent_pid)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import cv2

        cv2.setNumThreads(threads)
    except ImportError:
        pass
    torch = sys.modules.get("torch")  # loaded by the fork server; else it reads the variable
    if torch is not None:
        torch.set_num_threads(threads)


def run_inline(tasks: Iterable[PageTask], plan: EnginePlan | None) -> Iterator[TaskResult]:
    for task in tasks:
        yield run_task(task, plan)


def _bounded(submit: Callable[[PageTask], Future], tasks: Iterable[PageTask],
             limit: int) -> Iterator[TaskResult]:
    """Submit at most ``limit`` tasks at once; yield results as they complete."""
    pending: set[Future] = set()
    for task in tasks:
        pending.add(submit(task))
        if len(pending) >= limit:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from (f.result() for f in done)


def _context(plan: EnginePlan | None):  # -> multiprocessing context
    """The fork server's context, its preload set to ``plan`` (``sohoa.batch_preload``), or
    ``spawn`` where there is no fork server (not Linux/macOS). The fork server is started here,
    once per process: later runs in the same process fork from it (a worker of another plan
    loads its own engines)."""
    import multiprocessing as mp
    from multiprocessing import forkserver

    from sohoa.batch_preload import MAIN_ENV, PARENT_ENV, PLAN_ENV, encode_plan

    try:
        ctx = mp.get_context("forkserver")
    except ValueError:
        return mp.get_context("spawn")  # torch and fork do not mix: never plain fork
    saved = {k: os.environ.get(k) for k in (PLAN_ENV, PARENT_ENV, MAIN_ENV)}
    os.environ[PLAN_ENV] = encode_plan(plan) if plan is not None else ""
    os.environ[PARENT_ENV] = str(os.getpid())
    os.environ[MAIN_ENV] = getattr(getattr(sys.modules.get("__main__"), "__spec__", None),
                                   "name", "") or ""
    ctx.set_forkserver_preload(["sohoa.batch_preload"])
    try:
        forkserver.ensure_running()  # reads the environment and the preload list now
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return ctx


def _stop_fork_server() -> None:
    """Stop this process's fork server and wait for it (so its CPU time and its workers' is
    this process's children's, as ``getrusage`` counts it); the next run starts a fresh one
    for its own plan. Uses the stdlib's private ``_stop``; without it the server stays until
    this process exits."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        try:
            stop()
        except OSError as exc:
            log.debug("fork server stop: %s", exc)


class WorkerPool:
    """Worker processes for the page tasks of one ``process`` run (every book, the retry pass):
    each with ``cores / workers`` threads, forked from a fork server that loaded the engines
    once (``sohoa.batch_preload``). At most two pages per worker are in flight.

    A worker that dies (``kill -9``, out of memory, a crash in native code) breaks the pool:
    the pages it and the others had in flight come back as failed tasks (the coordinator
    retries each once, then reports it) and a fresh pool takes the remaining pages."""

    def __init__(self, plan: EnginePlan | None, workers: int) -> None:
        self.plan, self.workers = plan, max(1, workers)
        self.threads = max(1, (os.cpu_count() or 1) // self.workers)
        self.ctx = _context(plan)
        self.pool: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=self.ctx,
                                            initializer=_init_worker,
                                            initargs=(self.threads, os.getpid()))
        return self.pool

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        """Forget a broken pool (its other futures fail by themselves); the next task starts
        a fresh one."""
        pool.shutdown(wait=False, cancel_futures=True)
        if self.pool is pool:
            log.warning("a worker process died; starting new workers")
            self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if self.ctx.get_start_method() == "forkserver":
            _stop_fork_server()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, tasks: Iterable[PageTask]) -> Iterator[TaskResult]:
        """The tasks' results as they complete (any order)."""
        from concurrent.futures.process import BrokenProcessPool

        limit = 2 * self.workers
        pending: dict[Future, tuple[PageTask, ProcessPoolExecutor]] = {}

        def results(done: set[Future]) -> Iterator[TaskResult]:
            for f in done:
                task, pool = pending.pop(f)
                try:
                    res = f.result()
                except BrokenProcessPool:
                    self._drop(pool)
                    res = TaskResult(task, None, "the worker process reading it died")
                except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be sent
                    res = TaskResult(task, None, f"{type(exc).__name__}: {exc}")
                yield res

        for task in tasks:
            pending[self._submit(task)] = (task, self._pool())
            if len(pending) >= limit:
                done, _ = wait(set(pending), return_when=FIRST_COMPLETED)
                yield from results(done)
        while pending:
            done, _ = wait(set(pending), return_when=FIRST_COMPLETED)
            yield from results(done)

    def _submit(self, task: PageTask) -> Future:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._pool().submit(run_task, task, self.plan)
        except BrokenProcessPool:  # broke since the last result: its futures fail on their own
            self._drop(self._pool())
            return self._pool().submit(run_task, task, self.plan)


def run_pool(tasks: Iterable[PageTask], plan: EnginePlan | None,
             workers: int) -> Iterator[TaskResult]:
    """The tasks on a :class:`WorkerPool` of ``workers`` processes, closed at the end."""
    with WorkerPool(plan, workers) as pool:
        yield from pool.run(tasks)


def run_dask(tasks: Iterable[PageTask], plan: EnginePlan | None,
             address: str) -> Iterator[TaskResult]:
    """The same tasks on a Dask distributed cluster (``pip install sohoa[cluster]``)."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise RuntimeError("--scheduler needs the cluster extra: pip install 'sohoa[cluster]'"
                           ) from exc
    client = address if isinstance(address, Client) else Client(address)
    try:
        limit = 2 * max(1, sum(client.nthreads().values()))
        it = iter(tasks)
        futures = as_completed()
        for task in it:
            futures.add(client.submit(run_task, task, plan, pure=False))
            if futures.count() >= limit:
                break
        for fut in futures:
            yield fut.result()
            fut.release()
            nxt = next(it, None)
            if nxt is not None:
                futures.add(client.submit(run_task, nxt, plan, pure=False))
    finally:
        if not isinstance(address, Client):
            client.close()
