"""CLI command modules; each exposes ``register(app)``. Add a new module to the list below."""

from sohoa.commands import templates_cmd
from sohoa.commands import read_cmd, process_cmd, evaluate_cmd

COMMAND_MODULES = [templates_cmd]
COMMAND_MODULES += [read_cmd, process_cmd, evaluate_cmd]
from sohoa.commands import train_cmd  # noqa: E402

COMMAND_MODULES += [train_cmd]
from sohoa.commands import synth_cmd  # noqa: E402

COMMAND_MODULES += [synth_cmd]
from sohoa.commands import ingest_cmd, status_cmd, user_cmd  # noqa: E402

COMMAND_MODULES += [ingest_cmd, status_cmd, user_cmd]
from sohoa.commands import export_cmd  # noqa: E402

COMMAND_MODULES += [export_cmd]
from sohoa.commands import demo_cmd  # noqa: E402

COMMAND_MODULES += [demo_cmd]
from sohoa.commands import review_cmd  # noqa: E402

COMMAND_MODULES += [review_cmd]
from sohoa.commands import segment_cmd  # noqa: E402

COMMAND_MODULES += [segment_cmd]
from sohoa.commands import calibrate_cmd  # noqa: E402

COMMAND_MODULES += [calibrate_cmd]
from sohoa.commands import backup_cmd, check_cmd  # noqa: E402

COMMAND_MODULES += [check_cmd, backup_cmd]
from sohoa.commands import adapt_cmd, models_cmd  # noqa: E402

COMMAND_MODULES += [adapt_cmd, models_cmd]
