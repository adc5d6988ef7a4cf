"""Writing the progress report: an .xlsx table, a Markdown page and a PNG chart.

Kept apart from :mod:`sohoa.report` (the counting) so the numbers are tested without files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sohoa.report import Row

HEADERS = (
    ("level", "Cấp"), ("province", "Tỉnh"), ("district", "Huyện"), ("commune", "Xã"),
    ("books", "Sổ"), ("pages", "Trang"), ("scanned", "Mục đã quét"),
    ("prefilled", "Đã nhận dạng"), ("confirmed", "Đã xác nhận"), ("approved", "Đã duyệt"),
    ("exported", "Đã xuất 158"), ("day_confirmed", "Xác nhận trong ngày"),
    ("day_approved", "Duyệt trong ngày"), ("day_exported", "Xuất trong ngày"),
    ("day_sent_back", "Trả lại trong ngày"), ("target", "Chỉ tiêu"), ("deadline", "Hạn"),
    ("pct_confirmed", "% xác nhận"), ("pct_exported", "% xuất"), ("days_left", "Còn (ngày)"),
    ("need_per_day", "Cần/ngày"), ("pace_per_day", "Tốc độ 7 ngày"), ("state", "Tình trạng"),
)
LEVELS = {"commune": "Xã", "district": "Huyện", "province": "Tỉnh", "total": "Tổng"}


def row_dict(row: Row, day: date) -> dict[str, object]:
    """One report row as plain values, in HEADERS order."""
    out: dict[str, object] = {
        "level": LEVELS[row.level], "province": row.province, "district": row.district,
        "commune": row.commune, "books": row.books, "pages": row.pages, "scanned": row.scanned,
        **row.reached, **{f"day_{k}": v for k, v in row.on_day.items()},
        "target": row.target or None,
        "deadline": row.deadline.isoformat() if row.deadline else None,
    }
    out.update(row.assess(day))
    return {k: out.get(k) for k, _ in HEADERS}


def write_xlsx(path: Path, rows: Sequence[Row], day: date) -> Path:
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"Tiến độ {day.isoformat()}"
    ws.append([label for _, label in HEADERS])
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append(list(row_dict(r, day).values()))
        if r.level != "commune":
            for c in ws[ws.max_row]:
                c.font = Font(bold=True)
                c.fill = PatternFill("solid", fgColor="EEEEEE")
    ws.freeze_panes = "E2"
    wb.properties.creator = "sohoa"
    wb.save(path)
    return path


def _cell(v: object) -> str:
    return "" if v is None else str(v).replace("|", "/")


def write_markdown(path: Path, rows: Sequence[Row], day: date, chart: str | None) -> Path:
    lines = [f"# Báo cáo tiến độ số hóa hộ tịch — ngày {day:%d.%m.%Y}", "",
             "Số liệu tính đến hết ngày; \"trong ngày\" theo nhật ký thao tác (giờ Việt Nam).", ""]
    if chart:
        lines += [f"![Tiến độ theo xã]({chart})", ""]
    lines.append("| " + " | ".join(label for _, label in HEADERS) + " |")
    lines.append("|" + "---|" * len(HEADERS))
    for r in rows:
        vals = [_cell(v) for v in row_dict(r, day).values()]
        if r.level != "commune":
            vals = [f"**{v}**" if v else v for v in vals]
        lines.append("| " + " | ".join(vals) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_chart(path: Path, rows: Sequence[Row], day: date) -> Path:
    """Stacked horizontal bars per commune (exported < approved < confirmed < prefilled <
    scanned) with the target as a tick."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    communes = [r for r in rows if r.level == "commune"]
    height = max(2.5, 0.45 * len(communes) + 1.5)
    fig, ax = plt.subplots(figsize=(10, height), dpi=100)
    labels = [f"{r.commune} ({r.district})" if r.district else r.commune for r in communes]
    y = list(range(len(communes)))
    layers = (("scanned", "#dddddd", "đã quét"), ("prefilled", "#b3cde3", "đã nhận dạng"),
              ("confirmed", "#6497b1", "đã xác nhận"), ("approved", "#005b96", "đã duyệt"),
              ("exported", "#03396c", "đã xuất 158"))
    for key, color, label in layers:
        vals = [r.scanned if key == "scanned" else r.reached[key] for r in communes]
        ax.barh(y, vals, color=color, label=label, height=0.7)
    tx = [(i, r.target) for i, r in enumerate(communes) if r.target]
    if tx:
        ax.scatter([t for _, t in tx], [i for i, _ in tx], marker="|", s=400, color="#d7191c",
                   label="chỉ tiêu", zorder=3)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("số mục")
    ax.set_title(f"Tiến độ số hóa theo xã — {day:%d.%m.%Y}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_all(out_dir: Path, rows: Sequence[Row], day: date) -> dict[str, Path]:
    """The three files, named ``tien-do_<YYYY-MM-DD>.{xlsx,md,png}``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"tien-do_{day.isoformat()}"
    png = write_chart(out_dir / f"{stem}.png", rows, day)
    return {
        "xlsx": write_xlsx(out_dir / f"{stem}.xlsx", rows, day),
        "md": write_markdown(out_dir / f"{stem}.md", rows, day, png.name),
        "png": png,
    }
