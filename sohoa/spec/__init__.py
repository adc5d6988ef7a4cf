"""The 158 import format, vendored: column lists per register type, code lists, and the
Ministry's birth template workbook.

The files ``158-columns.json`` and ``158-khai-sinh-template.xlsx`` are copied unchanged from
the project's reference folder so that export and ``check-158`` run offline and agree on one
definition. Header cells in the template carry trailing spaces and ``\\ni=[...]`` hints; the
*canonical* column name (``so``, ``loaiDangKy``) strips those.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sohoa.records import RegisterType

COLUMNS_FILE = "158-columns.json"
KS_TEMPLATE_FILE = "158-khai-sinh-template.xlsx"
KS_SHEET = "DL Import"


def spec_path(name: str) -> Path:
    """Path of a vendored spec file (inside the installed package)."""
    res = resources.files("sohoa.spec").joinpath(name)
    return Path(str(res))


@cache
def _spec() -> dict[str, Any]:
    with spec_path(COLUMNS_FILE).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def canonical(header: str) -> str:
    """Column name without the template decorations: ``so `` -> ``so``."""
    return re.split(r"\s", header.strip(), maxsplit=1)[0] if header.strip() else ""


def raw_headers(register_type: RegisterType | str) -> tuple[str, ...]:
    """Header cells of the 158 sheet as written (KS verbatim from the Ministry template).

    The KS list starts with ``STT``; the other lists do not carry it in the spec, so it is
    prepended here to keep every export shaped alike (row number first).
    """
    rt = RegisterType(register_type)
    if rt is RegisterType.KS:
        return tuple(_spec()["KS_header_verbatim"])
    return ("STT", *_spec()[rt.value])


def columns(register_type: RegisterType | str) -> tuple[str, ...]:
    """Canonical column names, in sheet order (``STT`` first)."""
    return tuple(canonical(h) for h in raw_headers(register_type))


def codes() -> dict[str, Any]:
    """The code lists of the spec, keyed as in the JSON file."""
    return dict(_spec()["codes"])


def code_set(key: str) -> frozenset[str]:
    """The allowed codes (as strings) of one code list, e.g. ``code_set('gioiTinh')``."""
    value = _spec()["codes"][key]
    if isinstance(value, dict):
        return frozenset(str(k) for k in value)
    return frozenset(str(v) for v in value)
