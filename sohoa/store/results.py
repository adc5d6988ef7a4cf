"""Saving one page's processing result: entries, readings and crops, idempotently.

Crops are written to disk first (atomic rename), then all rows in one transaction, so a killed
run leaves at most orphan files, never entries without their crops or half a page. Entries a
person has worked on (confirmed or later, any stored value, a note) are never touched.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sohoa.records import Entry, EntryStatus, Page
from sohoa.store.base import StoreBase, bbox_json
from sohoa.store.crop_cache import cache_file
from sohoa.store.files import encode_crop, write_atomic
from sohoa.store.types import EntryResult, utc_now

_HUMAN = ("confirmed", "approved", "exported")


class ResultsMixin(StoreBase):
    """``save_page_result`` of :class:`sohoa.store.Workspace`."""

    # -- processing results ------------------------------------------------------------------
    def crop_path(self, page_id: int, index: int, field: str = "") -> Path:
        """Where a kept cell crop lives (cells read as empty; entry rows of older workspaces):
        entry rows as JPEG, field cells as WebP."""
        name = f"e{index}.jpg" if not field else f"e{index}_{field}.webp"
        return self.path / "crops" / str(page_id) / name

    def save_page_result(
        self, page_id: int, angle: float, results: list[EntryResult]
    ) -> list[int]:
        """Store one page's entries in one transaction; returns their ids in ``results`` order.

        Idempotent: re-running a page replaces its machine-only entries (detected/prefilled with
        no human value) and never touches entries a person has worked on.

        Rows and cells are boxes on the page (``crop_image`` cuts them); a cell's crop is kept
        as a file only when the recogniser read nothing there (the review screen looks for
        ink in it) or when its box on the page is unknown (no ``field_quads``).
        """
        page = self.page(page_id)  # type: ignore[attr-defined]
        protected = self._protected_indexes(page_id)
        for res in results:  # files first: a killed run leaves orphan files, never bad rows
            if res.index in protected:
                continue
            for name in _kept_cells(res):
                path = self.crop_path(page_id, res.index, name)
                write_atomic(path, encode_crop(res.field_crops[name], path.suffix))
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
            old_quads: dict[str, tuple[str, float]] = {}
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
                old_quads = {r["field"]: (r["quad"], r["margin"]) for r in c.execute(
                    "SELECT field, quad, margin FROM crops WHERE entry_id = ? AND quad IS NOT"
                    " NULL", (entry_id,))}
                c.execute("DELETE FROM crops WHERE entry_id = ?", (entry_id,))
            self._insert_details(c, page.id or 0, entry_id, res, old_quads)
            ids.append(entry_id)
        c.execute(
            "UPDATE pages SET angle = ?, state = 'processed', message = '' WHERE id = ?",
            (angle, page.id),
        )
        return ids

    def _insert_details(
        self, c: sqlite3.Connection, page_id: int, entry_id: int, res: EntryResult,
        old_quads: dict[str, tuple[str, float]] | None = None,
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
        if res.entry_crop is not None:  # the row: a box on the page, cut when shown
            path = cache_file(rel, page_id, res.index).relative_to(rel)
            c.execute(
                "INSERT INTO crops (entry_id, field, path, bbox) VALUES (?, '', ?, ?)",
                (entry_id, str(path), bbox_json(res.bbox)),
            )
        kept = set(_kept_cells(res))
        old_quads = old_quads or {}
        for name in sorted(set(res.field_crops) | set(res.field_boxes)):
            path_s = (str(self.crop_path(page_id, res.index, name).relative_to(rel))
                      if name in kept else "")
            quad, margin = None, None
            if name in res.field_quads:
                q, m = res.field_quads[name]
                quad, margin = json.dumps([[float(x), float(y)] for x, y in q]), float(m)
            elif name in old_quads:  # a re-read of the same cells (sohoa adapt)
                quad, margin = old_quads[name]
            c.execute(
                "INSERT INTO crops (entry_id, field, path, bbox, quad, margin)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (entry_id, name, path_s, bbox_json(res.field_boxes.get(name)), quad, margin),
            )


def _kept_cells(res: EntryResult) -> list[str]:
    """The cells whose crop is kept as a file: read as empty, or with no box on the page."""
    read = {r.field for r in res.readings if r.text}
    return [n for n in res.field_crops if n not in read or n not in res.field_quads]
