"""Closed lists for dropdowns and completions for the review screen."""

from __future__ import annotations

from sohoa.fields import closed, names, places
from sohoa.fields.text import clean, fold
from sohoa.records import FieldKind

SEX_LABELS = ("Nam", "Nữ", "Không xác định")


def choices(kind: FieldKind) -> list[str]:
    """The closed list of ``kind`` (sex labels, the 54 ethnic groups in code order,
    nationalities, relations); empty for open kinds."""
    kind = FieldKind(kind)
    if kind == FieldKind.SEX:
        return list(SEX_LABELS)
    if kind == FieldKind.ETHNICITY:
        return [g.name for g in closed.ethnic_groups()]
    if kind == FieldKind.NATIONALITY:
        return list(closed.nationalities().names)
    if kind == FieldKind.RELATION:
        return list(closed.relations().names)
    return []


def suggestions(kind: FieldKind, prefix: str, limit: int = 10) -> list[str]:
    """Up to ``limit`` values of ``kind`` that complete ``prefix`` (diacritics optional)."""
    kind = FieldKind(kind)
    prefix = clean(prefix or "")[:200] + (" " if (prefix or "").endswith(" ") else "")
    if limit <= 0:
        return []
    if kind == FieldKind.NAME:
        return names.complete(prefix, limit) if prefix.strip() else []
    if kind == FieldKind.PLACE:
        return places.complete(prefix, limit) if prefix.strip() else []
    options = choices(kind)
    want = fold(prefix.strip())
    starts = [o for o in options if fold(o).startswith(want)]
    inside = [o for o in options if want in fold(o) and o not in starts]
    return (starts + inside)[:limit]
