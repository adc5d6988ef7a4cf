"""``sohoa export | check-158 | report | crosscheck``: the 158 delivery and the province's
progress and population checks. Each command parses arguments and makes one call."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

log = logging.getLogger(__name__)

STATUS_CHOICES = ("prefilled", "confirmed", "approved")


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
        out: Path = typer.Option(..., "--out", "-o", help="Output folder."),
        book: str = typer.Option(None, "--book", "-b", help="Book id or volume; all if omitted."),
        min_status: str = typer.Option("approved", "--min-status",
                                       help="prefilled|confirmed = DRAFT preview; approved = final."),
        user: str = typer.Option("export", "--user", help="Name written in the audit log."),
        max_kb: int = typer.Option(None, "--pdf-max-kb", help="Per-entry PDF limit (KB)."),
        name_rule: str = typer.Option(None, "--name-rule", help="PDF name pattern, e.g. "
                                      "'{so}_{year}_{name}_{sex}'."),
        workers: int = typer.Option(1, "--workers", help="Processes for the PDFs."),
    ) -> None:
        """Write the 158 Excel, per-entry PDFs (ZIP) and manifest of each book."""
        from tqdm import tqdm

        from sohoa.errors import InputError
        from sohoa.export.run import export_workspace
        from sohoa.store import Workspace

        if min_status not in STATUS_CHOICES:
            raise InputError(f"--min-status must be one of {', '.join(STATUS_CHOICES)}")
        with Workspace.open(workspace) as ws:
            total = sum(len(ws.entries(book_id=b.id)) for b in (
                [ws.find_book(book)] if book else ws.books()))
            with tqdm(total=total, unit="pdf", disable=None) as bar:
                results = export_workspace(ws, out, book, min_status, user, max_kb, name_rule,
                                           workers, progress=bar.update)
        blocked = 0
        for r in results:
            kind = "DRAFT" if r.draft else "158"
            if r.blocked:
                blocked += 1
                typer.echo(f"[CHẶN] {r.book.register_type} {r.book.volume} ({r.book.commune}): "
                           f"{sum(i.severity == 'error' for i in r.issues)} lỗi, chưa xuất")
                for i in r.issues:
                    if i.severity == "error":
                        typer.echo(f"    mục {i.entry_id}: [{i.rule_id}] {i.field} {i.message}")
                continue
            if r.excel is None:
                typer.echo(f"[--] {r.book.register_type} {r.book.volume} ({r.book.commune}): "
                           f"không có mục nào đạt trạng thái {min_status}")
                continue
            typer.echo(f"[{kind}] {r.book.register_type} {r.book.volume} ({r.book.commune}): "
                       f"{r.entry_count} mục -> {r.excel} + {r.zip.name if r.zip else ''}"
                       + (f"; {r.left_out} mục chưa đủ trạng thái" if r.left_out else "")
                       + (f"; {len(r.issues)} cảnh báo/lỗi (xem .issues.csv)" if r.issues else ""))
        if blocked:
            raise typer.Exit(1)

    @app.command("check-158")
    def check_158(
        file: Path = typer.Argument(..., help="The .xlsx file to check."),
        register_type: str = typer.Option(None, "--type", "-t", help="KS, KT, KH, HN or CMC; "
                                          "detected from the header if omitted."),
    ) -> None:
        """Check a 158 Excel file: columns and rules, every problem by row and column."""
        from sohoa.check158 import check_file
        from sohoa.errors import InputError
        from sohoa.records import RegisterType

        if register_type and register_type.upper() not in RegisterType.__members__:
            raise InputError(f"--type {register_type!r}: one of "
                             f"{', '.join(RegisterType.__members__)}")
        report = check_file(file, register_type)
        for p in report.problems:
            typer.echo(p.line())
        typer.echo(f"{file}: {report.register_type}, {report.rows} dòng, {report.errors} lỗi, "
                   f"{report.warnings} cảnh báo")
        if report.errors:
            raise typer.Exit(1)

    @app.command("report")
    def report(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
        day: str = typer.Option(None, "--date", "-d", help="Day D (YYYY-MM-DD); today if omitted."),
        targets: Path = typer.Option(None, "--targets", help="Targets per commune (CSV or TOML)."),
        out: Path = typer.Option(Path("."), "--out", "-o", help="Output folder."),
        tz: str = typer.Option("Asia/Ho_Chi_Minh", "--tz", help="Time zone of the day."),
    ) -> None:
        """Daily progress per commune, district and province, against targets (.xlsx/.md/.png)."""
        from datetime import date, datetime
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from sohoa.errors import InputError
        from sohoa.report import build_report, read_targets
        from sohoa.report_render import write_all
        from sohoa.store import Workspace

        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError(f"--tz {tz!r}: unknown time zone") from exc
        try:
            d = date.fromisoformat(day) if day else datetime.now(zone).date()
        except ValueError as exc:
            raise InputError(f"--date {day!r}: not a day YYYY-MM-DD") from exc
        goals = read_targets(targets) if targets else []
        with Workspace.open(workspace) as ws:
            rows = build_report(ws, d, goals, tz)
        files = write_all(out, rows, d)
        total = rows[-1]
        typer.echo(f"{d}: {total.scanned} mục đã quét, {total.reached['confirmed']} đã xác nhận, "
                   f"{total.reached['exported']} đã xuất; trong ngày {total.on_day['confirmed']} "
                   "xác nhận")
        for kind, path in files.items():
            typer.echo(f"  {kind}: {path}")

    @app.command("crosscheck")
    def crosscheck_cmd(
        workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder."),
        population: Path = typer.Option(..., "--population", "-p",
                                        help="Population extract (CSV, see docs/export.md)."),
        book: str = typer.Option(None, "--book", "-b", help="Book id or volume; all if omitted."),
        out: Path = typer.Option(Path("."), "--out", "-o", help="Output folder."),
    ) -> None:
        """Match confirmed birth records against the population database extract."""
        from sohoa.crosscheck import (
            KIND_LABELS,
            crosscheck,
            read_population,
            workspace_records,
            write_report,
        )
        from sohoa.store import Workspace

        people = read_population(population)
        with Workspace.open(workspace) as ws:
            records = workspace_records(ws, book)
        findings = crosscheck(records, people)
        files = write_report(out, findings)
        for kind, label in KIND_LABELS.items():
            typer.echo(f"{label}: {sum(f.kind == kind for f in findings)}")
        for kind, path in files.items():
            typer.echo(f"  {kind}: {path}")
