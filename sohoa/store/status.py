"""How far a workspace is: books, pages, pages needing attention, entries per status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sohoa.store import Workspace
from sohoa.store.schema import STATUSES


@dataclass(frozen=True)
class BookStatus:
    id: int
    type: str
    year: int
    volume: str
    commune: str
    pages: int
    pages_by_state: dict[str, int]
    entries: dict[str, int]  # status -> count, every status present
    needs_attention: int  # pages in state needs_attention or failed


@dataclass(frozen=True)
class WorkspaceStatus:
    path: str
    books: list[BookStatus]

    @property
    def pages(self) -> int:
        return sum(b.pages for b in self.books)

    @property
    def entries(self) -> dict[str, int]:
        return {s: sum(b.entries[s] for b in self.books) for s in STATUSES}

    def to_dict(self) -> dict[str, Any]:
        """The ``sohoa status --json`` shape (kept stable for scripts)."""
        return {
            "workspace": self.path,
            "books": len(self.books),
            "pages": self.pages,
            "needs_attention": sum(b.needs_attention for b in self.books),
            "entries": self.entries,
            "by_book": [
                {"id": b.id, "type": b.type, "year": b.year, "volume": b.volume,
                 "commune": b.commune, "pages": b.pages, "pages_by_state": b.pages_by_state,
                 "entries": b.entries, "needs_attention": b.needs_attention}
                for b in self.books
            ],
        }


def workspace_status(ws: Workspace) -> WorkspaceStatus:
    states: dict[int, dict[str, int]] = {}
    for row in ws._query("SELECT book_id, state, COUNT(*) FROM pages GROUP BY book_id, state"):
        states.setdefault(int(row[0]), {})[str(row[1])] = int(row[2])
    books = []
    for b in ws.books():
        by_state = states.get(b.id or 0, {})
        books.append(BookStatus(
            id=b.id or 0, type=str(b.register_type), year=b.year, volume=b.volume,
            commune=b.commune, pages=sum(by_state.values()), pages_by_state=by_state,
            entries=ws.count_by_status(b.id),
            needs_attention=by_state.get("needs_attention", 0) + by_state.get("failed", 0),
        ))
    return WorkspaceStatus(str(ws.path), books)


def format_status(status: WorkspaceStatus) -> str:
    """A plain-text table, one row per book and a total row."""
    head = ["book", "type", "volume", "commune", "pages", "attention", *STATUSES]
    rows = [[str(b.id), b.type, b.volume, b.commune, str(b.pages), str(b.needs_attention),
             *(str(b.entries[s]) for s in STATUSES)] for b in status.books]
    total = status.entries
    n_books = len(status.books)
    rows.append(["total", "", "", f"{n_books} book" + ("s" * (n_books != 1)), str(status.pages),
                 str(sum(b.needs_attention for b in status.books)),
                 *(str(total[s]) for s in STATUSES)])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 4 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    return f"workspace {status.path}\n" + "\n".join(lines)


def format_originals(rows: list[dict[str, Any]]) -> str:
    """The files received, one line each: book, pages kept, size, sha256, name (escaped)."""
    from sohoa.ingest import printable

    if not rows:
        return "\nno originals recorded (pages ingested before sohoa kept their hashes)"
    lines = ["", "originals as received (sha256 of each file):",
             "book  pages        bytes  sha256                                                "
             "            file"]
    for r in rows:
        lines.append(f"{r['book_id']:>4}  {r['pages']:>5}  {r['bytes']:>11}  {r['sha256']}"
                     f"  {printable(r['path'])}")
    return "\n".join(lines)
