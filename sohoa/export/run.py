"""Export books of a workspace: select entries, validate, write Excel + PDFs + ZIP + manifest,
mark the entries exported.

Only approved entries are exported by default. ``min_status`` below ``approved`` makes a
*draft* for a clerk to preview: files named ``DRAFT_...``, errors reported instead of blocking,
nothing marked exported. Writing the same entries again gives byte-identical files.
"""

from __future__ import annotations

import csv
import logging
import multiprocessing
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from sohoa.errors import SohoaError
from sohoa.export.bundle import Manifest, ManifestEntry, sha256_file, write_manifest, write_zip
from sohoa.export.commit import book_lock, commit, recover, staging_dir
from sohoa.export.excel import SheetRow, write_workbook
from sohoa.export.naming import UniqueNamer, book_stem, check_pattern, entry_stem
from sohoa.export.pdf import (
    MIN_PDF_KB,
    PDF_OVERHEAD,
    PdfError,
    PdfResult,
    entry_pdf,
    load_image,
)
from sohoa.export.values import fold, noi_dang_ky, sheet_values
from sohoa.records import Book, EntryStatus
from sohoa.store.files import write_png
from sohoa.template import Template, TemplateError
from sohoa.validate import Issue, Severity, blocking, validate_book

log = logging.getLogger(__name__)


class ExportError(SohoaError, RuntimeError):
    """A book cannot be exported (validation errors, missing images); the message says why."""


@dataclass(frozen=True)
class BookExport:
    book: Book
    draft: bool
    entry_count: int
    excel: Path | None
    zip: Path | None
    manifest: Path | None
    issues: tuple[Issue, ...]
    blocked: bool  # errors stopped a final export: nothing written, nothing marked
    left_out: int  # entries of the book below min_status


@dataclass(frozen=True)
class _PdfJob:
    entry_id: int
    crop: Path
    path: Path
    max_kb: int
    title: str


def _init_worker(parent_pid: int) -> None:
    """One thread per worker process (the processes are the parallelism); dies with the
    exporting process."""
    import cv2

    from sohoa.batch import die_with_parent

    die_with_parent(parent_pid)

    cv2.setNumThreads(1)


def _run_pdf(job: _PdfJob) -> PdfResult:
    return entry_pdf(load_image(job.crop), job.path, job.max_kb, job.title)


def _template_of(book: Book):  # type: ignore[no-untyped-def]
    try:
        return Template.for_book(book)
    except TemplateError:
        return None


def _selected_statuses(min_status: EntryStatus) -> list[EntryStatus]:
    return [s for s in EntryStatus if s.rank >= min_status.rank]


def _others(ws, book: Book) -> list[tuple[Book, int, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """Entries of other books that share this book's (quyenSo, noiDangKy): only they can
    collide with it on (so, quyenSo, noiDangKy)."""
    out = []
    for other in ws.books():
        if other.id == book.id or other.register_type != book.register_type:
            continue
        if (fold(other.volume), fold(noi_dang_ky(other))) != (fold(book.volume),
                                                             fold(noi_dang_ky(book))):
            continue
        for e in ws.entries(book_id=other.id, status=_selected_statuses(EntryStatus.CONFIRMED)):
            out.append((other, e.id, ws.entry_view(e.id).values))
    return out


def export_book(
    ws, book: Book, out_dir: Path, min_status: str | EntryStatus = EntryStatus.APPROVED,  # type: ignore[no-untyped-def]
    user: str = "export", max_kb: int | None = None, name_rule: str | None = None,
    workers: int = 1, progress: Callable[[int], None] | None = None,
) -> BookExport:
    """Export one book into ``out_dir``; see the module docstring for the rules."""
    min_status = EntryStatus(min_status)
    draft = min_status.rank < EntryStatus.APPROVED.rank
    settings = ws.settings()
    max_kb = settings.pdf_max_kb if max_kb is None else int(max_kb)
    if max_kb < MIN_PDF_KB:
        raise ExportError(f"--pdf-max-kb {max_kb}: a per-entry PDF needs at least {MIN_PDF_KB}"
                          f" KB (its wrapper alone takes about {PDF_OVERHEAD // 1024 + 1} KB)")
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir}: --out names a file, not a folder")
    ws.integrity_check()  # a damaged database must not be exported (and marked exported)
    name_rule = check_pattern(name_rule or settings.pdf_name_rule)
    statuses = _selected_statuses(min_status)
    all_entries = ws.entries(book_id=book.id)
    chosen = [e for e in all_entries if e.status in statuses]
    views = [ws.entry_view(e.id) for e in chosen]
    template = _template_of(book)
    issues = validate_book([(v.entry.id, v.values) for v in views], book, template,
                           others=_others(ws, book))
    recut, missing = _recut(ws, views)
    errors = blocking(issues)
    base = BookExport(book, draft, len(views), None, None, None, tuple(issues), False,
                      len(all_entries) - len(chosen))
    if not views:
        log.info("book %s: no entry at status %s or later: nothing to export", book.volume,
                 min_status)
        return base
    if not draft and (errors or missing):
        log.warning("book %s: %d errors, %d entries without image: not exported", book.volume,
                    len(errors), len(missing))
        no_image = tuple(Issue("image", Severity.ERROR, "", "Thiếu ảnh của mục", eid)
                         for eid in missing)
        return replace(base, issues=base.issues + no_image, blocked=True)
    _make_out(out_dir)
    stem = book_stem(book, draft)
    with book_lock(out_dir, book_stem(book, False)):
        for any_stem in {stem, book_stem(book, True)}:
            recover(out_dir, any_stem)
        staging = staging_dir(out_dir, stem)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            excel, zip_path, manifest_path = _write_book(
                views, book, staging, stem, draft, str(min_status), max_kb, name_rule, workers,
                progress, set(missing), recut)
            issues_name = f"{stem}.issues.csv"
            if issues:
                _write_issues(staging / issues_name, issues)
            commit(staging, out_dir, manifest_path.name, stale=() if issues else (issues_name,))
        except BaseException:
            if not (staging / "COMMIT").exists():
                shutil.rmtree(staging, ignore_errors=True)
            raise
        excel, zip_path = out_dir / excel.name, out_dir / zip_path.name
        manifest_path = out_dir / manifest_path.name
        for path in (excel, zip_path):
            ws.record_export(book.id, str(path), sha256_file(path), len(views), draft, user)
        if not draft:
            ws.set_status([v.entry.id for v in views], EntryStatus.EXPORTED, user,
                          note=f"158 export {excel.name}")
    return replace(base, excel=excel, zip=zip_path, manifest=manifest_path)


def _recut(ws, views) -> tuple[dict, list[int]]:  # type: ignore[no-untyped-def,type-arg]
    """Every entry's row cut from its page (the kept scan, at full resolution: the screen's
    cached JPEG is smaller) and the entries whose page image cannot be read."""
    from sohoa.store import WorkspaceError

    recut, missing = {}, []
    for v in views:
        try:
            recut[v.entry.id] = ws.crop_image(v.entry.id, cached=False)
        except WorkspaceError as exc:
            log.warning("entry %d: %s", v.entry.id, exc)
            missing.append(v.entry.id)
    return recut, missing


def _make_out(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir}: --out names a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{out_dir}: cannot create the output folder ({exc.strerror or exc})"
                          ) from exc


def _write_book(  # type: ignore[no-untyped-def]
    views, book: Book, out_dir: Path, stem: str, draft: bool, min_status: str, max_kb: int,
    name_rule: str, workers: int, progress: Callable[[int], None] | None, missing: set[int],
    recut: dict | None = None,  # type: ignore[type-arg]
) -> tuple[Path, Path, Path]:
    """Excel, PDFs zipped, manifest into ``out_dir`` (the staging folder); returns their
    paths. PDFs are made in a work folder inside it and removed once zipped."""
    work = out_dir / "pdfs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    namer = UniqueNamer()
    jobs, rows = [], []
    for i, v in enumerate(views):
        values = sheet_values(v.values, book)
        rows.append(SheetRow(v.entry.id, values))
        if v.entry.id in missing:
            continue
        name = namer.claim(entry_stem(v.values, book, v.entry.id, i + 1, name_rule), ".pdf")
        crop = Path(v.entry_crop) if v.entry_crop else work / f"{v.entry.id}.png"
        if recut and v.entry.id in recut:  # no cached crop: cut from the page by its box
            crop = work / f"crop-{v.entry.id}.png"
            write_png(crop, recut[v.entry.id])
        jobs.append(_PdfJob(v.entry.id, crop, work / name, max_kb,
                            values.get("so", "")))
    excel = write_workbook(out_dir / f"{stem}.xlsx", book.register_type, rows)
    try:
        pdfs = _make_pdfs(jobs, workers, progress)
        zip_path = write_zip(out_dir / f"{stem}.zip",
                             [(r.path.name, r.path) for r in pdfs.values()])
        so_of = {r.entry_id: r.values.get("so", "") for r in rows}
        manifest = Manifest(
            book_id=book.id, register_type=book.register_type.value, volume=book.volume,
            noi_dang_ky=noi_dang_ky(book), draft=draft, min_status=min_status,
            excel=excel.name, excel_sha256=sha256_file(excel), zip=zip_path.name,
            zip_sha256=sha256_file(zip_path),
            entries=tuple(ManifestEntry(eid, so_of.get(eid, ""), r.path.name,
                                        sha256_file(r.path), r.bytes, r.quality, r.scale)
                          for eid, r in pdfs.items()),
        )
        manifest_path = write_manifest(out_dir / f"{stem}.manifest.json", manifest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return excel, zip_path, manifest_path


def _make_pdfs(jobs: list[_PdfJob], workers: int,
               progress: Callable[[int], None] | None) -> dict[int, PdfResult]:
    """PDFs in entry order; ``workers`` > 1 spreads them over processes."""
    out: dict[int, PdfResult] = {}
    try:
        if workers <= 1 or len(jobs) < 8:
            for job in jobs:
                out[job.entry_id] = _run_pdf(job)
                if progress:
                    progress(1)
            return out
        # spawn, not fork: the parent holds OpenCV/SQLite threads, and a forked child can
        # inherit one of their locks held and hang forever
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                 initargs=(os.getpid(),), mp_context=ctx) as pool:
            for job, res in zip(jobs, pool.map(_run_pdf, jobs, chunksize=16), strict=True):
                out[job.entry_id] = res
                if progress:
                    progress(1)
    except PdfError as exc:
        raise ExportError(str(exc)) from exc
    return out


def _write_issues(path: Path, issues: tuple[Issue, ...] | list[Issue]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["entry_id", "rule_id", "severity", "field", "message"])
        for i in issues:
            w.writerow(["" if i.entry_id is None else i.entry_id, i.rule_id, str(i.severity),
                        i.field, i.message])


def export_workspace(
    ws, out_dir: Path, book_ref: str | None = None,  # type: ignore[no-untyped-def]
    min_status: str | EntryStatus = EntryStatus.APPROVED, user: str = "export",
    max_kb: int | None = None, name_rule: str | None = None, workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[BookExport]:
    """Export one book (id or volume) or every book of the workspace."""
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise ExportError(f"{out_dir}: --out names a file, not a folder")
    books = [ws.find_book(book_ref)] if book_ref else ws.books()
    return [export_book(ws, b, Path(out_dir), min_status, user, max_kb, name_rule, workers,
                        progress) for b in books]
