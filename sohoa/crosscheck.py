"""Cross-check confirmed birth records against an extract of the population database.

Each confirmed (or later) KS record is looked up in the extract: by identity number when both
have one, otherwise among people born the same year by a fuzzy, diacritic-insensitive score
over name, birth date, parents' names and sex (rapidfuzz). The clerk gets a list of
mismatches (which fields differ, and whether only the diacritics differ), records with no
person in the extract, ambiguous matches, and people of the covered birth years who have no
record. Nothing is changed in the workspace.

The extract is a UTF-8 CSV with a header: ``hoTen``, ``ngaySinh`` required; ``soDinhDanh``,
``gioiTinh``, ``meHoTen``, ``chaHoTen``, ``danToc``, ``queQuan`` optional (docs/export.md).
"""

from __future__ import annotations

import csv
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from sohoa.errors import SohoaError
from sohoa.export.values import fold, normalise_date, parse_date
from sohoa.records import EntryStatus, RegisterType, nfc

log = logging.getLogger(__name__)

REQUIRED = ("hoTen", "ngaySinh")
OPTIONAL = ("soDinhDanh", "gioiTinh", "meHoTen", "chaHoTen", "danToc", "queQuan")
# record field <- population column
PAIRS = (("nksHoTen", "hoTen"), ("nksNgaySinh", "ngaySinh"), ("nksGioiTinh", "gioiTinh"),
         ("meHoTen", "meHoTen"), ("chaHoTen", "chaHoTen"), ("nksDanToc", "danToc"),
         ("nksSoDinhDanh", "soDinhDanh"))
WEIGHTS = {"hoTen": 0.45, "ngaySinh": 0.25, "meHoTen": 0.15, "chaHoTen": 0.10, "gioiTinh": 0.05}
MATCH, MAYBE, TIE = 90.0, 70.0, 3.0
_SEX = {"1": "1", "2": "2", "3": "3", "nam": "1", "nu": "2", "m": "1", "f": "2"}


class CrossCheckError(SohoaError, ValueError):
    """The population file is missing, unreadable or lacks required columns."""


@dataclass(frozen=True)
class Person:
    line: int
    values: dict[str, str]  # population column -> normalised value


@dataclass(frozen=True)
class Finding:
    kind: str  # match | mismatch | missing | ambiguous | unregistered
    entry_id: int | None
    book: str
    so: str
    record_name: str
    person_line: int | None
    person_name: str
    person_id: str
    score: float
    differences: tuple[str, ...]


def _norm_pop(col: str, text: str) -> str:
    text = nfc(text or "").strip()
    if col == "ngaySinh":
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):  # ISO, as database exports write it
            text = _iso_to_vn(text)
        text = normalise_date(text)
    elif col == "gioiTinh":
        text = _SEX.get(fold(text), text)
    return text


def _iso_to_vn(text: str) -> str:
    y, m, d = text.split("-")
    return f"{d}.{m}.{y}"


def read_population(path: Path) -> list[Person]:
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise CrossCheckError(f"{path}: missing columns {missing} (header: {header})")
            extra = [c for c in header if c not in REQUIRED + OPTIONAL]
            if extra:
                log.warning("%s: columns ignored: %s", path, extra)
            return [Person(i + 2, {c: _norm_pop(c, r.get(c) or "") for c in REQUIRED + OPTIONAL})
                    for i, r in enumerate(reader)]
    except OSError as exc:
        raise CrossCheckError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CrossCheckError(f"{path}: not a UTF-8 CSV ({exc})") from exc


def _date_score(a: str, b: str) -> float | None:
    da, db = parse_date(a), parse_date(b)
    if da is None or db is None:
        return None
    if da == db:
        return 100.0
    if da.first <= db.last and db.first <= da.last:  # one is partial and covers the other
        return 80.0
    if da.first.year == db.first.year:
        return 40.0
    return 0.0


def score(record: dict[str, str], person: Person) -> float:
    """0-100 similarity of a record and a person over the fields both have."""
    total = weight = 0.0
    for field, col in PAIRS:
        if col not in WEIGHTS:
            continue
        a, b = record.get(field, ""), person.values.get(col, "")
        if not a or not b:
            continue
        if col == "ngaySinh":
            s = _date_score(a, b)
            if s is None:
                continue
        elif col == "gioiTinh":
            s = 100.0 if a == b else 0.0
        else:
            s = fuzz.token_sort_ratio(fold(a), fold(b))
        total += WEIGHTS[col] * s
        weight += WEIGHTS[col]
    return round(total / weight, 1) if weight else 0.0


def differences(record: dict[str, str], person: Person) -> tuple[str, ...]:
    """Fields where record and person disagree, e.g. ``hoTen: 'Lò Văn Ánh' ≠ 'Lo Van Anh'
    (chỉ khác dấu)``."""
    out = []
    for field, col in PAIRS:
        a, b = record.get(field, ""), person.values.get(col, "")
        if not a or not b:
            continue
        if col == "ngaySinh":
            if parse_date(a) == parse_date(b):
                continue
        elif col == "danToc":
            if fold(a).replace("-", " ") == fold(b).replace("-", " "):
                continue
        elif nfc(a).strip().lower() == nfc(b).strip().lower():
            continue
        hint = " (chỉ khác dấu)" if fold(a) == fold(b) else ""
        out.append(f"{col}: sổ '{a}' ≠ CSDL '{b}'{hint}")
    return tuple(out)


def _finding(kind: str, rec: tuple[int, str, dict[str, str]], p: Person | None, s: float,
             diffs: tuple[str, ...] = ()) -> Finding:
    entry_id, volume, values = rec
    return Finding(kind, entry_id, volume, values.get("so", ""), values.get("nksHoTen", ""),
                   p.line if p else None, p.values.get("hoTen", "") if p else "",
                   p.values.get("soDinhDanh", "") if p else "", s, diffs)


def crosscheck(records: list[tuple[int, str, dict[str, str]]],
               people: list[Person]) -> list[Finding]:
    """Findings for ``records`` as ``(entry_id, book volume, values)``, plus the people of
    the covered birth years that no record matched."""
    by_id = {p.values["soDinhDanh"]: p for p in people if p.values.get("soDinhDanh")}
    by_year: dict[int, list[Person]] = defaultdict(list)
    for p in people:
        if span := parse_date(p.values.get("ngaySinh", "")):
            by_year[span.first.year].append(p)
    used: set[int] = set()
    years: set[int] = set()
    out: list[Finding] = []
    for rec in records:
        values = rec[2]
        birth = parse_date(values.get("nksNgaySinh", ""))
        if birth:
            years.add(birth.first.year)
        pid = values.get("nksSoDinhDanh", "")
        if pid and pid in by_id:
            p = by_id[pid]
            used.add(p.line)
            diffs = differences(values, p)
            out.append(_finding("mismatch" if diffs else "match", rec, p, score(values, p), diffs))
            continue
        pool = by_year.get(birth.first.year, []) if birth else people
        ranked = sorted(((score(values, p), p.line, p) for p in pool), reverse=True)[:3]
        if not ranked or ranked[0][0] < MAYBE:
            out.append(_finding("missing", rec, ranked[0][2] if ranked else None,
                                ranked[0][0] if ranked else 0.0))
            continue
        best_s, _, best = ranked[0]
        if len(ranked) > 1 and best_s - ranked[1][0] < TIE:
            used.update(r[1] for r in ranked if best_s - r[0] < TIE)  # listed with the record
            out.append(_finding("ambiguous", rec, best, best_s,
                                (f"cũng gần: dòng {ranked[1][2].line} "
                                 f"{ranked[1][2].values['hoTen']} ({ranked[1][0]})",)))
            continue
        used.add(best.line)
        diffs = differences(values, best)
        kind = "match" if best_s >= MATCH and not diffs else "mismatch"
        out.append(_finding(kind, rec, best, best_s, diffs))
    for p in people:
        span = parse_date(p.values.get("ngaySinh", ""))
        if p.line not in used and span and span.first.year in years:
            out.append(Finding("unregistered", None, "", "", "", p.line, p.values["hoTen"],
                               p.values.get("soDinhDanh", ""), 0.0, ()))
    return out


def workspace_records(ws, book_ref: str | None = None):  # type: ignore[no-untyped-def]
    """Confirmed (or later) birth records of the workspace as crosscheck input."""
    books = [ws.find_book(book_ref)] if book_ref else ws.books()
    wanted = [s for s in EntryStatus if s.rank >= EntryStatus.CONFIRMED.rank]
    out = []
    for b in books:
        if b.register_type != RegisterType.KS:
            continue
        for e in ws.entries(book_id=b.id, status=wanted):
            out.append((e.id, b.volume, ws.entry_view(e.id).values))
    return out


KIND_LABELS = {"mismatch": "Lệch thông tin", "missing": "Không tìm thấy trong CSDL dân cư",
               "ambiguous": "Nhiều người gần giống", "unregistered": "Có trong CSDL, chưa thấy "
               "trong sổ", "match": "Khớp"}
COLUMNS = ("kind", "entry_id", "book", "so", "record_name", "person_line", "person_name",
           "person_id", "score", "differences")


def write_report(out_dir: Path, findings: list[Finding],
                 stem: str = "doi-chieu") -> dict[str, Path]:
    """``doi-chieu.csv`` (every finding) and ``doi-chieu.md`` (what a clerk must resolve)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / f"{stem}.csv", out_dir / f"{stem}.md"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for f in findings:
            w.writerow([f.kind, f.entry_id or "", f.book, f.so, f.record_name,
                        f.person_line or "", f.person_name, f.person_id, f.score,
                        "; ".join(f.differences)])
    counts: dict[str, int] = defaultdict(int)
    for f in findings:
        counts[f.kind] += 1
    lines = ["# Đối chiếu sổ khai sinh với CSDL dân cư", ""]
    lines += [f"- {KIND_LABELS[k]}: {counts.get(k, 0)}" for k in KIND_LABELS]
    for kind in ("mismatch", "ambiguous", "missing", "unregistered"):
        items = [f for f in findings if f.kind == kind]
        if not items:
            continue
        lines += ["", f"## {KIND_LABELS[kind]} ({len(items)})", "",
                  "| Mục | Sổ | Số | Họ tên trong sổ | Dòng CSDL | Họ tên CSDL | Điểm "
                  "| Khác biệt |",
                  "|---|---|---|---|---|---|---|---|"]
        for f in items:
            diff = "<br>".join(d.replace("|", "/") for d in f.differences)
            lines.append(f"| {f.entry_id or ''} | {f.book} | {f.so} | {f.record_name} | "
                         f"{f.person_line or ''} | {f.person_name} | {f.score} | {diff} |")
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"csv": csv_path, "md": md_path}
