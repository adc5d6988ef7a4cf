"""Page tasks run in parallel: in this process, in worker processes, or on a Dask cluster.

A task carries the page image (PNG bytes, so a remote worker needs no shared disk) and returns
the page's readings and crops; only the coordinator writes the workspace. In-flight tasks are
bounded, so memory does not grow with the number of pages.
"""

from __future__ import annotations

import logging
import os
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
    prior: tuple[float, ...] | None = None  # the book's consensus columns (preprocessing)


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
            _RECOGNIZERS[plan] = Recognizer(plan)
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
    if os.getppid() != parent_pid:
        os._exit(1)


def _init_worker(threads: int, parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        die_with_parent(parent_pid)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import cv2

        cv2.setNumThreads(threads)
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass


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


def run_pool(tasks: Iterable[PageTask], plan: EnginePlan | None,
             workers: int) -> Iterator[TaskResult]:
    """Worker processes, each with its own engines and ``cores / workers`` threads."""
    import multiprocessing as mp

    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = mp.get_context("spawn")  # torch and fork do not mix
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(threads, os.getpid())) as pool:
        yield from _bounded(lambda t: pool.submit(run_task, t, plan), tasks, 2 * workers)


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
