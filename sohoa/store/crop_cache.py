"""Crops are boxes on the page: cut when someone needs them, cached for a while, bounded.

What is kept for good is the scan (``pages/``) and, per cell, its box: the quadrilateral on
the page and the margin ``process`` cut it with (``crops.quad``, ``crops.margin``). The only
crop files kept from processing are the cells the recogniser read as empty (small, mostly
white), so that the review screen can tell a silent blank without cutting every page.

Everything a screen shows is cut from the page on first view, all rows and cells of that page
at once (one decode), into ``crops/cache/<page id>/``; that cache holds at most
:data:`CACHE_SHARE` of the workspace's pages (and never fewer than :data:`CACHE_MIN_PAGES`),
the least recently viewed pages going first, never one viewed in the last
:data:`CACHE_GRACE_S` seconds (a screen, or a training run, may still be reading it).
Decoded pages are kept in memory (:class:`DecodedPages`), a few at a time, for every thread.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CACHE_DIR = "cache"  # under crops/
CACHE_SHARE = 0.10  # pages whose crops may be cached at once, as a share of all pages
CACHE_MIN_PAGES = 8  # ... but at least this many (pages viewed within the grace
# period are kept whatever the bound: twenty clerks on twenty pages lose nothing)
CACHE_GRACE_S = 3600.0  # a page viewed this recently is never evicted
DECODED_PAGES_MAX_PIXELS = 60_000_000  # ~ four 300-dpi A3 pages decoded in memory


def cache_folder(workspace: Path, page_id: int) -> Path:
    return Path(workspace) / "crops" / CACHE_DIR / str(int(page_id))


def cache_file(workspace: Path, page_id: int, index: int, field: str = "") -> Path:
    """Where a screen's copy of a crop lives: an entry's row (colour) or a cell (grey), JPEG."""
    name = f"e{int(index)}.jpg" if not field else f"e{int(index)}_{field}.jpg"
    return cache_folder(workspace, page_id) / name


def touch(folder: Path) -> None:
    """Mark a page's cache as just viewed (its folder's time is the LRU clock)."""
    try:
        os.utime(folder)
    except OSError:
        pass


def bound_cache(workspace: Path, total_pages: int, keep: int | None = None,
                now: float | None = None) -> list[int]:
    """Evict the least recently viewed pages' caches beyond the bound; returns their ids.

    ``keep``: a page id never evicted (the one just cut)."""
    root = Path(workspace) / "crops" / CACHE_DIR
    limit = max(CACHE_MIN_PAGES, math.ceil(CACHE_SHARE * max(total_pages, 0)))
    try:
        with os.scandir(root) as it:
            folders = [e for e in it if e.is_dir() and e.name.isdigit()]
    except OSError:
        return []
    if len(folders) <= limit:
        return []
    now = time.time() if now is None else now
    aged = sorted((e.stat().st_mtime, e.name) for e in folders if int(e.name) != keep)
    evicted: list[int] = []
    for mtime, name in aged:
        if len(folders) - len(evicted) <= limit or now - mtime < CACHE_GRACE_S:
            break
        shutil.rmtree(root / name, ignore_errors=True)
        evicted.append(int(name))
    if evicted:
        log.info("crop cache: evicted %d pages (limit %d pages)", len(evicted), limit)
    return evicted


class DecodedPages:
    """A few decoded pages in memory, shared by threads, least recently used dropped first:
    the colour page (rows) and, made on first need, its grey with red ink faded (cells, as
    ``preprocessing.crops.field_crops`` cuts them)."""

    def __init__(self, max_pixels: int = DECODED_PAGES_MAX_PIXELS) -> None:
        self.max_pixels = max_pixels
        self._pages: OrderedDict[str, dict[str, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], np.ndarray], grey: bool = False) -> np.ndarray:
        with self._lock:
            item = self._pages.get(key)
            if item is not None:
                self._pages.move_to_end(key)
        if item is None:
            item = {"colour": load()}
            with self._lock:
                self._pages[key] = item
                self._trim()
        if grey and "grey" not in item:
            from preprocessing.clean import drop_red

            item["grey"] = drop_red(item["colour"])
        return item["grey" if grey else "colour"]

    def _trim(self) -> None:
        total = sum(v["colour"].shape[0] * v["colour"].shape[1] for v in self._pages.values())
        while len(self._pages) > 1 and total > self.max_pixels:
            _, old = self._pages.popitem(last=False)
            total -= old["colour"].shape[0] * old["colour"].shape[1]
