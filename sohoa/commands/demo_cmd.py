"""``sohoa demo``: the main job end to end on a generated book, ending in the review screen."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        workspace: Path = typer.Option(Path("demo-workspace"), "--workspace", "-w"),
        pages: int = typer.Option(3, "--pages", help="Pages in the generated demo book."),
        seed: int = typer.Option(2008, "--seed"),
        template: str = typer.Option("ks-2006", "--template"),
        difficulty: str = typer.Option("hard", "--difficulty", help="easy|hard"),
        engine: str = typer.Option(None, "--engine", help="Engine for every field."),
        review: bool = typer.Option(True, "--review/--no-review", help="Open the review screen at the end."),
        host: str = typer.Option("127.0.0.1", "--host"),
        port: int = typer.Option(7860, "--port"),
    ) -> None:
        """Generate a demo book, ingest it, process it, report accuracy, open the review screen."""
        from sohoa.demo import run_demo

        r = run_demo(workspace, pages=pages, seed=seed, template_id=template,
                     difficulty=difficulty, engine=engine)
        typer.echo(f"\nDemo book: {r.pages} generated pages in {r.scans}")
        typer.echo(f"Workspace: {r.workspace} ({r.entries} entries prefilled, "
                   f"{r.needs_attention} pages need attention, {r.failed} failed)")
        typer.echo(f"Accuracy against the generator's truth: {r.fields} fields, "
                   f"CER {100 * r.cer:.1f} %, exact {100 * r.exact:.1f} %")
        for kind, (cer, exact) in sorted(r.by_kind.items()):
            typer.echo(f"    {kind:<12} CER {100 * cer:5.1f} %   exact {100 * exact:5.1f} %")
        typer.echo("Users (name / role / password): " +
                   "; ".join(f"{n} / {role} / {pw}" for n, role, pw in r.users))
        if not review:
            typer.echo(f"Review later with: sohoa review --workspace {r.workspace}")
            return
        from review_ui.app import serve

        typer.echo(f"Review screen: http://{host}:{port}  (Ctrl+C to stop)")
        serve(r.workspace, host=host, port=port)
