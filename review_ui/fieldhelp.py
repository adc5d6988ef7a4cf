"""Thin adapter between the review screen and the field helpers (``sohoa.fields``) and the
validation rules (``sohoa.validate``): closed-set choices, lexicon suggestions, the normalised
value of what a clerk typed, and validation issues, all as plain typed values.

Kept apart so the screen code never depends on those modules' exact return shapes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from sohoa.records import FieldKind, nfc

log = logging.getLogger(__name__)

CLOSED_KINDS = frozenset(
    {FieldKind.SEX, FieldKind.ETHNICITY, FieldKind.NATIONALITY, FieldKind.RELATION}
)
SUGGEST_KINDS = frozenset({FieldKind.NAME, FieldKind.PLACE})


@dataclass(frozen=True)
class Issue:
    """One validation message about one field of one entry."""

    field: str
    severity: str  # "error" | "warning"
    message: str
    entry_id: int | None = None


@dataclass(frozen=True)
class Normalised:
    value: str
    error: str = ""
    warning: str = ""


SOFT_KINDS = frozenset({FieldKind.NAME, FieldKind.PLACE, FieldKind.TEXT})


@cache
def closed_choices(kind: FieldKind) -> tuple[tuple[str, str], ...]:
    """(label, 158 value) pairs for a closed-set field kind (``("Nữ", "2")``); empty for
    free-text kinds."""
    if kind not in CLOSED_KINDS:
        return ()
    from sohoa.fields import choices, parse_field

    out = []
    for label in choices(kind):
        parsed = parse_field(kind, label)
        out.append((label, parsed.value if parsed.ok and parsed.value else label))
    return tuple(out)


def suggest(kind: FieldKind, text: str, alternatives: tuple[str, ...] = (),
            n: int = 4) -> tuple[str, ...]:
    """Other likely values for a doubtful name or place: the engine's alternatives first,
    then lexicon completions of what was read."""
    if kind not in SUGGEST_KINDS or not text.strip():
        return ()
    from sohoa.fields import suggestions

    seen, out = {text}, []
    for s in (*alternatives, *suggestions(kind, text, limit=n)):
        if s and s not in seen:
            seen.add(s)
            out.append(s)
    return tuple(out[:n])


def normalise(kind: FieldKind, text: str, ref_year: int | None = None) -> Normalised:
    """The 158 value of what a clerk typed (``12/3/2006`` -> ``12.03.2006``), or an error
    message when it does not parse (for names and places a warning: people have rare names)."""
    text = text.strip()
    if not text:
        return Normalised("")
    from sohoa.fields import parse_field

    parsed = parse_field(kind, text, ref_year=ref_year)
    if parsed.ok and parsed.value:
        return Normalised(parsed.value)
    if kind in SOFT_KINDS:
        return Normalised(parsed.value or text, "", parsed.message)
    return Normalised(text, parsed.message or "?")


_CODE = re.compile(r"\s*\((?:so|ghiChu|[a-z]+[A-Z][A-Za-z]*)\)")


def plain_message(text: str) -> str:
    """A validation message without the 158 column names in brackets (``Ngày sinh
    (nksNgaySinh)`` -> ``Ngày sinh``): clerks read the labels, not the codes."""
    return nfc(_CODE.sub("", text))


AS_TYPED_KINDS = frozenset({FieldKind.NAME, FieldKind.PLACE, FieldKind.TEXT})


def to_store(kind: FieldKind, text: str, ref_year: int | None = None) -> Normalised:
    """What is saved for a value a clerk typed or chose: the 158 form for codes and dates
    (``nữ`` -> ``2``, ``5-1-2002`` -> ``05.01.2002``), but names, places and notes exactly as
    the clerk chose them (NFC, spaces collapsed): their normalised spelling is offered as a
    suggestion on the screen, never written over what the clerk typed."""
    norm = normalise(kind, text, ref_year)
    if kind in AS_TYPED_KINDS:
        return Normalised(" ".join(nfc(text).split()), norm.error, norm.warning)
    return norm


def validate(values: dict[str, str], template: Any, book: Any, entry_id: int | None,
             inked: frozenset[str] = frozenset(),
             illegible: frozenset[str] = frozenset()) -> list[Issue]:
    """Validation issues of one entry's values (``sohoa.validate``), as :class:`Issue`, plus
    a silent blank for each ``inked`` field left empty (see :mod:`review_ui.ink`)."""
    from sohoa.validate import ink_blank_rules, validate_entry

    raw = validate_entry(values, book, template, entry_id)
    raw += ink_blank_rules(values, inked, illegible, entry_id)
    return [Issue(field=r.field or "", severity=str(r.severity), message=plain_message(r.message),
                  entry_id=entry_id) for r in raw]
