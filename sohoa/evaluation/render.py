"""Evaluation reports as Markdown or HTML with PNG plots (reliability diagram, auto-accept
curve, CER per field kind)."""

from __future__ import annotations

import html
from pathlib import Path

from sohoa.evaluation.summary import Summary


def write_plots(summary: Summary, out_dir: Path) -> dict[str, Path]:
    """Write the PNG plots next to the report; returns name -> path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    if summary.reliability:
        conf = [c for _, c, _, _ in summary.reliability]
        acc = [a for _, _, a, _ in summary.reliability]
        ax.plot(conf, acc, "o-", label=f"fields (ECE {summary.ece:.3f})")
    ax.set(xlabel="confidence", ylabel="accuracy", title="Reliability", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    paths["reliability"] = out_dir / "reliability.png"
    fig.tight_layout()
    fig.savefig(paths["reliability"], dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ts = [t for t, _, _ in summary.auto_accept]
    ax.plot(ts, [s for _, s, _ in summary.auto_accept], "o-", label="share accepted")
    ax.plot(ts, [a for _, _, a in summary.auto_accept], "s-", label="accuracy of accepted")
    ax.set(xlabel="confidence threshold", ylim=(0, 1.02), title="Auto-accept curve")
    ax.legend(loc="lower left")
    paths["auto_accept"] = out_dir / "auto_accept.png"
    fig.tight_layout()
    fig.savefig(paths["auto_accept"], dpi=90)
    plt.close(fig)

    kinds = summary.groups.get("kind", {})
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(list(kinds), [100 * s.cer for s in kinds.values()])
    ax.set(ylabel="CER %", title="Character error rate per field kind")
    ax.tick_params(axis="x", rotation=30)
    paths["cer_by_kind"] = out_dir / "cer_by_kind.png"
    fig.tight_layout()
    fig.savefig(paths["cer_by_kind"], dpi=90)
    plt.close(fig)
    return paths


def _rows(summary: Summary) -> list[tuple[str, list[list[str]]]]:
    head = ["n", "CER %", "WER %", "exact %", "base-letter errors", "tone-mark errors"]
    sections = []
    for group, stats in summary.groups.items():
        rows = [[group] + head]
        for key, s in stats.items():
            rows.append([key, str(s.n), f"{100 * s.cer:.2f}", f"{100 * s.wer:.2f}",
                         f"{100 * s.exact:.1f}", str(s.base_errors), str(s.tone_errors)])
        sections.append((f"Per {group}", rows))
    o = summary.overall
    sections.insert(0, ("Overall", [["", *head], ["all", str(o.n), f"{100 * o.cer:.2f}",
                                                   f"{100 * o.wer:.2f}", f"{100 * o.exact:.1f}",
                                                   str(o.base_errors), str(o.tone_errors)]]))
    sections.append(("Confidence calibration", [
        ["ECE", "bins (confidence → accuracy, n)"],
        [f"{summary.ece:.3f}", "; ".join(f"{c:.2f}→{a:.2f} ({n})"
                                         for _, c, a, n in summary.reliability)]]))
    sections.append(("Auto-accept curve", [["threshold", "share of fields", "accuracy"]] + [
        [f"{t:.2f}", f"{100 * s:.1f} %", f"{100 * a:.2f} %"] for t, s, a in summary.auto_accept]))
    sections.append(("Most common confusions", [["expected", "read", "count"]] + [
        [a or "∅", b or "∅", str(n)] for a, b, n in summary.confusions]))
    if summary.effort:
        e = summary.effort
        sec = f"{e.seconds_per_entry_median:.1f}" if e.seconds_per_entry_median else "–"
        sections.append(("Reviewing effort", [
            ["entries confirmed", "fields corrected per entry", "seconds per entry (median)"],
            [str(e.entries), f"{e.fields_corrected_per_entry:.2f}", sec]]))
    return sections


def to_markdown(summary: Summary, plots: dict[str, Path] | None = None) -> str:
    lines = ["# sohoa accuracy report", ""]
    for k, v in summary.meta.items():
        lines.append(f"- {k}: {v}")
    for title, rows in _rows(summary):
        lines += ["", f"## {title}", "", "| " + " | ".join(rows[0]) + " |",
                  "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    for name, path in (plots or {}).items():
        lines += ["", f"![{name}]({path.name})"]
    return "\n".join(lines) + "\n"


def to_html(summary: Summary, plots: dict[str, Path] | None = None) -> str:
    parts = ["<!doctype html><meta charset='utf-8'><title>sohoa accuracy report</title>",
             "<style>body{font-family:sans-serif;max-width:60em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style>",
             "<h1>sohoa accuracy report</h1><ul>"]
    parts += [f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>"
              for k, v in summary.meta.items()]
    parts.append("</ul>")
    for title, rows in _rows(summary):
        parts.append(f"<h2>{html.escape(title)}</h2><table><tr>")
        parts += [f"<th>{html.escape(c)}</th>" for c in rows[0]]
        parts.append("</tr>")
        for r in rows[1:]:
            parts.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
        parts.append("</table>")
    for name, path in (plots or {}).items():
        parts.append(f"<img alt='{html.escape(name)}' src='{html.escape(path.name)}'>")
    return "\n".join(parts)
