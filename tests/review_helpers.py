"""Test workspaces for the review screen: real store, pages drawn by the synthetic generator,
readings made from the generator's truth with chosen confidences and a few chosen OCR mistakes.

Also used by ``benchmarks/bench_review.py`` and the screenshot script.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sohoa.records import Alternative, Book, Reading
from sohoa.store import EntryResult, Workspace
from sohoa.synth.page import generate_page
from sohoa.template import load_template

PASSWORD = "mat-khau-thu-1"
CHROMIUM = "/usr/bin/chromium"  # Debian's, driven by Playwright (the browser tests, the bench)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# the entry on screen has its cursor in place (review.js marks #entry-meta once its deferred
# focus has run): a test types only then, as a clerk types only once the screen has settled
SETTLED = ("!!document.querySelector('#entry-meta[data-focused]') && !!document.activeElement"
           " && document.activeElement.tagName === 'INPUT'")
USERS = (("an", "clerk"), ("binh", "clerk"), ("duyet", "approver"))
_CONFUSE = {"à": "á", "á": "à", "ă": "â", "â": "ă", "ô": "ơ", "ơ": "ô", "u": "ư", "ư": "u",
            "i": "ì", "a": "o", "o": "a", "e": "ê", "ê": "e", "ũ": "u", "ị": "i", "ạ": "a"}


def misread_text(text: str) -> str:
    """A plausible handwriting misreading of a name: one vowel of its last word confused."""
    head, _, last = text.rpartition(" ")
    for i, ch in enumerate(last):
        if ch in _CONFUSE:
            last = last[:i] + _CONFUSE[ch] + last[i + 1:]
            return f"{head} {last}".strip()
    return text + "h"


@dataclass(frozen=True)
class TestWorkspace:
    root: Path
    book_id: int
    entry_ids: tuple[int, ...]
    truth: dict[int, dict[str, str]]  # entry id -> field -> true 158 value
    misread: dict[int, str]  # entry id -> field whose reading is wrong
    wrong: dict[int, str]  # entry id -> what was read there instead
    blank: dict[int, str] = field(default_factory=dict)  # entry id -> written cell read empty


def _crop(img: np.ndarray, bbox: list[int], pad: int = 4) -> np.ndarray:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = bbox
    return img[max(0, y0 - pad):min(h, y1 + pad), max(0, x0 - pad):min(w, x1 + pad)].copy()


def _row_crop(img: np.ndarray, bbox: list[int]) -> np.ndarray:
    """The entry's row as ``process`` cuts it (its box as a quad, deskewed with a margin of
    ``ROW_MARGIN`` of its height): the screen's field outline counts on that frame."""
    from preprocessing.crops import ROW_MARGIN, box_quad, warp_quad

    return warp_quad(img, box_quad(bbox), ROW_MARGIN)


def make_workspace(root: Path, pages: int = 1, seed: int = 7, template: str = "ks-2006",
                   users: tuple[tuple[str, str], ...] = USERS,
                   silent_blank: bool = False) -> TestWorkspace:
    """A workspace with one book of ``pages`` synthetic pages, every entry prefilled.

    Confidences: 0.97 for most fields, 0.62 for the birth date of every third entry; the
    child's name of the first entry of each page is misread (:func:`misread`, 0.55, with the
    true name as the engine's second choice). With ``silent_blank`` the mother's name of the
    last entry of the last page is written but "read" as empty (no reading; its crop kept)."""
    tpl = load_template(template)
    truth: dict[int, dict[str, str]] = {}
    misread: dict[int, str] = {}
    wrong: dict[int, str] = {}
    ids: list[int] = []
    blank: dict[int, str] = {}
    with Workspace.open(root, create=True) as ws:
        for name, role in users:
            if name not in {u.name for u in ws.users()}:
                ws.add_user(name, role, PASSWORD)
        book_id = 0
        for page_no in range(1, pages + 1):
            page = generate_page(tpl, seed, "easy", page_no=page_no)
            b = page.truth["book"]
            book = ws.add_book(Book(None, b["register_type"], b["year"], b["volume"],
                                    b["commune"], b["district"], b["province"], tpl.id))
            book_id = int(book.id)
            sha = hashlib.sha256(page.image.tobytes()).hexdigest()
            stored, _ = ws.add_page(book_id, page.image, f"synth-{seed}-{page_no}.png", sha)
            results, wants = [], []
            last = len(page.truth["entries"]) - 1
            for e in page.truth["entries"]:
                readings, crops, boxes, want = [], {}, {}, {}
                drop = silent_blank and page_no == pages and e["index"] == last
                for f in tpl.fields:
                    cell = e["fields"].get(f.name)
                    if cell is None:
                        continue
                    conf, text, value = 0.97, cell["text"], cell["value"]
                    alts: tuple = ()
                    if f.name == "nksNgaySinh" and e["index"] % 3 == 0:
                        conf = 0.62
                    if f.name == tpl.fields[2].name and e["index"] == 0:
                        alts = (Alternative(value, 0.3),)
                        conf, text = 0.55, misread_text(value)
                        value = text
                    if not (drop and f.name == "meHoTen"):
                        readings.append(Reading(f.name, text, value, conf, "synth-truth",
                                                tuple(cell["bbox"]), alts))
                    crops[f.name] = _crop(page.image, cell["bbox"])
                    boxes[f.name] = tuple(cell["bbox"])
                    want[f.name] = cell["value"]
                results.append(EntryResult(
                    index=e["index"], bbox=tuple(e["bbox"]), entry_crop=_row_crop(page.image, e["bbox"]),
                    field_crops=crops, field_boxes=boxes, readings=readings))
                wants.append((e["index"], want))
            entry_ids = ws.save_page_result(stored.id, float(page.truth["angle"]), results)
            for eid, (index, want) in zip(entry_ids, wants, strict=True):
                truth[eid] = want
                if silent_blank and page_no == pages and index == last:
                    blank[eid] = "meHoTen"
                if index == 0:
                    misread[eid] = tpl.fields[2].name
                    wrong[eid] = misread_text(want[tpl.fields[2].name])
            ids += entry_ids
    return TestWorkspace(root, book_id, tuple(ids), truth, misread, wrong, blank)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def private_copy(base, tmp_path: Path) -> Iterator[Workspace]:  # type: ignore[no-untyped-def]
    """A private copy of a module-wide test workspace, for a test that changes it."""
    root = tmp_path / "ws"
    shutil.copytree(base.root, root)
    with Workspace.open(root) as w:
        yield w


def login(browser, url: str, user: str, width: int = 1366, height: int = 768,  # type: ignore[no-untyped-def]
          outside: list[str] | None = None):
    """A new browser context logged in as ``user`` on the review screen at ``url``; requests
    leaving the machine are appended to ``outside`` when given."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    if outside is not None:
        page.on("request", lambda r: outside.append(r.url)
                if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.goto(url)
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#userline, .userline", timeout=60_000)
    return ctx, page
