"""The ``sohoa`` command line. Each command lives in ``sohoa/commands/<name>.py``, parses its
arguments and makes one call into the package."""

from __future__ import annotations

import logging
import os

import typer

# Personal data: no telemetry, no hub, ever.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from sohoa.commands import COMMAND_MODULES  # noqa: E402

app = typer.Typer(
    name="sohoa",
    help="Digitise Vietnamese civil-status registers for the 158 import.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    """Entry point: runs the app and turns any project error into one line and its exit code."""
    import sys

    from sohoa.errors import SohoaError

    try:
        app()
    except SohoaError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(int(exc.exit_code))


if __name__ == "__main__":
    main()
