"""Review moves of the workspace: claims, confirm, send back, approve, status changes, audit.

Each move is one transaction that also appends audit rows (who, when, field, old, new, the
engine's original). Status only moves forward (detected -> prefilled -> confirmed -> approved ->
exported); the one way back is :meth:`send_back`, which writes its own audit row. Every change
bumps the entry's version, so a clerk holding an older view gets :class:`StaleVersion`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from sohoa.records import EntryStatus, nfc
from sohoa.store.base import StoreBase
from sohoa.store.types import AuditRow, EntryLocked, StaleVersion, WorkspaceError, utc_now

log = logging.getLogger(__name__)

_LOCKED = (EntryStatus.APPROVED, EntryStatus.EXPORTED)


class ReviewMixin(StoreBase):
    """Review and audit methods of :class:`sohoa.store.Workspace`."""

    def _audit(
        self, c: sqlite3.Connection, user: str, action: str, *, entry_id: int | None = None,
        book_id: int | None = None, field: str | None = None, old: str | None = None,
        new: str | None = None, original: str | None = None, at: str | None = None,
    ) -> None:
        c.execute(
            "INSERT INTO audit (at, user, action, book_id, entry_id, field, old, new, original)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (at or utc_now(), user, action, book_id, entry_id, field, old, new, original),
        )

    # -- claims ------------------------------------------------------------------------------
    def claim_next(
        self, user: str, book_id: int | None = None, lease_s: int = 600,
        exclude: Iterable[int] = (),
    ) -> int | None:
        """Claim the next prefilled entry nobody else holds (or whose lease ran out).

        A user who already holds a live claim gets that entry back, so a reload does not
        strand it; ``exclude`` skips entries (a "skip" button). Two users never get the same
        entry: the pick and the claim are one ``BEGIN IMMEDIATE`` transaction.
        """
        skip = [int(i) for i in exclude]

        def tx(c: sqlite3.Connection) -> int | None:
            now = time.time()
            scope, params = "", [str(EntryStatus.PREFILLED), user, now]
            if book_id is not None:
                scope, params = " AND p.book_id = ?", [*params, int(book_id)]
            if skip:
                scope += f" AND e.id NOT IN ({','.join('?' * len(skip))})"
                params = [*params, *skip]
            row = c.execute(
                "SELECT e.id FROM entries e JOIN pages p ON p.id = e.page_id"
                " WHERE e.status = ? AND (e.claimed_by IS NULL OR e.claimed_by = ?"
                " OR e.claim_until <= ?)" + scope +
                " ORDER BY (e.claimed_by IS NOT NULL AND e.claimed_by = ?) DESC,"
                " p.book_id, p.page_no, e.idx LIMIT 1",
                (*params, user),
            ).fetchone()
            if row is None:
                return None
            c.execute(
                "UPDATE entries SET claimed_by = ?, claim_until = ? WHERE id = ?",
                (user, now + max(0, lease_s), row[0]),
            )
            return int(row[0])

        return self._write(tx)

    def release(self, entry_id: int, user: str) -> None:
        """Give back ``user``'s claim on the entry (no-op if someone else holds it)."""
        self._write(lambda c: c.execute(
            "UPDATE entries SET claimed_by = NULL, claim_until = NULL"
            " WHERE id = ? AND claimed_by = ?", (int(entry_id), user)))

    # -- confirm -----------------------------------------------------------------------------
    def confirm(
        self, entry_id: int, user: str, values: dict[str, str], version: int,
        illegible: Iterable[str] = frozenset(),
    ) -> int:
        """Save a clerk's values for an entry and mark it confirmed; returns the new version.

        Raises :class:`StaleVersion` if the entry changed since ``version`` was read and
        :class:`EntryLocked` if it is approved or exported. One audit row per changed field
        (``correct``, or ``illegible``), plus one ``confirm`` row for the status.
        """
        marks = frozenset(illegible)

        def tx(c: sqlite3.Connection) -> int:
            row, status, book_id, now = self._editable(c, entry_id, version)
            self._write_values(c, entry_id, book_id, user, values, marks, now)
            self._audit(c, user, "confirm", entry_id=entry_id, book_id=book_id,
                        old=str(status), new=str(EntryStatus.CONFIRMED), at=now)
            c.execute(
                "UPDATE entries SET status = ?, version = version + 1, confirmed_by = ?,"
                " confirmed_at = ?, claimed_by = NULL, claim_until = NULL, updated_at = ?"
                " WHERE id = ?",
                (str(EntryStatus.CONFIRMED), user, now, now, entry_id),
            )
            return int(row["version"]) + 1

        return self._write(tx)

    def correct(self, entry_id: int, user: str, values: dict[str, str], version: int) -> int:
        """Save corrected values of some fields without changing the entry's status (the field
        sweep checks one field across entries that may not be confirmed yet); audited and
        version-checked like :meth:`confirm`. Returns the new version."""

        def tx(c: sqlite3.Connection) -> int:
            row, _status, book_id, now = self._editable(c, entry_id, version)
            keep = self._current_marks(c, entry_id)
            self._write_values(c, entry_id, book_id, user, values, keep, now, clear=False)
            c.execute("UPDATE entries SET version = version + 1, updated_at = ? WHERE id = ?",
                      (now, entry_id))
            return int(row["version"]) + 1

        return self._write(tx)

    def _editable(self, c: sqlite3.Connection, entry_id: int, version: int):  # type: ignore[no-untyped-def]
        row = self._entry_row(c, entry_id)
        status = EntryStatus(row["status"])
        if status in _LOCKED:
            raise EntryLocked(f"entry {entry_id} is {status}; send it back first")
        if int(row["version"]) != int(version):
            raise StaleVersion(int(entry_id), int(version), int(row["version"]))
        return row, status, int(row["book_id"]), utc_now()

    @staticmethod
    def _current_marks(c: sqlite3.Connection, entry_id: int) -> frozenset[str]:
        return frozenset(r[0] for r in c.execute(
            'SELECT field FROM "values" WHERE entry_id = ? AND illegible = 1', (entry_id,)))

    def _write_values(
        self, c: sqlite3.Connection, entry_id: int, book_id: int, user: str,
        values: dict[str, str], marks: frozenset[str], now: str, clear: bool = True,
    ) -> None:
        """Store ``values`` and illegible ``marks``: one audit row per changed field
        (``correct`` or ``illegible``); with ``clear``, marks not given are cleared."""
        readings = {
            r["field"]: (r["text"], r["value"]) for r in c.execute(
                "SELECT field, text, value FROM readings WHERE entry_id = ?", (entry_id,))
        }
        current = {f: (v, False) for f, (_, v) in readings.items()}
        for r in c.execute('SELECT * FROM "values" WHERE entry_id = ?', (entry_id,)):
            current[r["field"]] = (r["value"], bool(r["illegible"]))
        for field in sorted(set(values) | (marks if clear else frozenset())):
            old, old_flag = current.get(field, ("", False))
            new = nfc(str(values.get(field, old))).strip()
            flag = field in marks
            original = readings.get(field, (None, None))[0]
            if new != old:
                self._audit(c, user, "correct", entry_id=entry_id, book_id=book_id,
                            field=field, old=old, new=new, original=original, at=now)
            if flag != old_flag:
                self._audit(c, user, "illegible", entry_id=entry_id, book_id=book_id,
                            field=field, old=str(int(old_flag)), new=str(int(flag)),
                            original=original, at=now)
            c.execute(
                'INSERT OR REPLACE INTO "values" (entry_id, field, value, illegible, by_user,'
                " at) VALUES (?,?,?,?,?,?)", (entry_id, field, new, int(flag), user, now),
            )
        if not clear:
            return
        for field, (_, old_flag) in current.items():  # flags the clerk cleared implicitly
            if old_flag and field not in marks and field not in values:
                c.execute('UPDATE "values" SET illegible = 0 WHERE entry_id=? AND field=?',
                          (entry_id, field))
                self._audit(c, user, "illegible", entry_id=entry_id, book_id=book_id,
                            field=field, old="1", new="0", at=now)

    # -- status moves ------------------------------------------------------------------------
    def send_back(self, entry_id: int, user: str, note: str) -> int:
        """Move a confirmed/approved/exported entry back to prefilled with a note (audited).

        The clerk's values are kept; returns the new version.
        """
        note = nfc(note).strip()
        if not note:
            raise WorkspaceError("send_back needs a note saying what to fix")

        def tx(c: sqlite3.Connection) -> int:
            row = self._entry_row(c, entry_id)
            status = EntryStatus(row["status"])
            if status.rank < EntryStatus.CONFIRMED.rank:
                raise WorkspaceError(f"entry {entry_id} is {status}; nothing to send back")
            now = utc_now()
            self._audit(c, user, "send_back", entry_id=entry_id, book_id=int(row["book_id"]),
                        field="note", old=str(status), new=note, at=now)
            c.execute(
                "UPDATE entries SET status = ?, note = ?, version = version + 1, updated_at = ?"
                " WHERE id = ?", (str(EntryStatus.PREFILLED), note, now, entry_id),
            )
            return int(row["version"]) + 1

        return self._write(tx)

    def approve_book(self, book_id: int, user: str) -> int:
        """Approve (lock) every confirmed entry of the book; returns how many."""
        def tx(c: sqlite3.Connection) -> int:
            self._book_row(c, book_id)
            ids = [int(r[0]) for r in c.execute(
                "SELECT e.id FROM entries e JOIN pages p ON p.id = e.page_id"
                " WHERE p.book_id = ? AND e.status = ?", (book_id, str(EntryStatus.CONFIRMED)))]
            self._move(c, ids, EntryStatus.APPROVED, user, "approve", "")
            return len(ids)

        return self._write(tx)

    def set_status(
        self, entry_ids: Iterable[int], status: str | EntryStatus, user: str, note: str = ""
    ) -> int:
        """Move entries forward to ``status`` (audited); entries already there are skipped.

        Moving backwards raises: that is :meth:`send_back`'s job. Returns how many moved.
        """
        target = EntryStatus(status)
        ids = [int(i) for i in entry_ids]

        def tx(c: sqlite3.Connection) -> int:
            return self._move(c, ids, target, user, "status", note)

        return self._write(tx)

    def _move(
        self, c: sqlite3.Connection, ids: list[int], target: EntryStatus, user: str,
        action: str, note: str,
    ) -> int:
        now, moved = utc_now(), 0
        for entry_id in ids:
            row = self._entry_row(c, entry_id)
            old = EntryStatus(row["status"])
            if old == target:
                continue
            if old.rank > target.rank:
                raise WorkspaceError(
                    f"entry {entry_id}: cannot move {old} -> {target} (backwards); use send_back"
                )
            self._audit(c, user, action, entry_id=entry_id, book_id=int(row["book_id"]),
                        old=str(old), new=str(target), original=note or None, at=now)
            c.execute(
                "UPDATE entries SET status = ?, version = version + 1, updated_at = ?,"
                " claimed_by = NULL, claim_until = NULL WHERE id = ?",
                (str(target), now, entry_id),
            )
            moved += 1
        return moved

    # -- audit -------------------------------------------------------------------------------
    def audit(self, entry_id: int | None = None, book_id: int | None = None) -> list[AuditRow]:
        """Audit rows, oldest first, optionally for one entry and/or one book."""
        where: list[str] = []
        params: list[Any] = []
        if entry_id is not None:
            where.append("entry_id = ?")
            params.append(int(entry_id))
        if book_id is not None:
            where.append("book_id = ?")
            params.append(int(book_id))
        sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "")
        rows: list[Any] = self._query(sql + " ORDER BY id", params)
        return [
            AuditRow(id=r["id"], at=r["at"], user=r["user"], action=r["action"],
                     entry_id=r["entry_id"], field=r["field"], old=r["old"], new=r["new"],
                     original=r["original"], book_id=r["book_id"])
            for r in rows
        ]
