"""Register templates: one TOML data file per layout (see :mod:`sohoa.template`)."""
