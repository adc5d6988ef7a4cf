"""Shared helpers for the store and ingest tests: a workspace with a book, page images, and
child-process writers (top-level functions so that ``multiprocessing`` spawn can import them)."""

from __future__ import annotations

import hashlib
import os
import signal
import sys
from pathlib import Path

import numpy as np

from sohoa.records import Book, Reading
from sohoa.store import EntryResult, Workspace


def page_image(seed: int, size: tuple[int, int] = (120, 90)) -> np.ndarray:
    """A small RGB page with a few dark strokes; different seeds give different pixels."""
    rng = np.random.default_rng(seed)
    img = np.full((*size, 3), 235, np.uint8)
    for _ in range(6):
        y, x = int(rng.integers(0, size[0] - 6)), int(rng.integers(0, size[1] - 20))
        img[y:y + 3, x:x + 18] = rng.integers(0, 80)
    return img


def sha(img: np.ndarray) -> str:
    return hashlib.sha256(img.tobytes()).hexdigest()


def make_book(ws: Workspace, volume: str = "01/2008") -> int:
    book = ws.add_book(Book(None, "KS", 2008, volume, "Chiềng Cơi", "Sơn La", "Sơn La"))
    assert book.id is not None
    return book.id


def entry_results(n: int, with_readings: bool = True, tag: str = "") -> list[EntryResult]:
    """``n`` entries, each with a crop, one field crop and two readings."""
    out = []
    for i in range(n):
        readings = [
            Reading("nksHoTen", f"Lò Văn {tag}{i}", f"Lò Văn {tag}{i}", 0.8, "fake", (2, 2, 40, 9)),
            Reading("nksGioiTinh", "Nam", "1", 0.99, "fake"),
        ] if with_readings else []
        out.append(EntryResult(
            index=i, bbox=(0, 10 * i, 80, 10 * i + 10), quad=None,
            entry_crop=np.full((10, 80), 200, np.uint8),
            field_crops={"nksHoTen": np.full((8, 40), 180, np.uint8)},
            field_boxes={"nksHoTen": (2, 10 * i + 1, 42, 10 * i + 9)},
            readings=readings,
        ))
    return out


def crash_writer(path: str, entries_per_page: int, self_kill_after: int = 0) -> None:
    """Child process: add pages with their entries forever, printing each committed page.

    With ``self_kill_after`` > 0 the process SIGKILLs itself from inside the SQLite transaction
    of page ``self_kill_after + 1`` (via a progress handler), i.e. certainly mid-batch.
    """
    ws = Workspace.open(path)
    book_id = make_book(ws)
    n = 0
    calls = 0

    def maybe_die() -> int:
        nonlocal calls
        if n > self_kill_after and ws._conn().in_transaction:
            calls += 1
            if calls > 50:
                print(f"dying {n}", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
        return 0

    if self_kill_after:
        ws._conn().set_progress_handler(maybe_die, 1000)
    while True:
        n += 1
        img = page_image(100_000 + n)
        page, _ = ws.add_page(book_id, img, f"crash-{n}.png", sha(img))
        ws.save_page_result(page.id or 0, 0.0, entry_results(entries_per_page, tag=f"p{n}-"))
        print(f"committed {page.id}", flush=True)


def concurrent_writer(path: str, worker: int, entry_ids: list[int], pages: int) -> None:
    """Child process: confirm the given entries and add pages as fast as it can."""
    ws = Workspace.open(path)
    book_id = make_book(ws)
    for k, entry_id in enumerate(entry_ids):
        view = ws.entry_view(entry_id)
        ws.confirm(entry_id, f"clerk{worker}", {"nksHoTen": f"W{worker} {k}"}, view.version)
    for k in range(pages):
        img = page_image(10_000 * (worker + 1) + k)
        ws.add_page(book_id, img, f"w{worker}-{k}.png", sha(img))
    ws.close()


def claimer(path: str, user: str, out: str) -> None:
    """Child process: claim entries until none is left, write the ids claimed."""
    ws = Workspace.open(path)
    got = []
    while True:
        entry_id = ws.claim_next(user, lease_s=600)
        if entry_id is None:
            break
        got.append(entry_id)
        ws.confirm(entry_id, user, {}, ws.entry_view(entry_id).version)
    Path(out).write_text(" ".join(map(str, got)))
    ws.close()


if __name__ == "__main__":  # used by the SIGKILL test: python store_helpers.py crash PATH N
    if sys.argv[1] == "crash":
        crash_writer(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if sys.argv[4:] else 0)
