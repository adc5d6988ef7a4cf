"""Shared helpers for the synth tests: cached pages and truth readers."""

from __future__ import annotations

import datetime as dt
from functools import cache

from sohoa.synth import SynthPage, generate_page


@cache
def page(template: str, seed: int, difficulty: str = "easy", page_no: int = 1,
         rotation: int = 0, labels: bool = False) -> SynthPage:
    """One generated page, cached across tests of a session (pages take ~0.5 s)."""
    return generate_page(template, seed, difficulty, page_no=page_no, rotation=rotation,
                         with_labels=labels)


def parse_value_date(value: str) -> dt.date:
    """A 158 date value (dd.mm.yyyy) as a date."""
    d, m, y = (int(p) for p in value.split("."))
    return dt.date(y, m, d)


def field_items(p: SynthPage):
    """(label id, entry, field name, field truth) for every written field."""
    lookup = {name: i + 1 for i, name in enumerate(p.label_names)}
    for e in p.truth["entries"]:
        for name, f in e["fields"].items():
            yield lookup[f"{e['row']}:{name}"], e, name, f
