"""``sohoa evaluate``: accuracy of prefill against confirmed values or generated ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate(
        workspace: Path = typer.Option(None, "--workspace", "-w", help="Reviewed workspace."),
        pages: Path = typer.Option(None, "--pages", help="Folder of generated pages + truth JSON."),
        book: str = typer.Option(None, "--book", help="Only this book (workspace mode)."),
        engine: str = typer.Option(None, "--engine", help="Engine for --pages mode."),
        device: str = typer.Option("auto", "--device"),
        out: Path = typer.Option(Path("evaluation"), "--out", help="Report folder."),
        fmt: str = typer.Option("md", "--format", help="md|html"),
        as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
        lines: list[Path] = typer.Option(
            None, "--lines", help="Folder of labelled lines (labels.tsv, PAGE XML or ALTO); "
            "repeat for several sets. Reads each line whole (docs/htr.md)."),
        model: str = typer.Option(None, "--model", help="--lines: model name or folder "
                                  "(default: the workspace's model in use, else the shipped default)."),
        kind: str = typer.Option("auto", "--kind", help="--lines: field kind of the lines "
                                 "(text, name, place, date ...): its parser and LM are used; "
                                 "auto: each line read as text, then again as a place or a "
                                 "date where that first reading looks like one."),
    ) -> None:
        """CER/WER per field, kind, engine, book and clerk (or, with --lines, per line set); tone-mark errors; confusions;
        calibration; auto-accept curve; reviewing effort."""
        from sohoa.errors import InputError
        from sohoa.evaluation.run import evaluate_pages, evaluate_workspace, write_report

        if lines:
            _evaluate_lines(lines, workspace, engine or "htr", model, device, kind, as_json)
            return
        if (workspace is None) == (pages is None):
            raise InputError("give exactly one of --workspace or --pages")
        if fmt not in ("md", "html"):
            raise InputError(f"--format must be md or html, not {fmt!r}")
        summary = (evaluate_workspace(workspace, book) if workspace
                   else evaluate_pages(pages, engine=engine, device=device))
        path = write_report(summary, out, fmt)
        if as_json:
            typer.echo(json.dumps(summary.to_json(), ensure_ascii=False, indent=1))
        else:
            o = summary.overall
            typer.echo(f"{o.n} fields: CER {100 * o.cer:.2f} %, exact {100 * o.exact:.1f} %, "
                       f"ECE {summary.ece:.3f}; report: {path}")


def _evaluate_lines(folders: list[Path], workspace: Path | None, engine: str, model: str | None,
                    device: str, kind: str, as_json: bool) -> None:
    from models.checkpoint import ModelError
    from models.lines import LinesError, read_line_sets
    from models.lines_run import evaluate_lines
    from models.registry import find_model
    from ocr.base import EngineError
    from sohoa.errors import InputError
    from sohoa.records import FieldKind

    if kind != "auto" and kind not in {k.value for k in FieldKind}:
        raise InputError(f"unknown --kind {kind!r}; auto or one of "
                         f"{', '.join(k.value for k in FieldKind)}")
    model_dir = None
    if model:
        try:
            model_dir = Path(model) if Path(model).is_dir() else find_model(model, workspace)
        except ModelError as exc:
            raise LinesError(f"--model: {exc}") from exc
    sets = read_line_sets(folders)
    try:
        res = evaluate_lines(sets, engine=engine, model=model_dir, workspace=workspace,
                             device=device, kind=kind)
    except (ModelError, EngineError) as exc:
        raise LinesError(f"cannot read the lines with {engine}: {exc}") from exc
    if as_json:
        typer.echo(json.dumps(res, ensure_ascii=False, indent=1))
        return
    typer.echo(f"engine {res['engine']} {res['model']}")
    rows = [*res["sets"].items(), ("all", res["all"])]
    for name, r in rows:
        sure = "-" if r["confident_exact"] is None else f"{100 * r['confident_exact']:.1f} %"
        typer.echo(f"{name}: {r['n']} lines, CER {100 * r['cer']:.2f} %, exact "
                   f"{100 * r['exact']:.1f} %, ECE {r['ece']:.3f}, conf >= 0.9 on "
                   f"{100 * r['confident_share']:.1f} % (exact {sure})")
