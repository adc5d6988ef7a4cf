"""Export speed, PDF sizes and PDF legibility.

1. Speed: a generated 1,000-entry birth book (entries cut from synthetic register pages,
   ``sohoa.synth.generate_page`` at 200 dpi, a few distinct pages cycled, each copy its own
   file), reviewed and approved in a real workspace, exported with 1 and with 2 worker
   processes (target: <= 60 s on 2 cores). The second export is of the same entries (now
   "exported"), which also checks that re-export gives the same files.
   Every export is atomic (staged, checked against its manifest, committed; see
   docs/export.md): the time includes that; a third export into the first folder measures a
   re-export that replaces all three files together, and the check of a set (sha256 of the
   Excel, ZIP and every PDF against the manifest) is timed on its own.
2. Sizes: the distribution of the per-entry PDFs (limit 100 KB).
3. Legibility: crops of printed Vietnamese text on noisy paper, OCR'd by Tesseract (vie,
   psm 6) as drawn and after export (PDF rasterised with pymupdf at the crop's resolution);
   CER of both, plus a 1-bit (Otsu) rendering of the same crops for comparison.

4. ``check-158`` on a 100,000-row workbook (another tool's inline strings): wall time and peak
   memory of the command in a child process (the issue saw 106 s and 2.3 GB before streaming).

    .venv/bin/python benchmarks/bench_export.py [--quick] [--check-rows 100000]

Prints a Markdown table and writes ``benchmarks/results/export.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

RESULTS = Path(__file__).parent / "results" / "export.json"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TEXTS = (
    "Nguyễn Thị Hồng Nhung  Lò Văn Ánh  Quàng Thị Đôi  Sùng A Dơ",
    "Bản Nà Sản, xã Chiềng Ban, huyện Mai Sơn, tỉnh Sơn La",
    "Trạm y tế xã Mường Bú  Cầm Thị Lả  Lường Văn Ẩn  1987",
    "Đặng Hữu Thưởng  Vàng Thị Dế  Hà Thị Kiều Oanh  Mẹ đẻ",
    "Tổ Pom Hin, Cảm Nhân, Yên Bình, Yên Bái  ngày 02.01.2000",
)


def build_book(ws_path: Path, n: int) -> tuple[float, int]:
    from export_helpers import make_book

    from sohoa.store import Workspace

    t = time.perf_counter()
    with Workspace.open(ws_path, create=True) as ws:
        _, ids = make_book(ws, n, distinct_pages=5)
    return time.perf_counter() - t, len(ids)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the PDF workers)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_export(ws_path: Path, out: Path, workers: int
               ) -> tuple[float, float, list[int], dict[str, str]]:
    from sohoa.export.run import export_workspace
    from sohoa.store import Workspace

    with Workspace.open(ws_path) as ws:
        t, cpu = time.perf_counter(), _cpu()
        res = export_workspace(ws, out, workers=workers)[0]
        took, cpu = time.perf_counter() - t, _cpu() - cpu
    if res.blocked:
        raise SystemExit(f"export blocked: {[i for i in res.issues if i.severity == 'error'][:5]}")
    manifest = json.loads(res.manifest.read_text(encoding="utf-8"))
    sizes = [e["bytes"] for e in manifest["entries"]]
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    return took, cpu, sizes, digests


def check_rows(n: int, tmp: Path) -> dict[str, float]:
    """``sohoa check-158`` on an ``n``-row workbook in a child process: seconds, peak MB."""
    import subprocess

    from test_hardening_check158 import many_rows

    path = tmp / "rows.xlsx"
    path.write_bytes(many_rows(n))
    code = ("import json,resource,subprocess,sys,time\nt=time.monotonic()\n"
            "r=subprocess.run([sys.executable,'-m','sohoa.cli','check-158',sys.argv[1]],"
            "capture_output=True,text=True)\n"
            "print(json.dumps({'rc':r.returncode,'s':time.monotonic()-t,'tail':r.stdout[-200:],"
            "'mb':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024}))")
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    res = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, env=env)
    got = json.loads(res.stdout)
    return {"rows": n, "file_mb": round(path.stat().st_size / 1e6, 1), "exit": got["rc"],
            "seconds": round(got["s"], 1), "peak_mb": round(got["mb"]), "summary":
            got["tail"].strip().splitlines()[-1] if got["tail"].strip() else ""}


def printed_crop(text: str, seed: int, size: int = 28, noise: float = 25.0,
                 blur: float = 0.8) -> np.ndarray:
    """A line of printed Vietnamese, about as tall as handwriting in a 200 dpi entry row,
    slightly blurred and noisy like a scan."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (2400, size * 3), 226)
    ImageDraw.Draw(img).text((30, size), text, fill=40, font=ImageFont.truetype(FONT, size))
    arr = cv2.GaussianBlur(np.asarray(img, dtype=np.float32), (0, 0), blur)
    arr += np.random.default_rng(seed).normal(0, noise, arr.shape)
    return np.clip(arr, 0, 255).astype(np.uint8)


def ocr(img: np.ndarray) -> str:
    import pytesseract
    from PIL import Image

    return " ".join(pytesseract.image_to_string(Image.fromarray(img), lang="vie",
                                                config="--psm 6").split())


def legibility(n_crops: int, tmp: Path) -> dict[str, float]:
    """Tesseract CER on: the raw crop; the levelled crop as stored losslessly (what the PDF
    would show without JPEG); the PDF rasterised back; a 1-bit (Otsu) version of the
    levelled crop."""
    import cv2
    import pymupdf
    from rapidfuzz.distance import Levenshtein

    from sohoa.export.pdf import SCAN_DPI, entry_pdf, level_grey

    errs: dict[str, list[float]] = {"raw": [], "levelled": [], "pdf": [], "one_bit": []}
    sizes = []
    for i in range(n_crops):
        text = TEXTS[i % len(TEXTS)]
        crop = printed_crop(text, i, size=(28, 26, 24)[i % 3], noise=25.0 + 5 * (i % 3),
                            blur=0.8 + 0.1 * (i % 3))
        res = entry_pdf(crop, tmp / f"l{i}.pdf")
        sizes.append(res.bytes)
        zoom = SCAN_DPI / 72
        pix = pymupdf.open(tmp / f"l{i}.pdf")[0].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom),
                                                           colorspace=pymupdf.csGRAY)
        shown = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width)
        levelled = level_grey(crop)
        _, one_bit = cv2.threshold(levelled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        for key, img in (("raw", crop), ("levelled", levelled), ("pdf", shown),
                         ("one_bit", one_bit)):
            errs[key].append(Levenshtein.normalized_distance(ocr(img), text))
    out = {f"cer_{k}": round(100 * float(np.mean(v)), 2) for k, v in errs.items()}
    out["crops"] = n_crops
    out["mean_kb"] = round(float(np.mean(sizes)) / 1024, 1)
    return out


def legibility_only(n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench_export_leg_"))
    try:
        print(json.dumps(legibility(n, tmp)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100 entries, 5 crops")
    ap.add_argument("--entries", type=int, default=None)
    ap.add_argument("--check-rows", type=int, default=None, help="rows for check-158")
    args = ap.parse_args()
    n = args.entries or (100 if args.quick else 1000)
    tmp = Path(tempfile.mkdtemp(prefix="bench_export_"))
    try:
        build_s, n = build_book(tmp / "ws", n)
        load = os.getloadavg()[0]
        t2, c2, sizes, d2 = run_export(tmp / "ws", tmp / "out2", workers=2)
        t1, c1, _, d1 = run_export(tmp / "ws", tmp / "out1", workers=1)
        t_re, _, _, d_re = run_export(tmp / "ws", tmp / "out2", workers=2)  # replaces the set
        from sohoa.export.commit import verify_set

        manifest = next((tmp / "out2").glob("*.manifest.json"))
        t = time.perf_counter()
        problems = verify_set(tmp / "out2", manifest.name)
        verify_s = time.perf_counter() - t
        kb = np.array(sizes) / 1024
        leg = legibility(5 if args.quick else 20, tmp)
        rows = check_rows(args.check_rows or (10_000 if args.quick else 100_000), tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "entries": n, "build_workspace_s": round(build_s, 1),
        "export_2_workers_s": round(t2, 1), "export_1_worker_s": round(t1, 1),
        "speedup_2_vs_1": round(t1 / t2, 2), "entries_per_s_2_workers": round(n / t2, 1),
        "cpu_s_2_workers": round(c2, 1), "cpu_s_1_worker": round(c1, 1),
        "load_average_before": round(load, 1),
        "reexport_identical": d1 == d2 == d_re,
        "reexport_replace_s": round(t_re, 1), "verify_set_s": round(verify_s, 2),
        "set_agrees_with_manifest": problems == [],
        "check158": rows,
        "pdf_kb": {"min": round(float(kb.min()), 1), "median": round(float(np.median(kb)), 1),
                   "p95": round(float(np.percentile(kb, 95)), 1),
                   "max": round(float(kb.max()), 1)},
        "pdf_over_100kb": int((kb > 100).sum()),
        "legibility": leg,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print("| measure | value |\n|---|---|")
    print(f"| entries | {n} |")
    print(f"| export, 2 workers | {result['export_2_workers_s']} s "
          f"({result['entries_per_s_2_workers']} entries/s) |")
    print(f"| export, 1 worker | {result['export_1_worker_s']} s "
          f"(2 vs 1: x{result['speedup_2_vs_1']}) |")
    print(f"| CPU seconds (2 workers / 1 worker) | {result['cpu_s_2_workers']} / "
          f"{result['cpu_s_1_worker']} (load average {result['load_average_before']}) |")
    print(f"| re-export byte-identical | {result['reexport_identical']} |")
    print(f"| re-export replacing the set (2 workers) | {result['reexport_replace_s']} s |")
    print(f"| check of the set against its manifest | {result['verify_set_s']} s, agrees:"
          f" {result['set_agrees_with_manifest']} |")
    r = result["check158"]
    print(f"| check-158, {r['rows']} rows ({r['file_mb']} MB) | {r['seconds']} s, peak"
          f" {r['peak_mb']} MB, exit {r['exit']}: {r['summary']} |")
    p = result["pdf_kb"]
    print(f"| PDF KB min / median / p95 / max | {p['min']} / {p['median']} / {p['p95']} / "
          f"{p['max']} |")
    print(f"| PDFs over 100 KB | {result['pdf_over_100kb']} |")
    print(f"| Tesseract CER, {leg['crops']} printed crops: raw / levelled lossless / PDF / "
          f"1-bit | {leg['cer_raw']} % / {leg['cer_levelled']} % / {leg['cer_pdf']} % / "
          f"{leg['cer_one_bit']} % |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
