"""Approver and dashboard logic as plain functions: progress per book, commune and clerk,
confirmations per hour from the audit log, a book's validation report and open problems,
approving a book and sending entries back. No Gradio here."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from review_ui.fieldhelp import Issue
from review_ui.logic import REVIEW_ROLES, book_label, user_role
from sohoa.errors import SohoaError
from sohoa.records import EntryStatus
from sohoa.template import Template

log = logging.getLogger(__name__)

OPEN = (EntryStatus.DETECTED, EntryStatus.PREFILLED)
DONE = (EntryStatus.CONFIRMED, EntryStatus.APPROVED, EntryStatus.EXPORTED)


class NotAllowed(SohoaError, PermissionError):
    """The user's role may not do this (approving and sending back need approver/admin)."""


@dataclass(frozen=True)
class Progress:
    """Entry counts of one book, commune or clerk."""

    key: str
    commune: str
    total: int
    open: int
    confirmed: int
    approved: int  # approved or exported
    book_id: int | None = None

    @property
    def pct_done(self) -> float:
        return 100.0 * (self.confirmed + self.approved) / self.total if self.total else 0.0


@dataclass(frozen=True)
class ClerkCount:
    user: str
    confirmed: int
    corrected_fields: int
    first_at: str
    last_at: str


@dataclass(frozen=True)
class HourCount:
    hour: str  # "2026-11-30 14:00" (UTC)
    user: str
    confirmed: int


def book_progress(ws: Any) -> list[Progress]:
    """One :class:`Progress` per book, in the store's book order."""
    out = []
    for b in ws.books():
        c = ws.count_by_status(b.id)
        total = sum(c.values())
        out.append(Progress(
            key=book_label(b), commune=b.commune, total=total,
            open=sum(c.get(str(s), 0) for s in OPEN),
            confirmed=c.get(str(EntryStatus.CONFIRMED), 0),
            approved=c.get(str(EntryStatus.APPROVED), 0) + c.get(str(EntryStatus.EXPORTED), 0),
            book_id=b.id))
    return out


def commune_progress(books: list[Progress]) -> list[Progress]:
    """Books summed per commune."""
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for p in books:
        a = acc[p.commune]
        for i, v in enumerate((p.total, p.open, p.confirmed, p.approved)):
            a[i] += v
    return [Progress(k, k, *v) for k, v in sorted(acc.items())]


def clerk_counts(ws: Any, book_id: int | None = None) -> list[ClerkCount]:
    """Per clerk: entries confirmed (audit ``confirm`` rows), fields corrected, first/last."""
    conf: Counter[str] = Counter()
    fixes: Counter[str] = Counter()
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for r in ws.audit(book_id=book_id):
        if r.action == "confirm":
            conf[r.user] += 1
            first.setdefault(r.user, r.at)
            last[r.user] = r.at
        elif r.action == "correct":
            fixes[r.user] += 1
    return [ClerkCount(u, conf[u], fixes[u], first[u], last[u]) for u in sorted(conf)]


def per_hour(ws: Any, book_id: int | None = None) -> list[HourCount]:
    """Confirmations per clerk per clock hour (UTC), oldest first, from the audit log."""
    acc: Counter[tuple[str, str]] = Counter()
    for r in ws.audit(book_id=book_id):
        if r.action == "confirm":
            acc[(f"{r.at[:10]} {r.at[11:13]}:00", r.user)] += 1
    return [HourCount(h, u, n) for (h, u), n in sorted(acc.items())]


def book_report(ws: Any, book_id: int) -> list[Issue]:
    """Validation of a whole book (every entry alone and across entries: duplicates, gaps),
    the silent blanks (a written cell left empty, an error), and one warning per field marked
    illegible; sorted by entry."""
    from review_ui.fieldhelp import plain_message
    from review_ui.logic import inked_blanks
    from sohoa.validate import ink_blank_rules, validate_book

    book = ws.book(book_id)
    tpl = Template.for_book(book)
    views = [ws.entry_view(e.id) for e in ws.entries(book_id)]
    raw = validate_book([(v.entry.id, v.values) for v in views], book, tpl)
    for v in views:
        raw += ink_blank_rules(v.values, inked_blanks(v, v.values), v.illegible, v.entry.id)
    out = [Issue(r.field or "", str(r.severity), plain_message(r.message), r.entry_id)
           for r in raw]
    for v in views:
        for f in sorted(v.illegible):
            out.append(Issue(f, "warning", ILLEGIBLE, v.entry.id))
        if v.note and str(v.entry.status) in {str(s) for s in OPEN}:
            out.append(Issue("", "warning", f"{SENT_BACK}: {v.note}", v.entry.id))
    return sorted(out, key=lambda i: (i.entry_id or 0, i.severity != "error", i.field))


ILLEGIBLE = "không đọc được"
SENT_BACK = "đã trả lại"


def field_labels(ws: Any, book_id: int) -> dict[str, str]:
    """158 column name -> the register's label (``nksNgaySinh`` -> ``Ngày sinh``)."""
    return {f.name: f.label for f in Template.for_book(ws.book(book_id)).fields}


@dataclass(frozen=True)
class ApproveOutcome:
    approved: int
    still_open: int
    blocking: tuple[Issue, ...] = ()  # errors that stopped the approval (nothing approved)


def approval_blockers(ws: Any, book_id: int) -> list[Issue]:
    """Errors that approving would lock in: those of confirmed entries and of the whole book."""
    confirmed = {int(e.id) for e in ws.entries(book_id, status=[EntryStatus.CONFIRMED])}
    return [i for i in book_report(ws, book_id) if i.severity == "error"
            and (i.entry_id is None or int(i.entry_id) in confirmed)]


def _need_approver(ws: Any, user: str) -> None:
    if user_role(ws, user) not in REVIEW_ROLES:
        raise NotAllowed(f"{user} may not approve or send back")


def approve(ws: Any, user: str, book_id: int, force: bool = False) -> ApproveOutcome:
    """Approve (lock) every confirmed entry of the book; says how many are still open.

    Errors block: while a confirmed entry (or the book) has a blocking error, nothing is
    approved and the errors come back to be shown; ``force`` approves anyway (the approver
    was shown the list and said yes)."""
    _need_approver(ws, user)
    c = ws.count_by_status(book_id)
    if not force:
        blockers = approval_blockers(ws, book_id)
        if blockers:
            return ApproveOutcome(0, sum(c.get(str(s), 0) for s in OPEN), tuple(blockers))
    n = ws.approve_book(book_id, user)
    c = ws.count_by_status(book_id)
    log.info("%s approved %d entries of book %s", user, n, book_id)
    return ApproveOutcome(n, sum(c.get(str(s), 0) for s in OPEN))


def parse_ids(text: str) -> list[int]:
    """Entry ids from ``"12, 15 17"``; anything else is ignored."""
    out = []
    for part in text.replace(",", " ").replace(";", " ").split():
        if part.lstrip("#").isdigit():
            out.append(int(part.lstrip("#")))
    return out


def send_back(ws: Any, user: str, entry_ids: list[int], note: str) -> int:
    """Send confirmed/approved entries back to the clerks with a note; returns how many."""
    from sohoa.store import WorkspaceError

    _need_approver(ws, user)
    n = 0
    for eid in entry_ids:
        try:
            ws.send_back(eid, user, note)
            n += 1
        except WorkspaceError as exc:
            log.warning("send back of entry %s refused: %s", eid, exc)
    return n
