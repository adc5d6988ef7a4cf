"""The ``sohoa`` command line. Each command lives in ``sohoa/commands/<name>.py``, parses its
arguments and makes one call into the package.

Errors are handled once, here: a project error (:class:`sohoa.errors.SohoaError`), a file the
OS refuses, or Ctrl+C becomes one line on stderr (``lỗi: ...``, or ``error: ...`` with
``SOHOA_LANG=en``) and the exit code of :class:`sohoa.errors.ExitCode`. Typer's own usage
errors (unknown option, missing argument) keep Typer's message and exit code 2.
"""

from __future__ import annotations

import logging
import os

import typer

# Personal data: no telemetry, no hub, ever.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from typer.core import TyperGroup  # noqa: E402

from sohoa.commands import COMMAND_MODULES  # noqa: E402
from sohoa.errors import SohoaError, error_line, exit_code_of  # noqa: E402


class _Handled(TyperGroup):
    """The root group: runs the command and turns the errors users cause into one line."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except (SohoaError, OSError, KeyboardInterrupt) as exc:
            if isinstance(exc, BrokenPipeError):
                raise  # Typer quiets a closed pipe itself
            typer.echo(error_line(exc), err=True)
            raise typer.Exit(int(exit_code_of(exc))) from exc


app = typer.Typer(
    cls=_Handled,
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
    """Entry point. Project errors are handled on the app itself (so ``CliRunner`` sees the same);
    anything else is a bug: its traceback, then one line, and the internal-error code."""
    import sys
    import traceback

    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the last resort, after the app's own handler
        traceback.print_exc()
        typer.echo(error_line(exc), err=True)
        sys.exit(int(exit_code_of(exc)))


if __name__ == "__main__":
    main()
