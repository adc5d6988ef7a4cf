"""Tesseract 5 (Debian ``tesseract-ocr`` + ``vie``) as a recognition engine.

Good for print and register headers, weak on handwriting (see docs/ocr.md for figures). A batch
of crops goes to one ``tesseract`` process through a list file, which reads every image with the
model loaded once and reports each word's confidence in TSV; starting one process per crop costs
~0.2 s each, which would dominate. Large batches are split over a few parallel processes.

Per field kind: page-segmentation mode 7 (one line) except free text (6, a block); digits-only
whitelist for entry numbers; dates and years are read twice, freely and with a digit whitelist,
since they may be written in words ("ngày 5 tháng 3 năm 2006", "Sinh năm 1977") or in figures,
and the better-scored reading wins with the other kept as an alternative.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from ocr.base import EngineError, EngineUnavailable, Hypotheses, make_hypotheses, recognize_batch
from ocr.device import check_device_name
from sohoa.records import FieldCrop, FieldKind, Reading

log = logging.getLogger(__name__)

DIGITS = "0123456789"
DATE_CHARS = DIGITS + "./-"
PSM_BY_KIND: dict[FieldKind, int] = {FieldKind.TEXT: 6}
WHITELIST_BY_KIND: dict[FieldKind, str] = {FieldKind.NUMBER: DIGITS}
# kinds read twice, freely and with a whitelist: written in figures or in words ("Sinh năm 1977")
SECOND_PASS: dict[FieldKind, str] = {FieldKind.DATE: DATE_CHARS, FieldKind.YEAR: DIGITS}
MIN_HEIGHT = 40  # smaller crops are upscaled: Tesseract's LSTM wants ~20 px x-height
PAD = 12  # white margin; Tesseract misses ink touching the border


def prepare(img: np.ndarray) -> np.ndarray:
    """Dark ink on white paper, at least MIN_HEIGHT tall (cubic upscale), with a white margin.

    The contrast is stretched so the paper is white and the darkest ink black: on grey or
    yellowed paper with faint ink, Tesseract otherwise reads scanner noise as punctuation
    (measured: 8 of 8 faint lines gained stray marks, none after stretching).
    """
    if img.mean() < 110:  # light ink on a dark background: invert
        img = 255 - img
    lo, hi = np.percentile(img, (1, 90))
    if hi - lo > 30:
        img = np.clip((img.astype(np.float32) - lo) * (255.0 / (hi - lo)), 0, 255)
        img = img.astype(np.uint8)
    h, w = img.shape
    if h < MIN_HEIGHT:
        scale = MIN_HEIGHT / h
        size = (max(1, round(w * scale)), MIN_HEIGHT)
        img = np.asarray(Image.fromarray(img).resize(size, Image.Resampling.BICUBIC))
    return np.pad(img, PAD, constant_values=255)


def has_ink(img: np.ndarray) -> bool:
    """Whether a crop holds any marks clearly darker than its paper; Tesseract invents a mark
    on a blank line. Relative to the paper so faint pencil on yellowed paper still counts."""
    if img.mean() < 110:  # light ink on a dark background
        img = 255 - img
    paper = float(np.percentile(img, 90))
    dark = int(np.count_nonzero(img < paper - 50))
    return dark >= max(8, img.size // 2000)


def _line_text(words: list[tuple[tuple[int, int, int, int], str, float]]) -> tuple[str, float]:
    """Join TSV words in reading order; confidence = character-weighted mean word confidence."""
    if not words:
        return "", 0.0
    lines: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    total = weight = 0.0
    for key, text, conf in sorted(words, key=lambda w: w[0]):
        lines[key[:3]].append(text)
        total += max(conf, 0.0) / 100.0 * len(text)
        weight += len(text)
    text = " ".join(" ".join(ws) for ws in lines.values())
    return text, (total / weight if weight else 0.0)


def parse_tsv(tsv: str, n_pages: int) -> list[tuple[str, float]]:
    """Per page of a list-file run: (text, confidence) from Tesseract's TSV word rows."""
    pages: list[list[tuple[tuple[int, int, int, int], str, float]]] = [[] for _ in range(n_pages)]
    for row in csv.DictReader(tsv.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        page = int(row["page_num"]) - 1
        if not 0 <= page < n_pages:
            raise EngineError(f"tesseract: TSV names page {page + 1} of {n_pages}")
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]),
               int(row["word_num"]))
        pages[page].append((key, row["text"].strip(), float(row["conf"])))
    return [_line_text(words) for words in pages]


def default_workers() -> int:
    """Parallel processes for big batches: half the cores, at most 4 (1 on a 2-core box, where
    a second process measured no faster than one)."""
    return max(1, min(4, (os.cpu_count() or 1) // 2))


class TesseractEngine:
    """Tesseract over batches of crops; ``psm`` overrides the per-kind page-segmentation mode."""

    name = "tesseract"

    def __init__(self, *, device: str = "auto", lang: str = "vie", psm: int | None = None,
                 alt_psm: int | None = None, workers: int | None = None,
                 tesseract_cmd: str | None = None, timeout_s: float = 600.0) -> None:
        check_device_name(device)  # a typo is an error even for a CPU-only engine
        self.device = "cpu"  # Tesseract runs on the CPU whatever --device says
        cmd = tesseract_cmd or shutil.which("tesseract")
        if not cmd or not Path(cmd).exists():
            raise EngineUnavailable("tesseract program not found: install Debian tesseract-ocr "
                                    "and tesseract-ocr-vie")
        self.cmd = cmd
        langs = self._languages()
        missing = [part for part in lang.split("+") if part not in langs]
        if missing:
            raise EngineUnavailable(f"tesseract has no language data {missing} (has {langs}): "
                                    f"install tesseract-ocr-{missing[0]}")
        self.lang = lang
        self.psm = psm
        self.alt_psm = alt_psm
        self.workers = max(1, workers if workers is not None else default_workers())
        self.timeout_s = timeout_s

    def _languages(self) -> list[str]:
        out = subprocess.run([self.cmd, "--list-langs"], capture_output=True, text=True,
                             timeout=60, check=False)
        return [ln.strip() for ln in out.stdout.splitlines()[1:] if ln.strip()]

    def recognize(self, crops: Sequence[FieldCrop], kind: FieldKind) -> list[Reading]:
        """One Reading per crop; text is Tesseract's, confidence its mean word confidence."""
        return recognize_batch(crops, kind, self.name, self._hypotheses)

    def _hypotheses(self, images: list[np.ndarray], kind: FieldKind) -> list[Hypotheses]:
        psm = self.psm if self.psm is not None else PSM_BY_KIND.get(kind, 7)
        passes = [self.run(images, psm, WHITELIST_BY_KIND.get(kind))]
        if kind in SECOND_PASS:
            passes.append(self.run(images, psm, SECOND_PASS[kind]))
        if self.alt_psm is not None and self.alt_psm != psm:
            passes.append(self.run(images, self.alt_psm, WHITELIST_BY_KIND.get(kind)))
        return [make_hypotheses([p[i] for p in passes]) for i in range(len(images))]

    def run(self, images: list[np.ndarray], psm: int,
            whitelist: str | None = None) -> list[tuple[str, float]]:
        """Read every image in as few Tesseract processes as ``workers`` allows."""
        inked = [i for i, img in enumerate(images) if has_ink(img)]
        results: list[tuple[str, float]] = [("", 0.0)] * len(images)
        for i, res in zip(inked, self._run_inked([images[i] for i in inked], psm, whitelist),
                          strict=True):
            results[i] = res
        return results

    def _run_inked(self, images: list[np.ndarray], psm: int,
                   whitelist: str | None) -> list[tuple[str, float]]:
        if not images:
            return []
        n = min(self.workers, max(1, len(images) // 4))
        size = -(-len(images) // n)
        chunks = [images[i:i + size] for i in range(0, len(images), size)]
        if len(chunks) == 1:
            return self._run_one(chunks[0], psm, whitelist)
        with ThreadPoolExecutor(len(chunks)) as pool:
            parts = list(pool.map(lambda c: self._run_one(c, psm, whitelist), chunks))
        return [r for part in parts for r in part]

    def _run_one(self, images: list[np.ndarray], psm: int,
                 whitelist: str | None) -> list[tuple[str, float]]:
        with tempfile.TemporaryDirectory(prefix="sohoa-tess-") as tmp:
            paths = []
            for i, img in enumerate(images):
                path = Path(tmp) / f"{i:05d}.pgm"
                Image.fromarray(prepare(img)).save(path)
                paths.append(str(path))
            listing = Path(tmp) / "list.txt"
            listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
            args = [self.cmd, str(listing), "stdout", "-l", self.lang, "--psm", str(psm)]
            if whitelist:
                args += ["-c", f"tessedit_char_whitelist={whitelist}"]
            env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
            try:
                out = subprocess.run([*args, "tsv"], capture_output=True, text=True, env=env,
                                     timeout=self.timeout_s, check=False)
            except subprocess.TimeoutExpired as exc:
                raise EngineError(f"tesseract took over {self.timeout_s:.0f} s on "
                                  f"{len(images)} crops") from exc
        if out.returncode != 0:
            raise EngineError(f"tesseract failed (exit {out.returncode}): {out.stderr.strip()}")
        return parse_tsv(out.stdout, len(images))
