"""Register templates: one TOML data file per layout, read by :func:`sohoa.template.load_template`."""
