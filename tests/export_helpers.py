"""Test fixtures for the export area: a real workspace whose entries come from synthetic
register pages (``sohoa.synth.generate_page``), reviewed and approved through the real store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

import numpy as np

from sohoa.records import Book, Reading
from sohoa.store import EntryResult, Workspace


@cache
def synth_page(seed: int, page_no: int):  # type: ignore[no-untyped-def]
    from sohoa.synth import generate_page

    return generate_page("ks-2006", seed=seed, page_no=page_no)


def _crop(image: np.ndarray, bbox) -> np.ndarray:  # type: ignore[no-untyped-def]
    x0, y0, x1, y1 = (int(v) for v in bbox)
    return np.ascontiguousarray(image[max(0, y0):y1, max(0, x0):x1])


def make_book(
    ws: Workspace, n_entries: int, seed: int = 3, distinct_pages: int = 2,
    status: str = "approved", edit: Callable[[int, dict[str, str]], Mapping[str, str]] | None = None,
    volume: str | None = None,
) -> tuple[Book, list[int]]:
    """A KS book of ``n_entries`` entries numbered 1..n, cycling over ``distinct_pages``
    synthetic pages. ``edit(k, values)`` may change the values of entry k (1-based) before
    review. ``status``: prefilled, confirmed or approved."""
    info = synth_page(seed, 1).truth["book"]
    book = ws.add_book(Book(None, "KS", info["year"], volume or f"01/{info['year']}",
                            info["commune"], info["district"], info["province"], "ks-2006"))
    ids: list[int] = []
    k, cycle = 0, 0
    while k < n_entries:
        page_no = cycle % distinct_pages + 1
        sp = synth_page(seed, page_no)
        image = sp.image.copy()
        image[0, 0, 0] = (cycle * 7 + 1) % 256  # a distinct page file per cycle
        image[0, 1, 0] = (cycle // 256) % 256
        sha = hashlib.sha256(image.tobytes()).hexdigest()
        page, _ = ws.add_page(book.id, image, f"synth-{seed}-{cycle}.png", sha)
        results, wanted = [], []
        for e in sp.truth["entries"]:
            if k >= n_entries or not e["fields"]:
                continue
            k += 1
            values = {f: v["value"] for f, v in e["fields"].items()}
            values["so"] = f"{k:02d}/{info['year']}"
            if edit is not None:
                values = dict(edit(k, values))
            readings = [Reading(f, text=v, value=v, confidence=0.9, engine="synth")
                        for f, v in values.items() if v]
            results.append(EntryResult(index=e["index"], bbox=tuple(e["bbox"]),
                                       entry_crop=_crop(image, e["bbox"]), readings=readings))
            wanted.append(values)
        new_ids = ws.save_page_result(page.id, 0.0, results)
        if status != "prefilled":
            for entry_id, values in zip(new_ids, wanted, strict=True):
                view = ws.entry_view(entry_id)
                ws.confirm(entry_id, "clerk", values, view.version)
        ids += new_ids
        cycle += 1
    if status == "approved":
        ws.approve_book(book.id, "approver")
    return book, ids


def new_workspace(tmp: Path) -> Workspace:
    return Workspace.open(tmp / "ws", create=True)


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
