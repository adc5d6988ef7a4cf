"""The store's side of per-book writer adaptation (:mod:`sohoa.adapt`): the ``adaptations``
table (one row per attempt, kept or not), the entries a book model may read again (machine
readings only, nothing a clerk touched) and the audit rows of both, each in one transaction."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sohoa.store.review import ReviewMixin

# entries of a page that hold machine readings only: never one a clerk confirmed, edited,
# noted or holds
_MACHINE_ONLY = ("SELECT id, idx, quad, claimed_by, claim_until FROM entries e WHERE page_id = ?"
                 " AND status IN ('detected', 'prefilled') AND note = '' AND NOT EXISTS"
                 " (SELECT 1 FROM \"values\" v WHERE v.entry_id = e.id) ORDER BY idx")


class AdaptationsMixin(ReviewMixin):
    """:meth:`record_adaptation`, :meth:`adaptations`, :meth:`machine_only_entries`,
    :meth:`record_reread` of the workspace."""

    def record_adaptation(self, card: dict[str, Any], path: str, crops_train: int,
                          crops_held_out: int) -> None:
        """One ``adaptations`` row and one ``adapt`` audit row (a summary of ``card``, the
        version's card.json) in one transaction."""
        summary = json.dumps({k: card[k] for k in ("version", "kept", "reason", "base_model",
                                                  "crops_train", "crops_held_out",
                                                  "cer_base", "cer_candidate")},
                             ensure_ascii=False)

        def tx(c: sqlite3.Connection) -> None:
            c.execute("INSERT INTO adaptations (book_id, version, path, base_model, kept,"
                      " confirmed, crops_train, crops_held_out, cer_before, cer_after, by_user,"
                      " at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                      (card["book_id"], card["version"], path, card["base_model"],
                       int(card["kept"]), card["confirmed_entries"], crops_train,
                       crops_held_out, card["cer_base"], card["cer_candidate"], card["by"],
                       card["created"]))
            self._audit(c, card["by"], "adapt", book_id=card["book_id"], field="model",
                        new=summary, at=card["created"])

        self._write(tx)

    def adaptations(self, book_id: int | None = None) -> list[dict[str, Any]]:
        """The recorded attempts (of one book, or all), oldest first."""
        sql = "SELECT * FROM adaptations" + (" WHERE book_id = ?" if book_id is not None else "")
        rows = self._query(sql + " ORDER BY id", (book_id,) if book_id is not None else ())
        return [dict(r) for r in rows]

    def machine_only_entries(self, page_id: int) -> list[sqlite3.Row]:
        """The page's entries that hold machine readings only (id, idx, quad, claimed_by,
        claim_until), in page order."""
        return self._query(_MACHINE_ONLY, (page_id,))

    def record_reread(self, user: str, book_id: int, summary: dict[str, Any],
                      version: str = "") -> None:
        """The ``reread`` audit row (``summary`` as JSON) and, for a book-model ``version``,
        its count of entries read again, in one transaction."""

        def tx(c: sqlite3.Connection) -> None:
            self._audit(c, user, "reread", book_id=book_id, field="model",
                        new=json.dumps(summary, ensure_ascii=False))
            if version:
                c.execute("UPDATE adaptations SET reread = reread + ? WHERE book_id = ?"
                          " AND version = ?", (int(summary.get("entries", 0)), book_id, version))

        self._write(tx)
