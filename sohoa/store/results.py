"""Saving one page's processing result: entries, readings and crops, idempotently.

Crops are written to disk first (atomic rename), then all rows in one transaction, so a killed
run leaves at most orphan files, never entries without their crops or half a page. Entries a
person has worked on (confirmed or later, any stored value, a note) are never touched.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from sohoa.records import Entry, EntryStatus, Page
from sohoa.store.base import StoreBase, bbox_from_json, bbox_json
from sohoa.store.files import encode_crop, write_atomic
from sohoa.store.types import EntryResult, WorkspaceError, utc_now

_HUMAN = ("confirmed", "approved", "exported")


class ResultsMixin(StoreBase):
    """``save_page_result`` of :class:`sohoa.store.Workspace`."""

    # -- processing results ------------------------------------------------------------------
    def crop_path(self, page_id: int, index: int, field: str = "") -> Path:
        """Where a crop is cached: entry rows as JPEG, field cells as lossless WebP."""
        name = f"e{index}.jpg" if not field else f"e{index}_{field}.webp"
        return self.path / "crops" / str(page_id) / name

    def save_page_result(
        self, page_id: int, angle: float, results: list[EntryResult]
    ) -> list[int]:
        """Store one page's entries in one transaction; returns their ids in ``results`` order.

        Idempotent: re-running a page replaces its machine-only entries (detected/prefilled with
        no human value) and never touches entries a person has worked on.
        """
        page = self.page(page_id)  # type: ignore[attr-defined]
        protected = self._protected_indexes(page_id)
        for res in results:  # files first: a killed run leaves orphan files, never bad rows
            if res.index in protected:
                continue
            # the entry's row is a box on the page, cut when someone looks (crop_image)
            for name, crop in res.field_crops.items():
                path = self.crop_path(page_id, res.index, name)
                write_atomic(path, encode_crop(crop, path.suffix))
        return self._write(lambda c: self._save_rows(c, page, float(angle), results))

    def _protected_indexes(self, page_id: int) -> set[int]:
        rows = self._query(
            "SELECT idx FROM entries e WHERE page_id = ? AND (status IN (?,?,?) OR EXISTS"
            " (SELECT 1 FROM \"values\" v WHERE v.entry_id = e.id) OR note != '')",
            (page_id, *_HUMAN),
        )
        return {int(r[0]) for r in rows}

    def _save_rows(
        self, c: sqlite3.Connection, page: Page, angle: float, results: list[EntryResult]
    ) -> list[int]:
        now = utc_now()
        protected = {
            int(r["idx"]): int(r["id"]) for r in c.execute(
                "SELECT id, idx FROM entries e WHERE page_id = ? AND (status IN (?,?,?) OR EXISTS"
                " (SELECT 1 FROM \"values\" v WHERE v.entry_id = e.id) OR note != '')",
                (page.id, *_HUMAN),
            )
        }
        keep = {r.index for r in results} | set(protected)
        for row in c.execute("SELECT id, idx FROM entries WHERE page_id = ?", (page.id,)):
            if row["idx"] not in keep:  # a re-run found fewer rows: drop machine-only leftovers
                c.execute("DELETE FROM entries WHERE id = ?", (row["id"],))
        ids: list[int] = []
        for res in results:
            if res.index in protected:
                ids.append(protected[res.index])
                continue
            Entry(id=None, page_id=page.id or 0, index=res.index, bbox=res.bbox)  # validates
            status = EntryStatus.PREFILLED if res.readings else EntryStatus.DETECTED
            quad = json.dumps([list(map(int, p)) for p in res.quad]) if res.quad else None
            x0, y0, x1, y1 = (int(v) for v in res.bbox)
            row = c.execute(
                "SELECT id FROM entries WHERE page_id = ? AND idx = ?", (page.id, res.index)
            ).fetchone()
            if row is None:
                cur = c.execute(
                    "INSERT INTO entries (page_id, idx, x0, y0, x1, y1, quad, status, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    (page.id, res.index, x0, y0, x1, y1, quad, str(status), now),
                )
                entry_id = int(cur.lastrowid or 0)
            else:
                entry_id = int(row[0])
                c.execute(
                    "UPDATE entries SET x0=?, y0=?, x1=?, y1=?, quad=?, status=?,"
                    " version=version+1, updated_at=? WHERE id=?",
                    (x0, y0, x1, y1, quad, str(status), now, entry_id),
                )
                c.execute("DELETE FROM readings WHERE entry_id = ?", (entry_id,))
                c.execute("DELETE FROM crops WHERE entry_id = ?", (entry_id,))
            self._insert_details(c, page.id or 0, entry_id, res)
            ids.append(entry_id)
        c.execute(
            "UPDATE pages SET angle = ?, state = 'processed', message = '' WHERE id = ?",
            (angle, page.id),
        )
        return ids

    def _insert_details(
        self, c: sqlite3.Connection, page_id: int, entry_id: int, res: EntryResult
    ) -> None:
        for r in res.readings:
            alts = json.dumps([a.to_dict() for a in r.alternatives], ensure_ascii=False)
            c.execute(
                "INSERT OR REPLACE INTO readings (entry_id, field, text, value, confidence,"
                " engine, bbox, alternatives) VALUES (?,?,?,?,?,?,?,?)",
                (entry_id, r.field, r.text, r.value, r.confidence, r.engine, bbox_json(r.bbox),
                 alts),
            )
        rel = self.path
        if res.entry_crop is not None:
            path = self.crop_path(page_id, res.index).relative_to(rel)
            c.execute(
                "INSERT INTO crops (entry_id, field, path, bbox) VALUES (?, '', ?, ?)",
                (entry_id, str(path), bbox_json(res.bbox)),
            )
        for name in sorted(set(res.field_crops) | set(res.field_boxes)):
            path_s = (
                str(self.crop_path(page_id, res.index, name).relative_to(rel))
                if name in res.field_crops else ""
            )
            c.execute(
                "INSERT INTO crops (entry_id, field, path, bbox) VALUES (?, ?, ?, ?)",
                (entry_id, name, path_s, bbox_json(res.field_boxes.get(name))),
            )


class CropsMixin(StoreBase):
    """:meth:`crop_image`: the one place that turns (page, box) into a crop image."""

    def _row_crop_path(self, entry_id: int) -> Path:
        rows = self._query("SELECT path FROM crops WHERE entry_id = ? AND field = ''",
                           (int(entry_id),))
        return (self.path / rows[0]["path"]) if rows and rows[0]["path"] else \
            self.path / "crops" / "entries" / f"{int(entry_id)}.jpg"

    def entry_crop_file(self, entry_id: int) -> Path | None:
        """The entry's row as an image file for a screen to show: the cached JPEG, cut from
        the page and cached on first use; None when neither exists. The first row of a page
        to be shown caches the page's other rows too: the page is decoded once, not once per
        clerk's thread (20 clerks on a 300-dpi book decoded a page per entry)."""
        path = self._row_crop_path(entry_id)
        if path.is_file():
            return path
        try:
            image = self.crop_image(entry_id)
        except WorkspaceError:
            return None
        write_atomic(path, encode_crop(image, ".jpg"))
        rows = self._query("SELECT id FROM entries WHERE page_id = (SELECT page_id FROM entries"
                           " WHERE id = ?) AND id != ?", (int(entry_id), int(entry_id)))
        for other in (int(r["id"]) for r in rows):
            other_path = self._row_crop_path(other)
            if other_path.is_file():
                continue
            try:  # the page is decoded already (crop_image keeps it): cutting is cheap
                write_atomic(other_path, encode_crop(self.crop_image(other), ".jpg"))
            except WorkspaceError:
                continue
        return path

    def crop_image(self, entry_id: int, field: str = "", cached: bool = True) -> np.ndarray:
        """The entry's row (``field=""``, colour) or one field's cell (grey), as uint8.

        The cached file is used when it is there (and ``cached``); otherwise the crop is cut
        from the page image by the stored box (the entry's quad, deskewed, as ``process`` cut
        it; a field's box as an upright rectangle). Readers (review screen, export) need
        nothing else.
        """
        import cv2

        from sohoa.imageio import ImageError, decode_page

        row = self._query("SELECT path, bbox FROM crops WHERE entry_id = ? AND field = ?",
                          (int(entry_id), field))
        if cached and row and row[0]["path"]:
            cached = self.path / row[0]["path"]
            data = np.fromfile(str(cached), np.uint8) if cached.is_file() else None
            img = cv2.imdecode(data, cv2.IMREAD_COLOR if not field else cv2.IMREAD_GRAYSCALE
                               ) if data is not None and data.size else None
            if img is not None:
                return cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if img.ndim == 3 else img
        entry = self._entry_row(self._conn(), entry_id)
        page = self._query("SELECT * FROM pages WHERE id = ?", (entry["page_id"],))[0]
        page_path = self.page_path(page["sha256"])  # type: ignore[attr-defined]
        last = getattr(self._local, "decoded", None)  # entries come page by page: keep one
        if last is not None and last[0] == page["sha256"] and page_path.is_file():
            image = last[1]
        else:
            try:
                image = decode_page(page_path.read_bytes(), page["width"], page["height"])
            except (OSError, ImageError) as exc:
                raise WorkspaceError(f"{page_path}: entry {entry_id} has no cached crop and"
                                     f" its page image cannot be read ({exc})") from exc
            self._local.decoded = (page["sha256"], image)
        if not field and entry["quad"]:
            from preprocessing.crops import warp_quad

            return warp_quad(image, tuple(map(tuple, json.loads(entry["quad"]))), 0.05)
        box = bbox_from_json(row[0]["bbox"]) if row else None
        if box is None:
            if field:
                raise WorkspaceError(f"{self.path}: entry {entry_id} has no box for {field!r}")
            box = (entry["x0"], entry["y0"], entry["x1"], entry["y1"])
        x0, y0, x1, y1 = (int(v) for v in box)
        out = np.ascontiguousarray(image[max(0, y0):max(0, y1), max(0, x0):max(0, x1)])
        if out.size == 0:
            raise WorkspaceError(f"{self.path}: entry {entry_id} box {box} is empty")
        return cv2.cvtColor(out, cv2.COLOR_RGB2GRAY) if field else out
