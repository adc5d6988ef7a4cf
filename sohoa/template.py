"""Register templates: the one description of a register layout that segmentation, the
synthetic generator, the review screen and the export all read.

A template is a TOML file in ``sohoa/templates/``; a new layout is a new file, not new code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sohoa.errors import SohoaError
from sohoa.records import FieldKind, RegisterType

_TOP_KEYS = {"id", "register_type", "era", "title", "orientation", "rows_per_page", "columns"}
_COLUMN_KEYS = {"number", "header", "keywords", "width", "fields"}
_FIELD_KEYS = {"name", "kind", "label"}


class TemplateError(SohoaError, ValueError):
    """A template file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the 158 column name
    kind: FieldKind
    label: str  # Vietnamese label for people
    column: int  # number of the column that holds it
    line: int  # 0 = first handwritten line in the cell, 1 = second ...


@dataclass(frozen=True)
class Column:
    number: int
    header: str
    keywords: tuple[str, ...]
    width: float  # relative width on the page
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Template:
    id: str
    register_type: RegisterType
    era: str
    title: str
    orientation: str
    rows_per_page: int
    columns: tuple[Column, ...]

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        """Every field in reading order (columns left to right, lines top to bottom)."""
        return tuple(f for c in self.columns for f in c.fields)

    @classmethod
    def for_book(cls, book: Any) -> Template:
        """The template a book was registered with (``Book.template``), else its register
        type's default."""
        if book.template:
            return load_template(book.template)
        return template_for_type(book.register_type)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"template {self.id} has no field {name!r}")

    def column_fractions(self) -> list[tuple[float, float]]:
        """Left and right edge of each column as fractions of the table width."""
        total = sum(c.width for c in self.columns)
        out, x = [], 0.0
        for c in self.columns:
            out.append((x / total, (x + c.width) / total))
            x += c.width
        return out


def _unknown(where: str, got: dict, allowed: set[str]) -> None:
    extra = set(got) - allowed
    if extra:
        raise TemplateError(f"{where}: unknown keys {sorted(extra)}")


def parse_template(data: dict, source: str = "<template>") -> Template:
    """Build a :class:`Template` from parsed TOML, rejecting unknown or missing keys."""
    _unknown(source, data, _TOP_KEYS)
    try:
        columns = []
        for cdata in data["columns"]:
            where = f"{source} column {cdata.get('number', '?')}"
            _unknown(where, cdata, _COLUMN_KEYS)
            specs = []
            for line, fdata in enumerate(cdata["fields"]):
                _unknown(where, fdata, _FIELD_KEYS)
                specs.append(
                    FieldSpec(
                        name=fdata["name"],
                        kind=FieldKind(fdata["kind"]),
                        label=fdata["label"],
                        column=int(cdata["number"]),
                        line=line,
                    )
                )
            columns.append(
                Column(
                    number=int(cdata["number"]),
                    header=cdata["header"],
                    keywords=tuple(cdata.get("keywords", ())),
                    width=float(cdata["width"]),
                    fields=tuple(specs),
                )
            )
        tpl = Template(
            id=data["id"],
            register_type=RegisterType(data["register_type"]),
            era=str(data["era"]),
            title=data["title"],
            orientation=data.get("orientation", "landscape"),
            rows_per_page=int(data.get("rows_per_page", 10)),
            columns=tuple(columns),
        )
    except KeyError as exc:
        raise TemplateError(f"{source}: missing key {exc}") from exc
    except ValueError as exc:
        raise TemplateError(f"{source}: {exc}") from exc
    names = [f.name for f in tpl.fields]
    if len(names) != len(set(names)):
        raise TemplateError(f"{source}: a field name appears twice")
    if [c.number for c in tpl.columns] != list(range(1, len(tpl.columns) + 1)):
        raise TemplateError(f"{source}: columns must be numbered 1..n in order")
    return tpl


def template_ids() -> list[str]:
    """Ids of the templates shipped in the package."""
    folder = resources.files("sohoa.templates")
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


@cache
def load_template(name: str) -> Template:
    """Load a shipped template by id (``ks-2006``) or a template file by path."""
    path = Path(name)
    if path.suffix == ".toml" and path.exists():
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        res = resources.files("sohoa.templates").joinpath(f"{name}.toml")
        if not res.is_file():
            raise TemplateError(f"unknown template {name!r}; shipped: {', '.join(template_ids())}")
        text, source = res.read_text(encoding="utf-8"), f"{name}.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{source}: {exc}") from exc
    return parse_template(data, source)


def template_for_type(register_type: str) -> Template:
    """The default template of a register type (``KS`` -> ``ks-2006``)."""
    for tid in template_ids():
        tpl = load_template(tid)
        if tpl.register_type == register_type:
            return tpl
    raise TemplateError(f"no template for register type {register_type!r}")
