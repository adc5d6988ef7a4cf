"""CLI command modules; each exposes ``register(app)``. Add a new module to the list below."""

from sohoa.commands import templates_cmd

COMMAND_MODULES = [templates_cmd]
