"""The ``process`` job: the workspace's unprocessed pages through the pipeline.

Pages are read by an executor (inline, worker processes or a Dask cluster, see
:mod:`sohoa.batch`); this coordinator alone writes the workspace, one transaction per page, so a
killed run resumes where it stopped. A failed page is retried once, then listed.
"""

from __future__ import annotations

import ctypes
import gc
import json
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

from ocr import pick_device
from sohoa.batch import PageTask, TaskResult, WorkerPool, run_dask, run_inline
from sohoa.pipeline import ProcessReport, assemble, save_work
from sohoa.recognize import EnginePlan, Recognizer
from sohoa.store import Workspace
from sohoa.template import Template

log = logging.getLogger(__name__)


def _book_pass(ws: Workspace, pages):  # noqa: ANN001, ANN202 - -> preprocessing.book.BookPass
    """Each book's analysed pages and their consensus (preprocessing.book): a page task gets
    the consensus of the book's strong pages done before it, and once every page is done the
    weak pages that had none (a weak first page) are analysed again with it. The book's pages
    done by an earlier run (a killed run resumed, pages ingested later) count too: their
    geometry is read back from the workspace's ``book_layouts.jsonl``."""
    from preprocessing.book import BookPass, from_record

    run = {p.id for p in pages}
    everyone = {q.id: q.book_id for b in {p.book_id for p in pages} for q in ws.pages(b)}
    books = BookPass(everyone)
    for key, rec in _stored_layouts(ws).items():
        if key in everyone and key not in run:
            try:
                books.add(key, *from_record(rec))
            except ValueError as exc:
                log.warning("book layout of page %d not used: %s", key, exc)
    return books


LAYOUTS = "book_layouts.jsonl"  # in the workspace: each analysed page's column geometry


def _stored_layouts(ws: Workspace) -> dict[int, dict]:
    """Page id -> its latest layout record (a torn last line of a killed run is skipped)."""
    path = Path(ws.path) / LAYOUTS
    out: dict[int, dict] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            rec = json.loads(line)
            out[int(rec["page"])] = rec
        except (ValueError, KeyError, TypeError):
            continue
    return out


def _store_layout(ws: Workspace, page_id: int, geometry, status: str, prior) -> None:  # noqa: ANN001
    """Append a page's layout record (preprocessing.book.page_record) for later runs."""
    from preprocessing.book import page_record

    line = json.dumps({"page": int(page_id), **page_record(geometry, status, prior)})
    try:
        with open(Path(ws.path) / LAYOUTS, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    except OSError as exc:  # the page is stored; only a later run's consensus misses it
        log.warning("book layout of page %d not kept: %s", page_id, exc)


def _tasks(ws: Workspace, pages, attempt: int = 1, books=None) -> Iterator[PageTask]:  # noqa: ANN001
    """Page tasks, made lazily so only the pages in flight are in memory (and each gets its
    book's layout from the pages done before it, ``books``: a BookPass)."""
    cache: dict[int, tuple[Template, int]] = {}
    for page in pages:
        if page.book_id not in cache:
            book = ws.book(page.book_id)
            cache[page.book_id] = Template.for_book(book), book.year
        tpl, year = cache[page.book_id]
        path = ws.page_path(page.sha256)
        try:
            png = path.read_bytes()
        except OSError as exc:  # the page fails, the run goes on
            why = "missing" if isinstance(exc, FileNotFoundError) else \
                f"unreadable ({exc.strerror or exc})"
            yield PageTask(page.id, page.source, b"", tpl.id, year, attempt,
                           error=f"page image {path.name} is {why}")
            continue
        if not png:
            yield PageTask(page.id, page.source, b"", tpl.id, year, attempt,
                           error=f"page image {path.name} is empty (0 bytes)")
            continue
        prior = books.prior(page.book_id) if books is not None else None
        yield PageTask(page.id, page.source, png, tpl.id, year, attempt,
                       width=page.width, height=page.height, prior=prior)


def _executor(plan: EnginePlan | None, workers: int, scheduler: str | None,
              stack: ExitStack):
    """How tasks run: on the cluster, in worker processes (one pool for the whole run, closed
    with ``stack``), or in this process."""
    if scheduler:
        return lambda tasks: run_dask(tasks, plan, scheduler)
    if workers > 1:
        return stack.enter_context(WorkerPool(plan, workers)).run
    return lambda tasks: run_inline(tasks, plan)


class _CoordinatorModel:
    """On a GPU, workers only segment; this one model reads the crops of several pages at once
    (batched across pages) and hands the pages back in arrival order."""

    def __init__(self, plan: EnginePlan, min_crops: int) -> None:
        self.recognizer = Recognizer(plan)
        self.min_crops = min_crops
        self.pending: list[TaskResult] = []

    def feed(self, results: Iterable[TaskResult]) -> Iterator[TaskResult]:
        for res in results:
            if res.segmented is None:
                yield res
                continue
            self.pending.append(res)
            if sum(len(r.segmented.crops) for r in self.pending
                   if r.segmented is not None) >= self.min_crops:
                yield from self.flush()
        yield from self.flush()

    def flush(self) -> Iterator[TaskResult]:
        """The raw step over the crops of every pending page at once, then each page's choice
        with its own reference year (as ``read_image`` does for one page)."""
        batch, self.pending = self.pending, []
        segs = [r.segmented for r in batch if r.segmented is not None]
        cells = self.recognizer.raw([c for seg in segs for c in seg.crops])
        at = 0
        for res, seg in zip(batch, segs, strict=True):
            n = len(seg.crops)
            readings = self.recognizer.choose(cells[at:at + n], ref_year=res.task.ref_year)
            at += n
            yield TaskResult(res.task, assemble(seg, readings, keep_crops=True))


_FROZEN: list[bool] = []  # gc.freeze done in this process


def _release_memory() -> None:
    """Give freed page buffers back to the system after each page, so a long run's memory
    stays flat (glibc otherwise keeps fragments of the large image arrays). What is alive
    after the first collection (modules, engines, indexes, the store) is moved out of the
    collector's way (``gc.freeze``): a full collection walked all of it after every page,
    0.09 CPU s a page in a 2-worker run's coordinator and 0.13 s with the engines in this
    process; a page's own objects are made after it and are still collected."""
    gc.collect()
    if not _FROZEN:
        gc.freeze()
        _FROZEN.append(True)
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def rss_mb() -> float:
    """This process's resident memory in MB (0 where /proc is not available)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _consume(ws: Workspace, results: Iterable[TaskResult], report: ProcessReport, bar,
             retry: list, books=None, again: bool = False) -> None:  # noqa: ANN001
    """Store each page's result. ``books``: the run's BookPass (told every page's layout).
    ``again``: a second look at pages already stored: the report is corrected, and a page
    that fails this time keeps its first result."""
    start = time.monotonic()
    for res in results:
        task = res.task
        if res.work is None:
            if again:
                log.warning("second look at page %d failed (%s); first result kept",
                            task.page_id, res.error)
            elif task.attempt == 1 and not task.error:
                retry.append(ws.page(task.page_id))
            else:
                ws.set_page_state(task.page_id, "failed", res.error)
                report.failed.append((task.page_id, task.source, res.error))
                bar.update(1)
            continue
        n = save_work(ws, task.page_id, res.work)
        geometry = res.work.geometry
        ok, status = res.work.reading.ok, res.work.reading.status
        report.book_layout.discard(task.page_id)
        if getattr(geometry, "prior_used", False):
            report.book_layout.add(task.page_id)
            if ok:
                ws.set_page_state(task.page_id, "processed", BOOK_LAYOUT)
        del res  # the page's images and crops
        _release_memory()
        _store_layout(ws, task.page_id, geometry, status, task.prior)
        if books is not None:
            books.add(task.page_id, geometry, status, task.prior)
        if again and task.page_id not in report.stored:  # a page an earlier run did
            continue
        if again:  # undo the first look's count
            was_ok, was_n = report.stored[task.page_id]
            report.entries -= was_n
            if was_ok:
                report.processed -= 1
            else:
                report.needs_attention = [t for t in report.needs_attention
                                          if t[0] != task.page_id]
        report.stored[task.page_id] = (ok, n)
        report.entries += n
        if ok:
            report.processed += 1
        else:
            report.needs_attention.append((task.page_id, task.source, status))
        if not again:
            bar.update(1)
        minutes = (time.monotonic() - start) / 60
        rss = rss_mb()
        log.debug("page %d stored; %d pages done; rss %.0f MB", task.page_id, bar.n, rss)
        speed = f"{bar.n / minutes:.1f} pages/min, " if minutes > 0 else ""
        bar.set_postfix_str(f"{speed}{rss:.0f} MB")


BOOK_LAYOUT = "columns placed by the book's layout (this page's own lines were weak)"


def _second_look(ws: Workspace, execute, books, report: ProcessReport, bar) -> None:  # noqa: ANN001
    """The weak pages done before their book had a layout (a weak first page), once more
    with it; only those pages, so a run stays one pass plus its weak pages."""
    keys = books.second_look()
    if not keys:
        return
    log.info("book layout: analysing %d weak pages again", len(keys))
    report.second_looks = len(keys)
    pages = [ws.page(k) for k in keys]
    _consume(ws, execute(_tasks(ws, pages, books=books)), report, bar, [], books, again=True)


def run_process(
    workspace: Path,
    *,
    engine: str | None = None,
    device: str | None = None,
    batch_size: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    book: str | None = None,
    progress: bool = True,
    coordinator_reads: bool | None = None,
) -> ProcessReport:
    """Process every page still in state ``ingested`` (and ``failed`` when asked).

    ``coordinator_reads``: workers only segment and this process runs the model over crops of
    several pages at once; by default on CUDA with several workers or a cluster (one model per
    GPU fed by the workers).
    """
    from tqdm import tqdm

    with Workspace.open(workspace) as ws, ExitStack() as stack:
        overrides = {k: v for k, v in (("device", device), ("batch_size", batch_size),
                                       ("workers", workers)) if v}
        settings = ws.settings(**overrides)
        states = ("ingested", "failed") if retry_failed else ("ingested",)
        pages = ws.pages_in_state(*states)
        if book:
            book_id = ws.find_book(book).id
            pages = [p for p in pages if p.book_id == book_id]
        plan = EnginePlan.from_flags(engine, device=settings.device,
                                     batch_size=settings.batch_size,
                                     hand_default=settings.engine_hand,
                                     fallback=settings.engine_print,
                                     workspace=str(Path(workspace).resolve()),
                                     precision=settings.precision)
        if coordinator_reads is None:
            coordinator_reads = pick_device(settings.device) == "cuda" and bool(
                settings.workers > 1 or scheduler)
        if coordinator_reads:  # workers segment, one model in this process reads across pages
            model = _CoordinatorModel(plan, min_crops=4 * settings.batch_size)
            segment = _executor(None, settings.workers, scheduler, stack)

            def execute(tasks):
                return model.feed(segment(tasks))
        else:
            execute = _executor(plan, settings.workers, scheduler, stack)
        report = ProcessReport()
        retry: list = []
        with tqdm(total=len(pages), unit="page", disable=not progress, desc="process") as bar:
            books = _book_pass(ws, pages)
            _consume(ws, execute(_tasks(ws, pages, books=books)), report, bar, retry, books)
            if retry:
                log.warning("retrying %d failed pages once", len(retry))
                _consume(ws, execute(_tasks(ws, retry, attempt=2, books=books)), report, bar,
                         [], books)
            _second_look(ws, execute, books, report, bar)
        return report
