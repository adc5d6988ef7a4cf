"""``sohoa templates``: list the shipped register templates and their fields."""

from __future__ import annotations

import json
from typing import Any

import typer

from sohoa.template import load_template, template_ids


def register(app: typer.Typer) -> None:
    @app.command("templates")
    def templates(
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List register templates with their columns and fields."""
        out: list[dict[str, Any]] = []
        for tid in template_ids():
            tpl = load_template(tid)
            out.append(
                {
                    "id": tpl.id,
                    "register_type": str(tpl.register_type),
                    "title": tpl.title,
                    "fields": [
                        {"name": f.name, "kind": str(f.kind), "column": f.column, "line": f.line}
                        for f in tpl.fields
                    ],
                }
            )
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
            return
        for t in out:
            typer.echo(f"{t['id']}  {t['register_type']}  {t['title']}")
            for f in t["fields"]:
                typer.echo(f"    col {f['column']:>2} line {f['line']}  {f['name']:<20} {f['kind']}")
