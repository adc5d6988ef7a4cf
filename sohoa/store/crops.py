"""The one place that turns (page, box) into a crop image, and the screens' crop files.

A row or a cell is a box on the page (see :mod:`sohoa.store.crop_cache`): :meth:`crop_image`
cuts it from the decoded page (kept in memory a few pages at a time) exactly as ``process``
cut it; :meth:`entry_crop_file` and :meth:`field_crop_file` give a screen a file, cutting
every row and cell of the page into the bounded cache on the page's first view.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import numpy as np

from sohoa.store.base import StoreBase, bbox_from_json
from sohoa.store.crop_cache import DecodedPages, bound_cache, cache_file, touch
from sohoa.store.files import encode_crop, write_atomic
from sohoa.store.types import WorkspaceError

_DECODED_LOCK = threading.Lock()


class CropsMixin(StoreBase):
    """:meth:`crop_image`, :meth:`entry_crop_file`, :meth:`field_crop_file` of the workspace."""

    def _decoded_pages(self) -> DecodedPages:
        with _DECODED_LOCK:
            pages = getattr(self, "_decoded", None)
            if pages is None:
                pages = self._decoded = DecodedPages()
        return pages

    def _crop_row(self, entry_id: int, field: str) -> sqlite3.Row | None:
        rows = self._query("SELECT c.*, e.page_id, e.idx FROM crops c JOIN entries e ON"
                           " e.id = c.entry_id WHERE c.entry_id = ? AND c.field = ?",
                           (int(entry_id), field))
        return rows[0] if rows else None

    def _files_of(self, entry_id: int, field: str) -> tuple[Path | None, Path]:
        """(the kept file the database names, if any; the cache file) of a row or cell."""
        row = self._crop_row(entry_id, field)
        if row is None:
            entry = self._read(lambda c: self._entry_row(c, entry_id))
            return None, cache_file(self.path, entry["page_id"], entry["idx"], field)
        kept = self.path / row["path"] if row["path"] else None
        return kept, cache_file(self.path, row["page_id"], row["idx"], field)

    def _screen_file(self, entry_id: int, field: str, whole_page: bool = True) -> Path | None:
        kept, cached = self._files_of(entry_id, field)
        for path in (kept, cached):
            if path is not None and path.is_file():
                if path.parent.parent.name == "cache":
                    touch(path.parent)
                return path
        page_id = int(self._read(lambda c: self._entry_row(c, entry_id))["page_id"])
        if whole_page:
            self.cut_page_crops(page_id)
            return cached if cached.is_file() else None
        try:
            image = self.crop_image(entry_id, field, cached=False)
        except WorkspaceError:
            return None
        write_atomic(cached, encode_crop(image, ".jpg", view=True))
        self._bound(page_id)
        return cached

    def entry_quad(self, entry_id: int) -> tuple[tuple[float, float], ...] | None:
        """The entry's row on its page as ``process`` found it (corners TL, TR, BR, BL; its
        row crop is that quad deskewed with a margin of 5 % of its height), or its box as an
        upright quad for an entry stored without one; None without either."""
        rows = self._query("SELECT quad, x0, y0, x1, y1 FROM entries WHERE id = ?",
                           (int(entry_id),))
        return _row_quad(rows[0]) if rows else None

    def entry_crop_file(self, entry_id: int) -> Path | None:
        """The entry's row as an image file for a screen (JPEG, at most 1600 px): cut from
        the page on the page's first view, with every other row and cell of that page (one
        decode per page, not per clerk's thread); None when the page cannot be read."""
        return self._screen_file(entry_id, "")

    def field_crop_file(self, entry_id: int, field: str, whole_page: bool = True
                        ) -> Path | None:
        """One cell as an image file for a screen (natural size up to 400 px high): the crop
        kept from processing when there is one, else cut with the page's others (or alone:
        ``whole_page=False``, for a list of one field across many pages)."""
        return self._screen_file(entry_id, field, whole_page)

    def field_crop_files(self, entry_id: int) -> dict[str, Path]:
        """Every cell of the entry that has a box, as files (see :meth:`field_crop_file`)."""
        out: dict[str, Path] = {}
        names = [r["field"] for r in self._query(
            "SELECT field FROM crops WHERE entry_id = ? AND field != '' ORDER BY field",
            (int(entry_id),))]
        for name in names:
            path = self.field_crop_file(entry_id, name)
            if path is not None:
                out[name] = path
        return out

    def cut_page_crops(self, page_id: int) -> int:
        """Cut every row and cell of a page into the screen cache (those not there yet);
        returns the files written. Then bound the cache (least recently viewed pages go)."""
        written = 0
        rows = self._query(
            "SELECT c.entry_id, c.field, c.path, e.idx FROM crops c JOIN entries e ON"
            " e.id = c.entry_id WHERE e.page_id = ? ORDER BY e.idx, c.field", (int(page_id),))
        entries = {int(r["id"]): int(r["idx"]) for r in self._query(
            "SELECT id, idx FROM entries WHERE page_id = ?", (int(page_id),))}
        wanted = [(eid, "") for eid in entries] + [
            (int(r["entry_id"]), r["field"]) for r in rows if r["field"]]
        for entry_id, field in wanted:
            target = cache_file(self.path, page_id, entries[entry_id], field)
            if target.is_file():
                continue
            try:
                image = self.crop_image(entry_id, field, cached=False)
            except WorkspaceError:
                continue
            write_atomic(target, encode_crop(image, ".jpg", view=True))
            written += 1
        self._bound(page_id)
        return written

    def _bound(self, page_id: int) -> None:
        n_pages = int(self._query("SELECT COUNT(*) FROM pages")[0][0])
        bound_cache(self.path, n_pages, keep=int(page_id))

    def crop_image(self, entry_id: int, field: str = "", cached: bool = True) -> np.ndarray:
        """The entry's row (``field=""``, colour) or one field's cell (grey), as uint8.

        With ``cached``, a kept or cached file is used when there is one. Otherwise the crop is
        cut from the page: a row by the entry's quad (deskewed, as ``process`` cut it); a
        cell by its quad on the page, red ink faded and ruling removed exactly as
        ``preprocessing.crops.field_crops`` made it for the recogniser (cells stored before
        quads were kept: their box as an upright rectangle).
        """
        import cv2

        row = self._crop_row(entry_id, field)
        kept, cache = self._files_of(entry_id, field)
        # a cell stored without its box on the page: the kept file is the crop, cached or not
        files = (kept, cache) if cached else (kept,) if field and not (row and row["quad"]) \
            else ()
        for path in files:
            data = np.fromfile(str(path), np.uint8) if path and path.is_file() else None
            img = cv2.imdecode(data, cv2.IMREAD_COLOR if not field else
                               cv2.IMREAD_GRAYSCALE) if data is not None and data.size else None
            if img is not None:
                return cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if img.ndim == 3 else img
        entry = self._read(lambda c: self._entry_row(c, entry_id))
        if field and row is not None and row["quad"]:
            from preprocessing.clean import remove_ruling
            from preprocessing.crops import warp_quad

            grey = self._page_pixels(entry, grey=True)
            quad = tuple(tuple(p) for p in json.loads(row["quad"]))
            return remove_ruling(warp_quad(grey, quad, float(row["margin"] or 0.0)))
        image = self._page_pixels(entry)
        quad = _row_quad(entry) if not field else None
        if quad is not None and (entry["quad"] or row is None or row["bbox"] is None):
            # the row by its quad, or for a row stored without one by its box as a quad, cut
            # as process cuts rows (the screen's field outline, review_ui.logic._box_in,
            # counts on that frame)
            from preprocessing.crops import ROW_MARGIN, warp_quad

            return warp_quad(image, quad, ROW_MARGIN)
        box = bbox_from_json(row["bbox"]) if row is not None else None
        if box is None:
            if field:
                raise WorkspaceError(f"{self.path}: entry {entry_id} has no box for {field!r}")
            box = (entry["x0"], entry["y0"], entry["x1"], entry["y1"])
        x0, y0, x1, y1 = (int(v) for v in box)
        out = np.ascontiguousarray(image[max(0, y0):max(0, y1), max(0, x0):max(0, x1)])
        if out.size == 0:
            raise WorkspaceError(f"{self.path}: entry {entry_id} box {box} is empty")
        return cv2.cvtColor(out, cv2.COLOR_RGB2GRAY) if field else out

    def _page_pixels(self, entry: sqlite3.Row, grey: bool = False) -> np.ndarray:
        """The entry's page decoded (colour; or grey with red ink faded), from memory when a
        recent call decoded it."""
        from sohoa.imageio import ImageError, decode_page

        page = self._query("SELECT * FROM pages WHERE id = ?", (entry["page_id"],))[0]
        page_path = self.page_path(page["sha256"])  # type: ignore[attr-defined]

        if not page_path.is_file():  # gone since it was decoded: nothing to cut from
            raise WorkspaceError(f"{page_path}: entry {entry['id']} has no cached crop and its"
                                 " page image is missing")

        def load() -> np.ndarray:
            try:
                return decode_page(page_path.read_bytes(), page["width"], page["height"])
            except (OSError, ImageError) as exc:
                raise WorkspaceError(f"{page_path}: entry {entry['id']} has no cached crop and"
                                     f" its page image cannot be read ({exc})") from exc

        return self._decoded_pages().get(page["sha256"], load, grey=grey)


def _row_quad(entry: sqlite3.Row) -> tuple[tuple[float, float], ...] | None:
    """An entries row's quad on its page, or its box as an upright quad; None without either."""
    if entry["quad"]:
        return tuple((float(x), float(y)) for x, y in json.loads(entry["quad"]))
    x0, y0, x1, y1 = (float(entry[k]) for k in ("x0", "y0", "x1", "y1"))
    if x1 <= x0 or y1 <= y0:
        return None
    from preprocessing.crops import box_quad

    return box_quad((x0, y0, x1, y1))
