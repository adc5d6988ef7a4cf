"""The daily progress report the province asks for: per commune, district and province, how
many books and entries are scanned, prefilled, confirmed, approved and exported, what was done
on day D (from the audit log), against each commune's target and deadline.

Counts "as of D" replay the audit log: an entry's status at the end of D is the target of its
last status move on or before D (local time, Asia/Ho_Chi_Minh by default). Entries are counted
as scanned from the day their page was stored (the page rows' ``created_at``).
"""

from __future__ import annotations

import csv
import logging
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sohoa.errors import SohoaError
from sohoa.export.values import fold
from sohoa.records import EntryStatus

log = logging.getLogger(__name__)

STAGES = ("prefilled", "confirmed", "approved", "exported")
TARGET_KEYS = {"province", "district", "commune", "target_entries", "deadline"}
PACE_DAYS = 7


class ReportError(SohoaError, ValueError):
    """A targets file is malformed; the message names the file, the line and the key."""


@dataclass(frozen=True)
class Target:
    commune: str
    district: str
    province: str
    entries: int
    deadline: date


@dataclass
class Row:
    """One line of the report (a commune, or a district/province subtotal)."""

    level: str  # commune | district | province | total
    province: str
    district: str
    commune: str
    books: int = 0
    pages: int = 0
    scanned: int = 0  # entries found on stored pages
    reached: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    on_day: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        (*STAGES[1:], "sent_back"), 0))
    last_days: int = 0  # entries confirmed in the PACE_DAYS days up to D
    target: int = 0
    deadline: date | None = None

    def add(self, other: Row) -> None:
        self.books += other.books
        self.pages += other.pages
        self.scanned += other.scanned
        self.last_days += other.last_days
        self.target += other.target
        for k in self.reached:
            self.reached[k] += other.reached[k]
        for k in self.on_day:
            self.on_day[k] += other.on_day[k]
        if other.deadline and (self.deadline is None or other.deadline > self.deadline):
            self.deadline = other.deadline

    def assess(self, day: date) -> dict[str, object]:
        """Derived figures: share done, days left, the pace needed and the pace achieved."""
        done = self.reached["confirmed"]
        out: dict[str, object] = {"pct_confirmed": None, "pct_exported": None,
                                  "days_left": None, "need_per_day": None,
                                  "pace_per_day": round(self.last_days / PACE_DAYS, 1),
                                  "state": "—"}
        if self.target:
            out["pct_confirmed"] = round(100 * done / self.target, 1)
            out["pct_exported"] = round(100 * self.reached["exported"] / self.target, 1)
        if self.target and self.deadline:
            left = (self.deadline - day).days
            remaining = max(0, self.target - done)
            out["days_left"] = left
            if remaining == 0:
                out["state"] = "xong"
            elif left < 0:
                out["state"] = "quá hạn"
            else:
                need = remaining / max(1, left)
                out["need_per_day"] = round(need, 1)
                out["state"] = "đúng tiến độ" if self.last_days / PACE_DAYS >= need else "chậm"
        return out


def read_targets(path: Path) -> list[Target]:
    """Targets per commune from CSV (header row) or TOML (``[[commune]]`` tables); see
    docs/export.md for the format. Unknown columns/keys are errors."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            extra = set(data) - {"commune"}
            if extra:
                raise ReportError(f"{path}: unknown tables {sorted(extra)} (use [[commune]])")
            records = [(i + 1, dict(r)) for i, r in enumerate(data.get("commune", []))]
        else:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                records = [(i + 2, dict(r)) for i, r in enumerate(csv.DictReader(fh))]
    except OSError as exc:
        raise ReportError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, csv.Error) as exc:
        raise ReportError(f"{path}: malformed ({exc})") from exc
    return [_target(path, n, r) for n, r in records]


def _target(path: Path, n: int, r: dict) -> Target:
    where = f"{path}, {'line' if path.suffix.lower() != '.toml' else 'commune'} {n}"
    extra = {k for k in r if k is not None} - TARGET_KEYS
    if extra or None in r:
        raise ReportError(f"{where}: unknown columns {sorted(map(str, extra))} "
                          f"(allowed: {', '.join(sorted(TARGET_KEYS))})")
    if not str(r.get("commune") or "").strip():
        raise ReportError(f"{where}: commune is required")
    try:
        entries = int(str(r.get("target_entries", "")).strip())
    except ValueError as exc:
        raise ReportError(f"{where}: target_entries {r.get('target_entries')!r} is not a "
                          "whole number") from exc
    raw = r.get("deadline")
    try:
        deadline = raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())
    except ValueError as exc:
        raise ReportError(f"{where}: deadline {raw!r} is not a date YYYY-MM-DD") from exc
    return Target(str(r["commune"]).strip(), str(r.get("district") or "").strip(),
                  str(r.get("province") or "").strip(), entries, deadline)


def _local_day(stamp: str, tz: ZoneInfo) -> date:
    return datetime.fromisoformat(stamp).astimezone(tz).date()


def _status_moves(ws, book_id: int, tz: ZoneInfo):  # type: ignore[no-untyped-def]
    """entry id -> [(local day, action, old status, new status)], oldest first."""
    moves: dict[int, list[tuple[date, str, str, str]]] = defaultdict(list)
    statuses = {str(s) for s in EntryStatus}
    for a in ws.audit(book_id=book_id):
        if a.entry_id is None:
            continue
        if a.action == "send_back":
            moves[a.entry_id].append((_local_day(a.at, tz), a.action, a.old or "",
                                      str(EntryStatus.PREFILLED)))
        elif a.new in statuses and a.old in statuses:
            moves[a.entry_id].append((_local_day(a.at, tz), a.action, a.old, a.new))
    return moves


def _commune_row(ws, books, day: date, tz: ZoneInfo) -> Row:  # type: ignore[no-untyped-def]
    b0 = books[0]
    row = Row("commune", b0.province, b0.district, b0.commune)
    since = day - timedelta(days=PACE_DAYS - 1)
    for book in books:
        pages = {p.id: p for p in ws.pages(book.id)}
        stored = _page_days(ws, book.id, tz)
        present = [e for e in ws.entries(book_id=book.id)
                   if stored.get(e.page_id, day) <= day]
        if not present:
            continue
        row.books += 1
        row.pages += sum(1 for pid in pages if stored.get(pid, day) <= day)
        moves = _status_moves(ws, book.id, tz)
        for e in present:
            history = moves.get(e.id, [])
            status = str(e.status)
            past = [m for m in history if m[0] <= day]
            if past:
                status = past[-1][3]
            elif history:
                status = history[0][2]
            row.scanned += 1
            rank = EntryStatus(status).rank
            for stage in STAGES:
                if rank >= EntryStatus(stage).rank:
                    row.reached[stage] += 1
            for d, action, _old, new in history:
                if d == day:
                    key = "sent_back" if action == "send_back" else new
                    if key in row.on_day:
                        row.on_day[key] += 1
                if new == "confirmed" and since <= d <= day:
                    row.last_days += 1
    return row


def _page_days(ws, book_id: int, tz: ZoneInfo) -> dict[int, date]:  # type: ignore[no-untyped-def]
    """Page id -> local day it was stored (``Page.created_at``)."""
    return {p.id: _local_day(p.created_at, tz) for p in ws.pages(book_id)
            if p.id is not None and p.created_at}


def build_report(ws, day: date, targets: list[Target] | None = None,  # type: ignore[no-untyped-def]
                 tz: str = "Asia/Ho_Chi_Minh") -> list[Row]:
    """Rows ordered province > district > commune, each group followed by its subtotal, and a
    final total. Communes with a target but no book yet appear with zeros."""
    zone = ZoneInfo(tz)
    by_commune: dict[tuple[str, str, str], list] = defaultdict(list)
    for b in ws.books():
        by_commune[(fold(b.province), fold(b.district), fold(b.commune))].append(b)
    rows = {k: _commune_row(ws, v, day, zone) for k, v in sorted(by_commune.items())}
    for t in targets or []:
        key = next((k for k in rows if k[2] == fold(t.commune)
                    and (not t.district or k[1] == fold(t.district))
                    and (not t.province or k[0] == fold(t.province))), None)
        if key is None:
            key = (fold(t.province), fold(t.district), fold(t.commune))
            rows[key] = Row("commune", t.province, t.district, t.commune)
        rows[key] = replace(rows[key], target=rows[key].target + t.entries,
                            deadline=max(filter(None, (rows[key].deadline, t.deadline))))
    return _with_subtotals([rows[k] for k in sorted(rows)])


def _with_subtotals(communes: list[Row]) -> list[Row]:
    out: list[Row] = []
    total = Row("total", "", "", "Tổng cộng")
    provinces: dict[str, list[Row]] = defaultdict(list)
    for r in communes:
        provinces[fold(r.province)].append(r)
    for prov_rows in provinces.values():
        prov = Row("province", prov_rows[0].province, "", "")
        districts: dict[str, list[Row]] = defaultdict(list)
        for r in prov_rows:
            districts[fold(r.district)].append(r)
        for dist_rows in districts.values():
            dist = Row("district", dist_rows[0].province, dist_rows[0].district, "")
            for r in dist_rows:
                out.append(r)
                dist.add(r)
            out.append(dist)
            prov.add(dist)
        out.append(prov)
        total.add(prov)
    out.append(total)
    return out
