"""Ingest speed (pages per second for a 100-page scanned PDF) and bytes kept per page.

The PDF is made like a scanner makes one: each page one JPEG image of a synthetic register
page (``sohoa.synth.generate_page`` at 200 dpi; a few distinct pages, each copy given its own
page number mark so every page is different). Ingest derives each page at ``pdf_dpi`` (300),
hashes it, keeps the page's own JPEG and adds rows. A second run of the same PDF measures the
duplicate check. Then ``--store-pages`` pages are ingested and processed (real segmentation,
scripted ``fake`` engine) and the bytes kept, pages and crops together, are compared with the
scan's own size (target <= 1.2x) and with the previous format (PNG pages); then with every
entry shown once (the screens' bounded crop cache).

    .venv/bin/python benchmarks/bench_ingest.py [--quick] [--pages 100] [--dpi 300]

Prints a Markdown table and writes ``benchmarks/results/ingest.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from sohoa.ingest import ingest
from sohoa.records import Book
from sohoa.settings import Settings
from sohoa.store import Workspace

RESULTS = Path(__file__).parent / "results" / "ingest.json"


def make_pdf(path: Path, pages: int, distinct: int) -> float:
    """Write a ``pages``-page PDF of JPEG scans; returns seconds spent generating pages."""
    import pymupdf

    from sohoa.synth import generate_page

    t0 = time.perf_counter()
    bases = [generate_page("ks-2006", seed, dpi=200).image for seed in range(distinct)]
    gen_s = time.perf_counter() - t0
    doc = pymupdf.open()
    for i in range(pages):
        img = bases[i % distinct].copy()
        cv2.putText(img, f"{i + 1}", (40, img.shape[0] - 40), cv2.FONT_HERSHEY_SIMPLEX, 1.5,
                    (30, 30, 30), 3)
        ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, 85])
        assert ok
        h, w = img.shape[:2]
        page = doc.new_page(width=w * 72 / 200, height=h * 72 / 200)
        page.insert_image(page.rect, stream=io.BytesIO(jpg.tobytes()).getvalue())
    doc.save(path)
    return gen_s


def run_one(pdf: Path, folder: Path, pages: int, dpi: int, threads: int) -> dict:
    """Ingest ``pdf`` into a fresh workspace twice (new pages, then all duplicates)."""
    book = Book(None, "KS", 2008, "01/2008", "Chiềng Cơi", "Thuận Châu", "Sơn La", "ks-2006")
    settings = Settings(pdf_dpi=dpi)
    with Workspace.open(folder, create=True) as ws:
        t0, c0 = time.perf_counter(), time.process_time()
        first = ingest(ws, [pdf], book, settings, threads=threads)
        first_s, first_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        again = ingest(ws, [pdf], book, settings, threads=threads)
        again_s = time.perf_counter() - t0
        page = ws.page(first.page_ids[0])
    assert first.added == pages and again.duplicates == pages and not first.failures
    stored = sum(f.stat().st_size for f in (folder / "pages").iterdir())
    return {
        "threads": threads, "pages": pages, "dpi": dpi, "page_size_px": [page.width, page.height],
        "pdf_mb": round(pdf.stat().st_size / 1e6, 1), "stored_mb": round(stored / 1e6, 1),
        "ingest_s": round(first_s, 2), "pages_per_s": round(pages / first_s, 2),
        "cpu_s_per_page": round(first_cpu / pages, 2),
        "reingest_s": round(again_s, 2), "reingest_pages_per_s": round(pages / again_s, 2),
    }


def _read_all(ws: Workspace) -> int:
    """Every page through segmentation and recognition into the store, as ``sohoa process``
    does, with the ``fake`` engine scripted to answer every inked cell (as a real engine
    does; its default reads nothing, which would make every cell look read as empty)."""
    from ocr.fake import FakeEngine
    from sohoa.pipeline import read_image, save_work
    from sohoa.recognize import Recognizer
    from sohoa.template import load_template

    rec = Recognizer.of_engine(FakeEngine(script=lambda crop, i: (crop.field, 0.9)))
    template = load_template("ks-2006")
    n = 0
    for page in ws.pages():
        work = read_image(ws.page_image(page.id), template, rec, keep_crops=True)
        n += save_work(ws, page.id, work)
    return n


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def storage(tmp: Path, pages: int, dpi: int) -> dict:
    """Bytes kept per page, pages and crops together, against the scan's own size: a
    ``pages``-page scanned PDF ingested and processed (real segmentation and crops; the cells
    are boxes on the page, only cells read as empty are kept as files). Then every entry is
    shown once (the review screen's first view of a page cuts its rows and cells into the
    bounded cache): its size, the CPU time of that first view per page, and what a large
    workspace keeps once the cache is full (``CACHE_SHARE`` of its pages). For comparison:
    the same pixels stored the previous way (every page a PNG)."""
    from sohoa.store import crop_cache
    from sohoa.store.files import encode_png

    pdf, folder = tmp / "storage.pdf", tmp / "ws-storage"
    make_pdf(pdf, pages, min(pages, 4))
    book = Book(None, "KS", 2008, "02/2008", "Chiềng Cơi", "Thuận Châu", "Sơn La", "ks-2006")
    with Workspace.open(folder, create=True) as ws:
        ingest(ws, [pdf], book, Settings(pdf_dpi=dpi))
        entries = _read_all(ws)
        old_pages = sum(len(encode_png(ws.page_image(p.id))) for p in ws.pages())
        page_b, crop_b = _size(folder / "pages"), _size(folder / "crops")
        kept_files = sum(1 for f in (folder / "crops").rglob("*") if f.is_file())
        first_view_cpu = []
        seen: set[int] = set()
        for e in ws.entries():  # every row shown once
            if e.page_id not in seen:
                seen.add(e.page_id)
                ws._decoded = None  # the first view of a page decodes it
                c0 = time.process_time()
                ws.entry_crop_file(e.id)
                first_view_cpu.append(time.process_time() - c0)
            ws.entry_crop_file(e.id)
        cache_b = _size(folder / "crops" / crop_cache.CACHE_DIR)
        later = time.time() + crop_cache.CACHE_GRACE_S + 1  # an hour on: the bound applies
        evicted = crop_cache.bound_cache(folder, pages, now=later)
        bounded_b = _size(folder / "crops" / crop_cache.CACHE_DIR)
    db_b = sum(f.stat().st_size for f in folder.glob("sohoa.db*"))  # closed: checkpointed
    scan = pdf.stat().st_size
    ratio = (page_b + crop_b) / scan
    cache_share = crop_cache.CACHE_SHARE * cache_b / max(page_b, 1)
    return {
        "pages": pages, "entries": entries, "kept_crop_files": kept_files, "scan_bytes": scan,
        "pages_bytes": page_b, "crops_bytes": crop_b,
        "kept_per_page_kb": round((page_b + crop_b) / pages / 1024, 1),
        "scan_per_page_kb": round(scan / pages / 1024, 1),
        "ratio": round(ratio, 3),
        "view_cache_bytes_all_viewed": cache_b,
        "view_cache_per_page_kb": round(cache_b / pages / 1024, 1),
        "ratio_all_viewed": round((page_b + crop_b + cache_b) / scan, 3),
        "pages_evicted_after_grace": len(evicted),
        "ratio_all_viewed_after_grace": round((page_b + crop_b + bounded_b) / scan, 3),
        "ratio_large_workspace_cache_full": round(ratio + cache_share * page_b / scan, 3),
        "cache_bound": f"max({crop_cache.CACHE_MIN_PAGES} pages, {crop_cache.CACHE_SHARE:.0%}"
                       " of pages)",
        "first_view_cpu_s_per_page": round(sum(first_view_cpu) / max(len(first_view_cpu), 1),
                                           3),
        "db_bytes": db_b,
        "db_per_page_kb": round(db_b / pages / 1024, 1),
        "as_png_bytes": old_pages,
        "as_png_ratio": round(old_pages / scan, 2),
    }


def run(pages: int, distinct: int, dpi: int, threads: list[int], store_pages: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        pdf = tmp / "book.pdf"
        gen_s = make_pdf(pdf, pages, distinct)
        rows = [run_one(pdf, tmp / f"ws{t}", pages, dpi, t) for t in threads]
        kept = storage(tmp, store_pages, dpi)
        load = os.getloadavg()[0]
        return {"runs": rows, "storage": kept, "generate_s": round(gen_s, 1),
                "cpus": os.cpu_count(), "load_avg_1min": round(load, 1),
                "machine": platform.machine()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 pages from 2 distinct pages")
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--distinct", type=int, default=4)
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--threads", default="1,4", help="comma list of worker thread counts")
    ap.add_argument("--store-pages", type=int, default=8,
                    help="pages ingested and processed to measure bytes kept per page")
    args = ap.parse_args()
    pages, distinct = (10, 2) if args.quick else (args.pages, args.distinct)
    store_pages = 2 if args.quick else args.store_pages
    res = run(pages, distinct, args.dpi, [int(t) for t in args.threads.split(",")],
              store_pages)
    res["quick"] = args.quick
    print("| threads | pages | dpi | page px | PDF MB | stored MB | ingest s | pages/s"
          " | CPU s/page | re-ingest pages/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in res["runs"]:
        print(f"| {r['threads']} | {r['pages']} | {r['dpi']}"
              f" | {r['page_size_px'][0]}x{r['page_size_px'][1]} | {r['pdf_mb']}"
              f" | {r['stored_mb']} | {r['ingest_s']} | {r['pages_per_s']}"
              f" | {r['cpu_s_per_page']} | {r['reingest_pages_per_s']} |")
    k = res["storage"]
    print(f"\nbytes kept for {k['pages']} processed pages ({k['entries']} entries,"
          f" {k['kept_crop_files']} kept cell files): pages {k['pages_bytes'] / 1e6:.2f} MB +"
          f" crops {k['crops_bytes'] / 1e6:.2f} MB = {k['kept_per_page_kb']} KB/page against"
          f" the scan's {k['scan_per_page_kb']} KB/page: {k['ratio']}x (target <= 1.2x);"
          f" the database (boxes, readings) {k['db_per_page_kb']} KB/page;"
          f" pages as PNG (the previous way) {k['as_png_ratio']}x")
    print(f"screens' cache: {k['view_cache_per_page_kb']} KB/page once viewed, first view"
          f" {k['first_view_cpu_s_per_page']} CPU s/page; every page viewed"
          f" {k['ratio_all_viewed']}x, an hour later {k['ratio_all_viewed_after_grace']}x"
          f" ({k['pages_evicted_after_grace']} pages evicted); a large workspace with the"
          f" cache full"
          f" ({k['cache_bound']}) {k['ratio_large_workspace_cache_full']}x")
    print(f"\n{res['cpus']} CPUs, load average {res['load_avg_1min']} at the end")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=2) + "\n")
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
